"""Listing 20,000 annotations of a project with their geometries and terms from the bundled
Cytomine (its own process, 20 ms injected latency): neuromodels' AnnotationCollection.fetch()
against the Cytomine client's AnnotationCollection.fetch() on the same server in the same run, and
what the client's own paging (``fetch(max=...)``) loses.

    python benchmarks/cytomine_list.py [--client-python PATH] [--n 20000] [--page 1500]

The Cytomine client needs its own virtualenv (cytomine-python-client); without --client-python
(or NEUROMODELS_CYTOMINE_PYTHON) its figures are skipped. Target: >= 3x the client, complete.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time

from shapely.geometry import box

from _bench import cached_db, cpu_seconds, load, median, runs, server
from neuromodels import Annotation, AnnotationCollection, Connection, ImageInstanceCollection, TermCollection

CLIENT_SCRIPT = r"""
import logging, sys, time
from cytomine import Cytomine
from cytomine.models import AnnotationCollection
url, public, private, project, page = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
with Cytomine(url, public, private, verbose=logging.ERROR):
    started, cpu = time.perf_counter(), time.process_time()
    everything = AnnotationCollection(project=project, showWKT=True, showTerm=True).fetch()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    complete = sum(1 for a in everything if a.location and a.term)
    paged = AnnotationCollection(project=project, showWKT=True, showTerm=True).fetch(max=page)
    print(f"{elapsed:.3f} {cpu:.3f} {len(everything)} {complete} {len(paged)} {len(set(a.id for a in paged))}")
"""


def connect(info: dict[str, str]) -> Connection:
    return Connection(info["URL"], backend="cytomine", project=int(info["PROJECT"]), public_key=info["PUBLIC_KEY"],
                      private_key=info["PRIVATE_KEY"], progress=False, timeout=300)


def seed_annotations(n: int):
    def seed(path: str) -> None:
        with server("cytomine", db=path) as info, connect(info):
            images = sorted(ImageInstanceCollection().fetch(), key=lambda i: i.id)
            terms = [t.id for t in TermCollection(project=int(info["PROJECT"])).fetch()]
            for start in range(0, n, 5000):
                AnnotationCollection(
                    Annotation(geometry=box(1000 + (i % 200) * 60, 1000 + (i // 200) * 60,
                                            1040 + (i % 200) * 60, 1040 + (i // 200) * 60),
                               image=images[i % len(images)].id, terms=[terms[i % len(terms)]])
                    for i in range(start, min(n, start + 5000))).save()
    return seed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--page", type=int, default=1500, help="the client's page size for fetch(max=...)")
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--client-python", default=os.environ.get("NEUROMODELS_CYTOMINE_PYTHON"))
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--list-page", type=int, default=None,
                        help="override the client's page size (an experiment on the declared paging)")
    args = parser.parse_args()
    from neuromodels.backends.cytomine.domains import CommandList

    if args.list_page:  # paging is a declaration on the resource class
        import attrs

        CommandList.paging = attrs.evolve(CommandList.paging, size=args.list_page)
    db = cached_db(f"cytomine-{args.n}-annotations", seed_annotations(args.n), args.fresh)
    with server("cytomine", latency=args.latency, db=db) as info:
        with connect(info):
            ours, ours_cpu, ours_server, theirs, theirs_cpu, theirs_server = [], [], [], [], [], []
            for _ in range(args.runs):  # interleaved, so both see the same machine
                server_cpu, cpu, started = cpu_seconds(info["PID"]), time.process_time(), time.perf_counter()
                listed = AnnotationCollection(project=int(info["PROJECT"])).fetch()
                ours.append(time.perf_counter() - started)
                ours_cpu.append(time.process_time() - cpu)
                ours_server.append(cpu_seconds(info["PID"]) - server_cpu)
                if args.client_python:
                    server_cpu = cpu_seconds(info["PID"])
                    out = subprocess.run([args.client_python, "-c", CLIENT_SCRIPT, info["URL"], info["PUBLIC_KEY"],
                                          info["PRIVATE_KEY"], info["PROJECT"], str(args.page)],
                                         check=True, capture_output=True, text=True).stdout.split()
                    theirs.append(float(out[0]))
                    theirs_cpu.append(float(out[1]))
                    # the server's CPU for their run includes their fetch(max=...) listing: halved
                    theirs_server.append((cpu_seconds(info["PID"]) - server_cpu) / 2)
            complete = sum(1 for a in listed if a.geometry is not None and a.terms)
            print(f"Cytomine: {args.n:,} annotations of a project with geometries and terms, "
                  f"{args.latency * 1000:.0f} ms latency, client pages of {CommandList.paging.size} "
                  f"({load()})")
            print(f"  neuromodels AnnotationCollection(project=...).fetch(): median {median(ours):.2f} s "
                  f"(runs: {runs(ours)}); CPU: client {median(ours_cpu):.2f} s, server {median(ours_server):.2f} s; "
                  f"{len(listed):,} listed, {len({a.id for a in listed}):,} distinct, "
                  f"{complete:,} with geometry and terms")
        if args.client_python:
            total, their_complete, paged, paged_distinct = map(int, out[2:])
            print(f"  Cytomine client AnnotationCollection(...).fetch(): median {median(theirs):.2f} s "
                  f"(runs: {runs(theirs)}); CPU: client {median(theirs_cpu):.2f} s, server about "
                  f"{median(theirs_server):.2f} s; {total:,} listed, {their_complete:,} with geometry and terms")
            print(f"  Cytomine client fetch(max={args.page}) (its paging): {paged:,} listed, {paged_distinct:,} distinct: "
                  f"{args.n - paged_distinct:,} lost")
            print(f"  speed-up: {median(theirs) / median(ours):.1f}x (target >= 3x); in CPU (client + server): "
                  f"{(median(theirs_cpu) + median(theirs_server)) / (median(ours_cpu) + median(ours_server)):.1f}x")
        else:
            print("  Cytomine client: skipped (no --client-python)")


if __name__ == "__main__":
    main()
