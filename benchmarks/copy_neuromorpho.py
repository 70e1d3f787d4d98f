"""Copy 200 NeuroMorpho.org neurons into a bundled CATMAID and print the figures.

    python benchmarks/copy_neuromorpho.py [--neurons 200] [--nmo-latency 0.1] [--catmaid-latency 0.02]

The bundled NeuroMorpho server seeds 36 neurons; this script grows its SQLite file to
``--neurons`` synthetic neurons (records copied from the seeded ones, random SWC trees of 40 to
400 nodes) before serving it.
Each server runs with its injected per-request latency; NeuroMorpho is asked at its polite
default of 4 parallel requests. Printed: the copy time, what the NeuroMorpho downloads alone
take (the lower bound a copy can reach), requests on each side, and a second, resuming run
(everything recognised, nothing downloaded or created).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time

import numpy as np

from neuromodels import Connection, NeuronCollection
from neuromodels.testing import serve
from neuromodels.transfer import Transform


def random_swc(seed: int, n: int) -> str:
    """A random tree of ``n`` nodes under a soma, as NeuroMorpho's standardised files look."""
    rng = np.random.default_rng(seed)
    lines = ["# synthetic neuron for the copy benchmark", "1 1 0.00 0.00 0.00 6.000 -1"]
    positions = {1: np.zeros(3)}
    for i in range(2, n + 1):
        parent = i - 1 if rng.random() > 0.1 else int(rng.integers(1, i))
        positions[i] = positions[parent] + rng.normal(scale=3.0, size=3)
        x, y, z = positions[i]
        lines.append(f"{i} 3 {x:.2f} {y:.2f} {z:.2f} {rng.uniform(0.2, 1.2):.2f} {parent}")
    return "\n".join(lines) + "\n"


def grow(db_path: str, total: int) -> None:
    """Add synthetic neurons to a seeded NeuroMorpho database until it holds ``total`` with files."""
    db = sqlite3.connect(db_path)
    rows = db.execute("SELECT id, record FROM neuron WHERE swc IS NOT NULL ORDER BY id").fetchall()
    have = len(rows)
    rng = np.random.default_rng(11)
    next_id = db.execute("SELECT MAX(id) FROM neuron").fetchone()[0] + 1
    for k in range(total - have):
        template = json.loads(rows[k % len(rows)][1])
        nid = next_id + k
        name = f"bench_{nid}"
        template.update(neuron_id=nid, neuron_name=name, original_format=f"{name}.asc",
                        png_url=f"http://neuromorpho.org/images/imageFiles/{template['archive']}/{name}.png")
        db.execute("INSERT INTO neuron (id, name, record, swc) VALUES (?, ?, ?, ?)",
                   (nid, name, json.dumps(template), random_swc(nid, int(rng.integers(40, 400)))))
    db.commit()
    db.close()


def connect(server: object, **options: object) -> Connection:
    s = server  # a LocalServer
    return Connection(s.url, backend=s.backend, project=s.project, token=s.token, progress=False,  # type: ignore[attr-defined]
                      **options)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=200)
    parser.add_argument("--nmo-latency", type=float, default=0.1, help="seconds per NeuroMorpho request")
    parser.add_argument("--catmaid-latency", type=float, default=0.02, help="seconds per CATMAID request")
    parser.add_argument("--chunk", type=int, default=None, help="neurons per step (default: copy_to's)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="neuromodels-bench-") as tmp:
        nmo_db = os.path.join(tmp, "nmo.sqlite")
        serve("neuromorpho", db=nmo_db).start().stop()  # creates and seeds the file
        grow(nmo_db, args.neurons)
        with serve("neuromorpho", db=nmo_db, latency=args.nmo_latency) as nmo_server, \
                serve("catmaid", db=os.path.join(tmp, "catmaid.sqlite"), latency=args.catmaid_latency) as cat_server:
            nmo, cat = connect(nmo_server), connect(cat_server)
            neurons = NeuronCollection(archive="*").fetch(connection=nmo)
            neurons = NeuronCollection([n for n in neurons if n.id not in (1003, 1029)][: args.neurons])

            # The lower bound: only downloading the SWC files at the polite rate.
            probe = NeuronCollection([type(n)(id=n.id, name=n.name, extra=dict(n.extra)) for n in neurons])
            started = time.perf_counter()
            probe.load_nodes(connection=nmo)
            download = time.perf_counter() - started
            nodes = sum(len(n.nodes) for n in probe)
            del probe

            before_nmo, before_cat = nmo_server.requests, cat_server.requests
            started = time.perf_counter()
            options = {"chunk_size": args.chunk} if args.chunk else {}
            copies = neurons.copy_to(cat, connection=nmo, transform=Transform(scale=1000), **options)
            elapsed = time.perf_counter() - started
            nmo_requests, cat_requests = nmo_server.requests - before_nmo, cat_server.requests - before_cat

            started = time.perf_counter()
            again = neurons.copy_to(cat, connection=nmo, transform=Transform(scale=1000))
            resume = time.perf_counter() - started
            stored = NeuronCollection().count(connection=cat)

    report = copies.copy_report
    print(f"neurons: {len(neurons)} ({nodes} nodes); NeuroMorpho latency {args.nmo_latency * 1000:.0f} ms "
          f"x {nmo.max_workers} parallel, CATMAID latency {args.catmaid_latency * 1000:.0f} ms x {cat.max_workers} parallel")
    print(f"copy:               {elapsed:7.2f} s  ({len(neurons) / elapsed:6.1f} neurons/s), created {len(report.created)}, "
          f"failed {len(report.failed)}")
    print(f"downloads alone:    {download:7.2f} s  (copy / downloads = {elapsed / download:.2f})")
    print(f"requests:           NeuroMorpho {nmo_requests}, CATMAID {cat_requests} "
          f"({cat_requests / max(len(neurons), 1):.2f} per neuron)")
    print(f"second run:         {resume:7.2f} s  (created {len(again.copy_report.created)}, "
          f"recognised {len(again.copy_report.existing)}); neurons on CATMAID: {stored}")
    return 0 if stored == len(neurons) and not report.failed else 1


if __name__ == "__main__":
    sys.exit(main())
