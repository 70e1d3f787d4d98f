"""Scaling curves: time against the number of objects for the headline jobs, neuromodels and its
peer on the same bundled server (its own process, 20 ms latency) in the same run, drawn as PNG
plots into ``docs/_static/scaling/`` (shown by ``docs/scaling.rst``) with the figures in
``figures.csv`` beside them.

    python benchmarks/scaling.py --pymaid-python PATH --client-python PATH [--jobs ...] [--sizes 10 100 1000 10000]

Jobs: ``catmaid-fetch`` (neurons of 200 nodes, against pymaid ``get_neuron``), ``cytomine-upload``
(boxes, against the Cytomine client's ``AnnotationCollection.save()``), ``cytomine-list`` (against
its ``fetch()``), ``catmaid-copy`` (neurons copied between two bundled CATMAIDs, against pymaid
``get_neuron`` + ``upload_neuron``). One run per point (the curves show the trend; the other
scripts give medians). Peers without a ``--...-python`` are skipped; ``--peer-max`` caps the
sizes a peer runs (pymaid's uploads go one neuron at a time). Needs matplotlib
(``pip install '.[bench]' (in a checkout)``).
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import time
from pathlib import Path
from typing import Callable

from _bench import cached_db, load, server
from catmaid_fetch import PYMAID_SCRIPT as PYMAID_FETCH
from catmaid_upload import PYMAID_SCRIPT as PYMAID_UPLOAD
from catmaid_wire import seed_catmaid
from cytomine_list import connect as cytomine_connect
from cytomine_list import seed_annotations
from cytomine_upload import CLIENT_SCRIPT as CLIENT_UPLOAD
from cytomine_upload import shapes
from neuromodels import Annotation, AnnotationCollection, Connection, ImageInstanceCollection, NeuronCollection

OUT = Path(__file__).resolve().parent.parent / "docs" / "_static" / "scaling"
NODES = 200
LATENCY = 0.02

# The Cytomine client's fetch() alone (its paged fetch(max=1000) on a project of 10 annotations
# was still requesting pages after 14 minutes against the bundled server: left out here).
CLIENT_LIST = r"""
import logging, sys, time
from cytomine import Cytomine
from cytomine.models import AnnotationCollection
url, public, private, project = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with Cytomine(url, public, private, verbose=logging.ERROR):
    started = time.perf_counter()
    everything = AnnotationCollection(project=project, showWKT=True, showTerm=True).fetch()
    print(f"{time.perf_counter() - started:.3f} {len(everything)}")
