"""Uploading neurons to the bundled CATMAID (its own process): first how fast the server imports
(nodes per CPU-second of the server process, no injected latency), then neuromodels'
NeuronCollection.save() against pymaid's upload_neuron() of the same neurons at 20 ms latency,
interleaved in the same run.

    python benchmarks/catmaid_upload.py [--pymaid-python PATH] [--neurons 100] [--nodes 2000] [--runs 3]

Targets: the server imports >= 100,000 nodes/s (so that uploads measure the client), and
neuromodels >= 3x pymaid at 20 ms. pymaid needs its own virtualenv (``pip install
python-catmaid``); without --pymaid-python (or NEUROMODELS_PYMAID_PYTHON) its figures are skipped.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

from _bench import cpu_seconds, load, median, runs, server
from neuromodels import Connection, NeuronCollection
from neuromodels.demo import synthetic_neuron
from neuromodels.formats.swc import to_swc

PYMAID_SCRIPT = r"""
import logging, sys, time
import navis, pymaid
url, project, token, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
navis.set_loggers("ERROR"); pymaid.set_loggers("ERROR")
neurons = navis.read_swc(folder, progress=False)
rm = pymaid.CatmaidInstance(url, api_token=token, project_id=project)
rm.caching = False
started = time.perf_counter()
answer = pymaid.upload_neuron(neurons)
elapsed = time.perf_counter() - started
answers = answer.values() if len(neurons) > 1 else [answer]
print(f"{elapsed:.3f} {sum(1 for a in answers if 'skeleton_id' in a)}")
"""


def batch(neurons: int, nodes: int, offset: int = 0) -> NeuronCollection:
    return NeuronCollection(synthetic_neuron(offset + seed, n_nodes=nodes) for seed in range(neurons))


def connect(info: dict[str, str]) -> Connection:
    return Connection(info["URL"], backend="catmaid", project=int(info["PROJECT"]), token=info["TOKEN"],
                      progress=False, timeout=300)


def server_throughput(neurons: int, nodes: int, repeat: int) -> None:
    """Nodes per CPU-second of the server process at 0 ms (the client's own CPU is apart)."""
    with server("catmaid") as info, connect(info):
        batch(2, 100).save()  # connections, caches and the watermark warm
        rates, walls = [], []
        for r in range(repeat):
            upload = batch(neurons, nodes, offset=r * neurons)
            before, started = cpu_seconds(info["PID"]), time.perf_counter()
            upload.save()
            walls.append(time.perf_counter() - started)
            rates.append(neurons * nodes / (cpu_seconds(info["PID"]) - before))
            assert all(n.id is not None for n in upload)
        print(f"bundled CATMAID import, {neurons} x {nodes:,} nodes by NeuronCollection.save(), 0 ms ({load()})")
        print(f"  server: median {median(rates):,.0f} nodes per CPU-second (runs: "
              f"{', '.join(f'{r:,.0f}' for r in rates)}; target >= 100,000)")
        print(f"  wall: median {median(walls):.2f} s = {neurons * nodes / median(walls):,.0f} nodes/s "
              f"(runs: {runs(walls)}; both processes on the same cores)")


def against_pymaid(neurons: int, nodes: int, latency: float, repeat: int, pymaid_python: str | None) -> None:
    with server("catmaid", latency=latency) as info, connect(info), tempfile.TemporaryDirectory() as folder:
        batch(2, 100).save()
        for n in batch(neurons, nodes, offset=10_000):
            Path(folder, f"n{n.name}.swc").write_text(to_swc(n.nodes))
        ours, theirs = [], []
        for r in range(repeat):  # interleaved, so both see the same machine
            upload = batch(neurons, nodes, offset=r * neurons)
            started = time.perf_counter()
            upload.save()
            ours.append(time.perf_counter() - started)
            assert all(n.id is not None for n in upload)
            if pymaid_python:
                out = subprocess.run([pymaid_python, "-c", PYMAID_SCRIPT, info["URL"], info["PROJECT"], info["TOKEN"],
                                      folder], check=True, capture_output=True, text=True).stdout.split()
                theirs.append(float(out[-2]))
                assert int(out[-1]) == neurons, out
        print(f"upload of {neurons} x {nodes:,} nodes, {latency * 1000:.0f} ms latency ({load()})")
        print(f"  neuromodels NeuronCollection.save(): median {median(ours):.2f} s (runs: {runs(ours)})")
        if pymaid_python:
            print(f"  pymaid upload_neuron(): median {median(theirs):.2f} s (runs: {runs(theirs)})")
            print(f"  speed-up: {median(theirs) / median(ours):.1f}x (target >= 3x)")
        else:
            print("  pymaid: skipped (no --pymaid-python)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--neurons", type=int, default=100)
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pymaid-python", default=os.environ.get("NEUROMODELS_PYMAID_PYTHON"))
    args = parser.parse_args()
    server_throughput(args.neurons, args.nodes, args.runs)
    against_pymaid(args.neurons, args.nodes, args.latency, args.runs, args.pymaid_python)


if __name__ == "__main__":
    main()
