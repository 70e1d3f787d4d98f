"""Fetch 200 neurons x 5,000 nodes from the bundled CATMAID server (its own process, 20 ms
injected latency): neuromodels against pymaid's get_neuron on the same server in the same run.
Also: parsing a 1M-node compact-detail response into DataFrames against stdlib json.loads of
the same bytes, and import times.

    python benchmarks/catmaid_fetch.py [--pymaid-python PATH] [--neurons 200] [--nodes 5000]

pymaid needs its own virtualenv (it pulls navis); without --pymaid-python (or
NEUROMODELS_PYMAID_PYTHON) its figures are skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import orjson

from neuromodels import Connection, NeuronCollection
from neuromodels.backends.catmaid.converter import neurons_from_compact_many
from neuromodels.demo import synthetic_neuron

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


def start_server(latency: float, db: str) -> tuple[subprocess.Popen, dict[str, str]]:
    proc = subprocess.Popen([sys.executable, "-m", "neuromodels.cli", "serve", "catmaid", "--db", db,
                             "--latency", str(latency)], stdout=subprocess.PIPE, text=True)
    info = {}
    while len(info) < 4:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("server did not start")
        key, _, value = line.strip().partition("=")
        info[key] = value
    return proc, info


def import_time(python: str, module: str, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([python, "-c", f"import {module}"], check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return min(times)


def parse_benchmark(n_nodes: int, n_skeletons: int = 200) -> None:
    """A bulk compact-detail body (the client's path) holding n_nodes over n_skeletons."""
    rng = np.random.default_rng(0)
    per = n_nodes // n_skeletons
    skeletons = {}
    for s in range(n_skeletons):
        xyz = np.round(rng.uniform(0, 100000, size=(per, 3)), 1)
        rows = [[s * per + i, (s * per + i - 1 if i else None), 2, float(x), float(y), float(z), 40.0, 5]
                for i, (x, y, z) in enumerate(xyz)]
        skeletons[str(s + 1)] = [rows, [], {}, [], []]
    body = orjson.dumps({"skeletons": skeletons})
    del skeletons

    def best(fn, runs=3):
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        return min(times)

    stdlib = best(lambda: json.loads(body))
    ours = best(lambda: neurons_from_compact_many(body))
    parsed = neurons_from_compact_many(body)
    assert sum(len(n.nodes) for n in parsed.values()) == per * n_skeletons
    print(f"parse {per * n_skeletons:,}-node bulk compact-detail ({len(body) / 1e6:.1f} MB, {n_skeletons} skeletons): "
          f"stdlib json.loads {stdlib:.3f} s; neuromodels to DataFrames {ours:.3f} s "
          f"= {ours / stdlib:.2f}x json.loads (target <= 1.5x)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--neurons", type=int, default=200)
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--pymaid-python", default=os.environ.get("NEUROMODELS_PYMAID_PYTHON"))
    parser.add_argument("--parse-nodes", type=int, default=1_000_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        proc, info = start_server(args.latency, f"{tmp}/bench.sqlite")
        try:
            conn = Connection(info["URL"], backend="catmaid", project=int(info["PROJECT"]), token=info["TOKEN"],
                              progress=False, timeout=120)
            with conn:
                started = time.perf_counter()
                batch = NeuronCollection(synthetic_neuron(seed, n_nodes=args.nodes) for seed in range(args.neurons))
                for n in batch:
                    n.annotations = ["benchmark"]
                batch.save()
                print(f"seeded {args.neurons} neurons x {args.nodes} nodes in {time.perf_counter() - started:.1f} s "
                      f"(server: separate process, {args.latency * 1000:.0f} ms latency per request)")
                skids = [n.id for n in batch]
                ours = []
                for _ in range(5):
                    started = time.perf_counter()
                    fetched = NeuronCollection(ids=skids).fetch()
                    ours.append(time.perf_counter() - started)
                    assert sum(len(n.nodes) for n in fetched) == args.neurons * args.nodes
                print(f"neuromodels NeuronCollection(ids=...).fetch(): median {statistics.median(ours):.2f} s "
                      f"(runs: {', '.join(f'{t:.2f}' for t in ours)}), {args.neurons * args.nodes:,} nodes")
            if args.pymaid_python:
                theirs = []
                for _ in range(5):
                    out = subprocess.run([args.pymaid_python, "-c", PYMAID_SCRIPT, info["URL"], info["PROJECT"],
                                          info["TOKEN"], ",".join(map(str, skids))],
                                         check=True, capture_output=True, text=True).stdout.split()
                    theirs.append(float(out[0]))
                    assert int(out[1]) == args.neurons * args.nodes
                print(f"pymaid get_neuron(): median {statistics.median(theirs):.2f} s "
                      f"(runs: {', '.join(f'{t:.2f}' for t in theirs)})")
                print(f"speed-up: {statistics.median(theirs) / statistics.median(ours):.1f}x (target >= 5x)")
            else:
                print("pymaid: skipped (no --pymaid-python)")
        finally:
            proc.terminate()
            proc.wait(10)

    parse_benchmark(args.parse_nodes)
    print(f"import neuromodels: {import_time(sys.executable, 'neuromodels'):.2f} s")
    if args.pymaid_python:
        print(f"import pymaid:      {import_time(args.pymaid_python, 'pymaid'):.2f} s")


if __name__ == "__main__":
    main()
