"""NeuroMorpho.org: the metadata of 2,000 neurons plus the SWC nodes of 200 of them, within the
polite limit of 4 parallel requests, from the bundled NeuroMorpho (its own process, 20 ms injected
latency): neuromodels against navis' neuromorpho interface (find_neurons + get_neuron, 4 threads)
on the same server in the same run.

    python benchmarks/neuromorpho_fetch.py [--navis-python PATH] [--n 2000] [--swc 200]

The bundled server ships a few dozen neurons; the benchmark's database adds synthetic ones (the
server has no upload: NeuroMorpho is read-only). navis needs its own virtualenv (``pip install
navis``); without --navis-python (or NEUROMODELS_NAVIS_PYTHON) its figures are skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import time
from contextlib import closing

from _bench import cached_db, load, median, runs, server
from neuromodels import Connection, NeuronCollection
from neuromodels.testing.neuromorpho.store import synthetic_swc

NAVIS_SCRIPT = r"""
import sys, time
import navis
import navis.interfaces.neuromorpho as nm
navis.config.pbar_hide = True
nm.BASEURL = sys.argv[1]
n_swc = int(sys.argv[2])
started = time.perf_counter()
meta = nm.find_neurons(species=["mouse", "rat", "human", "monkey", "drosophila melanogaster"], max_threads=4)
meta_time = time.perf_counter() - started
wanted = meta[meta["neuron_name"].str.startswith("bench_")].sort_values("neuron_id").head(n_swc)
started = time.perf_counter()
neurons = nm.get_neuron(wanted, max_threads=4)
swc_time = time.perf_counter() - started
print(f"{meta_time:.3f} {len(meta)} {meta['neuron_id'].nunique()} {swc_time:.3f} {len(neurons)} {sum(n.n_nodes for n in neurons)}")
"""


def seed_neuromorpho(n: int):
    def seed(path: str) -> None:
        with server("neuromorpho", db=path):
            pass  # the server makes its schema and seed neurons, then stops
        with closing(sqlite3.connect(path)) as db, db:
            template = json.loads(db.execute("SELECT record FROM neuron ORDER BY id LIMIT 1").fetchone()[0])
            have = db.execute("SELECT COUNT(*) FROM neuron").fetchone()[0]
            species = ["mouse", "rat", "human", "monkey", "drosophila melanogaster"]
            rows = []
            for k in range(n - have):
                nid, name = 100_000 + k, f"bench_{k:05d}"
                record = dict(template, neuron_id=nid, neuron_name=name, archive="Wearne_Hof", species=species[k % 5])
                rows.append((nid, name, json.dumps(record), synthetic_swc(nid, 300 + k % 400)))
            db.executemany("INSERT INTO neuron VALUES (?, ?, ?, ?)", rows)
    return seed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--swc", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--navis-python", default=os.environ.get("NEUROMODELS_NAVIS_PYTHON"))
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    db = cached_db(f"neuromorpho-{args.n}", seed_neuromorpho(args.n), args.fresh)
    with server("neuromorpho", latency=args.latency, db=db) as info:
        with Connection(info["URL"], backend="neuromorpho", progress=False, timeout=300) as conn:
            meta_times, swc_times = [], []
            for _ in range(args.runs):
                started = time.perf_counter()
                meta = NeuronCollection(species=["mouse", "rat", "human", "monkey", "drosophila melanogaster"]).fetch()
                meta_times.append(time.perf_counter() - started)
                wanted = sorted((n.id for n in meta if (n.name or "").startswith("bench_")))[: args.swc]
                started = time.perf_counter()
                with_nodes = NeuronCollection(ids=wanted).fetch(nodes=True)
                swc_times.append(time.perf_counter() - started)
            nodes = sum(len(n.nodes) for n in with_nodes if n.nodes is not None)
            print(f"NeuroMorpho: metadata of {len(meta):,} neurons + SWC of {len(with_nodes)}, "
                  f"{args.latency * 1000:.0f} ms latency, at most {conn.max_workers} requests in parallel ({load()})")
            print(f"  neuromodels metadata NeuronCollection(species=[...]).fetch(): median {median(meta_times):.2f} s "
                  f"(runs: {runs(meta_times)}); {len(meta):,} listed, {len({n.id for n in meta}):,} distinct")
            print(f"  neuromodels SWC NeuronCollection(ids=...).fetch(nodes=True): median {median(swc_times):.2f} s "
                  f"(runs: {runs(swc_times)}); {nodes:,} nodes")
        if args.navis_python:
            meta_t, swc_t = [], []
            for _ in range(args.runs):
                out = subprocess.run([args.navis_python, "-c", NAVIS_SCRIPT, info["URL"], str(args.swc)],
                                     check=True, capture_output=True, text=True).stdout.split()
                meta_t.append(float(out[0]))
                swc_t.append(float(out[3]))
            listed, distinct, got, their_nodes = int(out[1]), int(out[2]), int(out[4]), int(out[5])
            print(f"  navis find_neurons (4 threads): median {median(meta_t):.2f} s (runs: {runs(meta_t)}); "
                  f"{listed:,} listed, {distinct:,} distinct")
            print(f"  navis get_neuron (4 threads): median {median(swc_t):.2f} s (runs: {runs(swc_t)}); "
                  f"{got} neurons, {their_nodes:,} nodes")
            print(f"  speed-up: metadata {median(meta_t) / median(meta_times):.1f}x, "
                  f"SWC {median(swc_t) / median(swc_times):.1f}x")
        else:
            print("  navis: skipped (no --navis-python)")


if __name__ == "__main__":
    main()
