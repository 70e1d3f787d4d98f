"""Fetch 1,000 neurons x 5,000 nodes from the bundled CATMAID server (its own process, 20 ms
injected latency): neuromodels against pymaid's get_neuron on the same server in the same run.
Also: parsing a 1M-node bulk compact-detail body into DataFrames against json.loads and
orjson.loads of the same bytes.

    python benchmarks/catmaid_fetch.py [--pymaid-python PATH] [--neurons 1000] [--nodes 5000] [--runs 3]

pymaid needs its own virtualenv (``pip install python-catmaid``; it pulls navis); without
--pymaid-python (or NEUROMODELS_PYMAID_PYTHON) its figures are skipped. Target: >= 10x pymaid.
The seeded database is kept between runs (seeding 1,000 neurons takes several minutes once).
Peak memory of the same fetch: ``python benchmarks/tracking_memory.py --neurons 1000 --latency 0.02``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time

import numpy as np
import orjson

from _bench import load, median, runs, server
from catmaid_wire import catmaid_db
from neuromodels import Connection, NeuronCollection
from neuromodels.backends.catmaid.compact import neurons_from_compact_many

PYMAID_SCRIPT = r"""
import sys, time
import pymaid
url, project, token, skids = sys.argv[1], int(sys.argv[2]), sys.argv[3], [int(s) for s in sys.argv[4].split(",")]
rm = pymaid.CatmaidInstance(url, api_token=token, project_id=project)
rm.caching = False
started = time.perf_counter()
neurons = pymaid.get_neuron(skids)
elapsed = time.perf_counter() - started
assert len(neurons) == len(skids), len(neurons)
print(f"{elapsed:.3f} {sum(n.n_nodes for n in neurons)}")
"""


def parse_benchmark(n_nodes: int, n_skeletons: int = 200) -> None:
    """A bulk compact-detail body (the client's path) holding n_nodes over n_skeletons."""
    rng = np.random.default_rng(0)
    per = n_nodes // n_skeletons
    skeletons = {}
    for s in range(n_skeletons):
        xyz = np.round(rng.uniform(0, 100000, size=(per, 3)), 1)
        rows = [[s * per + i + 1, (s * per + i if i else None), 2, float(x), float(y), float(z), 40.0, 5]
                for i, (x, y, z) in enumerate(xyz)]
        skeletons[str(s + 1)] = [rows, [], {}, [], []]
    body = orjson.dumps({"skeletons": skeletons})
    del skeletons

    def best(fn, repeat=3):
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        return min(times)

    stdlib = best(lambda: json.loads(body))
    fast = best(lambda: orjson.loads(body))
    ours = best(lambda: neurons_from_compact_many(body))
    parsed = neurons_from_compact_many(body)
    assert sum(len(n.nodes) for n in parsed.values()) == per * n_skeletons
    print(f"parse {per * n_skeletons:,}-node bulk compact-detail ({len(body) / 1e6:.1f} MB, {n_skeletons} skeletons), "
          f"best of 3 ({load()}):")
    print(f"  json.loads {stdlib:.3f} s; orjson.loads {fast:.3f} s (both to Python lists only); "
          f"neuromodels to Neurons with DataFrames {ours:.3f} s = {ours / stdlib:.2f}x json.loads, "
          f"{ours / fast:.2f}x orjson.loads")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--neurons", type=int, default=1000)
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pymaid-python", default=os.environ.get("NEUROMODELS_PYMAID_PYTHON"))
    parser.add_argument("--parse-nodes", type=int, default=1_000_000)
    parser.add_argument("--fresh", action="store_true", help="seed a new database")
    args = parser.parse_args()

    db = catmaid_db(args.neurons, args.nodes, args.fresh)
    with server("catmaid", latency=args.latency, db=db) as info:
        with Connection(info["URL"], backend="catmaid", project=int(info["PROJECT"]), token=info["TOKEN"],
                        progress=False, timeout=300):
            skids = [n.id for n in NeuronCollection(annotation="benchmark").fetch(nodes=False)]
            assert len(skids) == args.neurons, len(skids)
            NeuronCollection(ids=skids[:16]).fetch()  # connections and server caches warm
            ours = []
            for _ in range(args.runs):
                started = time.perf_counter()
                fetched = NeuronCollection(ids=skids).fetch()
                ours.append(time.perf_counter() - started)
                assert sum(len(n.nodes) for n in fetched) == args.neurons * args.nodes
                del fetched
        print(f"CATMAID {args.neurons} x {args.nodes:,} nodes, {args.latency * 1000:.0f} ms latency per request, "
              f"server in its own process ({load()})")
        print(f"  neuromodels NeuronCollection(ids=...).fetch(): median {median(ours):.2f} s (runs: {runs(ours)})")
        if args.pymaid_python:
            theirs = []
            for _ in range(args.runs):
                out = subprocess.run([args.pymaid_python, "-c", PYMAID_SCRIPT, info["URL"], info["PROJECT"],
                                      info["TOKEN"], ",".join(map(str, skids))],
                                     check=True, capture_output=True, text=True).stdout.split()
                theirs.append(float(out[0]))
                assert int(out[1]) == args.neurons * args.nodes
            print(f"  pymaid get_neuron(): median {median(theirs):.2f} s (runs: {runs(theirs)})")
            print(f"  speed-up: {median(theirs) / median(ours):.1f}x (target >= 10x)")
        else:
            print("  pymaid: skipped (no --pymaid-python)")

    parse_benchmark(args.parse_nodes)


if __name__ == "__main__":
    main()