"""

PYMAID_COPY = r"""
import sys, time
import navis, pymaid
navis.set_loggers("ERROR"); pymaid.set_loggers("ERROR")
source_url, target_url, project, source_token, target_token = sys.argv[1:6]
skids = [int(s) for s in sys.argv[6].split(",")]
source = pymaid.CatmaidInstance(source_url, api_token=source_token, project_id=int(project))
target = pymaid.CatmaidInstance(target_url, api_token=target_token, project_id=int(project))
source.caching = target.caching = False
started = time.perf_counter()
neurons = pymaid.get_neuron(skids, remote_instance=source)
answer = pymaid.upload_neuron(neurons, remote_instance=target)
elapsed = time.perf_counter() - started
answers = answer.values() if len(skids) > 1 else [answer]
print(f"{elapsed:.3f} {sum(1 for a in answers if 'skeleton_id' in a)}")
"""


def run(python: str, script: str, *args: object) -> list[str]:
    return subprocess.run([python, "-c", script, *map(str, args)], check=True, capture_output=True,
                          text=True).stdout.split()


def catmaid_connect(info: dict[str, str]) -> Connection:
    return Connection(info["URL"], backend="catmaid", project=int(info["PROJECT"]), token=info["TOKEN"],
                      progress=False, timeout=300)


# -- the jobs: each yields (size, neuromodels seconds, peer seconds or None) -------------------------
def catmaid_fetch(sizes: list[int], args: argparse.Namespace):
    db = cached_db(f"catmaid-{max(sizes)}x{NODES}", seed_catmaid(max(sizes), NODES))
    with server("catmaid", latency=LATENCY, db=db) as info, catmaid_connect(info):
        skids = sorted(n.id for n in NeuronCollection(annotation="benchmark").fetch(nodes=False))
        NeuronCollection(ids=skids[:8]).fetch()
        for size in sizes:
            started = time.perf_counter()
            fetched = NeuronCollection(ids=skids[:size]).fetch()
            ours = time.perf_counter() - started
            assert sum(len(n.nodes) for n in fetched) == size * NODES
            theirs = None
            if args.pymaid_python and size <= args.peer_max:
                out = run(args.pymaid_python, PYMAID_FETCH, info["URL"], info["PROJECT"], info["TOKEN"],
                          ",".join(map(str, skids[:size])))
                theirs = float(out[0])
            yield size, ours, theirs


def cytomine_upload(sizes: list[int], args: argparse.Namespace):
    with server("cytomine", latency=LATENCY) as info:
        with cytomine_connect(info):
            ours_image, theirs_image = sorted(ImageInstanceCollection().fetch(), key=lambda i: i.id)
        for size in sizes:
            geometries = shapes("box", size)
            with cytomine_connect(info):  # cold, as the Cytomine client's own run
                batch = AnnotationCollection(Annotation(geometry=g, image=ours_image.id) for g in geometries)
                started = time.perf_counter()
                batch.save()
                ours = time.perf_counter() - started
            theirs = None
            if args.client_python and size <= args.peer_max * 10:
                out = run(args.client_python, CLIENT_UPLOAD, info["URL"], info["PUBLIC_KEY"], info["PRIVATE_KEY"],
                          theirs_image.id, size, "box")
                theirs = float(out[0])
            yield size, ours, theirs


def cytomine_list(sizes: list[int], args: argparse.Namespace):
    for size in sizes:
        db = cached_db(f"cytomine-{size}-annotations", seed_annotations(size))
        with server("cytomine", latency=LATENCY, db=db) as info:
            with cytomine_connect(info):
                AnnotationCollection(project=int(info["PROJECT"])).fetch(1)
                started = time.perf_counter()
                listed = AnnotationCollection(project=int(info["PROJECT"])).fetch()
                ours = time.perf_counter() - started
                assert len(listed) == size
            theirs = None
            if args.client_python and size <= args.peer_max * 10:
                out = run(args.client_python, CLIENT_LIST, info["URL"], info["PUBLIC_KEY"], info["PRIVATE_KEY"],
                          info["PROJECT"])
                theirs = float(out[0])
                assert int(out[1]) == size, out
            yield size, ours, theirs


def catmaid_copy(sizes: list[int], args: argparse.Namespace):
    db = cached_db(f"catmaid-{max(sizes)}x{NODES}", seed_catmaid(max(sizes), NODES))
    with server("catmaid", latency=LATENCY, db=db) as source, catmaid_connect(source):
        skids = sorted(n.id for n in NeuronCollection(annotation="benchmark").fetch(nodes=False))
        for size in sizes:
            with server("catmaid", latency=LATENCY) as target:
                started = time.perf_counter()
                copies = NeuronCollection(ids=skids[:size]).copy_to(catmaid_connect(target))
                ours = time.perf_counter() - started
                assert len(copies) == size
            theirs = None
            if args.pymaid_python and size <= args.peer_max:
                with server("catmaid", latency=LATENCY) as target:
                    out = run(args.pymaid_python, PYMAID_COPY, source["URL"], target["URL"], source["PROJECT"],
                              source["TOKEN"], target["TOKEN"], ",".join(map(str, skids[:size])))
                    theirs = float(out[0])
                    assert int(out[1]) == size, out
            yield size, ours, theirs


JOBS: dict[str, tuple[Callable, str, str, list[int]]] = {
    "catmaid-fetch": (catmaid_fetch, f"CATMAID fetch, neurons of {NODES} nodes", "pymaid get_neuron",
                      [10, 30, 100, 300, 1000]),
    "cytomine-upload": (cytomine_upload, "Cytomine upload, annotations (boxes)", "Cytomine client save()",
                        [10, 100, 1000, 10000]),
    "cytomine-list": (cytomine_list, "Cytomine listing, annotations with geometry and terms",
                      "Cytomine client fetch()", [10, 100, 1000, 10000]),
    "catmaid-copy": (catmaid_copy, f"CATMAID to CATMAID copy, neurons of {NODES} nodes",
                     "pymaid get_neuron + upload_neuron", [10, 30, 100, 300]),
}


def plot(job: str, title: str, peer: str, rows: list[tuple[int, float, float | None]], where: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.8), dpi=110)
    sizes = [r[0] for r in rows]
    ax.plot(sizes, [r[1] for r in rows], "o-", label="neuromodels")
    peer_rows = [(r[0], r[2]) for r in rows if r[2] is not None]
    if peer_rows:
        ax.plot([r[0] for r in peer_rows], [r[1] for r in peer_rows], "s--", label=peer)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("objects")
    ax.set_ylabel("seconds (wall)")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.text(0.01, 0.01, where, fontsize=7, alpha=0.7)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    path = OUT / f"{job}.png"
    fig.savefig(path)
    plt.close(fig)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", nargs="+", default=list(JOBS), choices=list(JOBS))
    parser.add_argument("--sizes", nargs="+", type=int, default=None, help="the same sizes for every job")
    parser.add_argument("--peer-max", type=int, default=1000,
                        help="largest size a CATMAID peer runs (Cytomine peers: ten times it)")
    parser.add_argument("--pymaid-python", default=os.environ.get("NEUROMODELS_PYMAID_PYTHON"))
    parser.add_argument("--client-python", default=os.environ.get("NEUROMODELS_CYTOMINE_PYTHON"))
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    figures = OUT / "figures.csv"
    kept = []
    if figures.exists():  # other jobs' rows stay when only some jobs run again
        with figures.open() as f:
            kept = [row for row in csv.DictReader(f) if row["job"] not in args.jobs]
    rows_out = list(kept)
    for job in args.jobs:
        measure, title, peer, default_sizes = JOBS[job]
        sizes = args.sizes or default_sizes
        started = time.perf_counter()
        rows = []
        for size, ours, theirs in measure(sizes, args):
            at = load()
            rows.append((size, ours, theirs))
            ratio = f", {theirs / ours:.1f}x" if theirs else ""
            print(f"{job} {size:>6}: neuromodels {ours:.3f} s, {peer} "
                  f"{'-' if theirs is None else f'{theirs:.3f} s'}{ratio} ({at})", flush=True)
            rows_out.append({"job": job, "size": size, "neuromodels_s": f"{ours:.4f}",
                             "peer": peer, "peer_s": "" if theirs is None else f"{theirs:.4f}", "load": at})
        where = f"{LATENCY * 1000:.0f} ms latency, one run per point, {time.strftime('%Y-%m-%d')}, {load()}"
        print(f"  {plot(job, title, peer, rows, where)} ({time.perf_counter() - started:.0f} s)")
    with figures.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["job", "size", "neuromodels_s", "peer", "peer_s", "load"])
        writer.writeheader()
        writer.writerows(rows_out)


if __name__ == "__main__":
    main()
