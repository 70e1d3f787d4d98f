"""Upload 2,000 annotations in one AnnotationCollection.save() to the bundled Cytomine server
(its own process, 20 ms injected latency): neuromodels against the Cytomine client's
AnnotationCollection.save() on the same server in the same run, for two geometry kinds (5-point
boxes and ``Point(...).buffer(2)``, 33-vertex polygons), each run on a new (cold) connection.
Printed beside the times: the CPU each side spent, the server's CPU, and the client's time to
write the WKT, which say where the time goes.

    python benchmarks/cytomine_upload.py [--client-python PATH] [--n 2000] [--runs 3] [--geometry box buffer]

The Cytomine client needs its own virtualenv (cytomine-python-client); without
--client-python (or NEUROMODELS_CYTOMINE_PYTHON) its figures are skipped.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time

import shapely
from shapely.geometry import Point, box

from _bench import cpu_seconds, load, median, runs, server
from neuromodels import Annotation, AnnotationCollection, Connection, ImageInstanceCollection

CLIENT_SCRIPT = r"""
import logging, sys, time
from cytomine import Cytomine
from cytomine.models import Annotation, AnnotationCollection
url, public, private, image, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
with Cytomine(url, public, private, verbose=logging.ERROR):
    from shapely.geometry import Point, box
    kind = sys.argv[6]
    batch = AnnotationCollection()
    for i in range(n):
        x, y = 20000 + (i % 100) * 50, 20000 + (i // 100) * 50
        shape = box(x, y, x + 40, y + 40) if kind == "box" else Point(x + 20, y + 20).buffer(2)
        batch.append(Annotation(location=shape.wkt, id_image=image))
    started, cpu = time.perf_counter(), time.process_time()
    result = batch.save()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"{elapsed:.3f} {cpu:.3f} {sum(1 for a in batch if getattr(a, 'id', None))} {result is not False}")
"""


def shapes(kind: str, n: int) -> list:
    cells = [(20000 + (i % 100) * 50, 20000 + (i // 100) * 50) for i in range(n)]
    if kind == "box":
        return [box(x, y, x + 40, y + 40) for x, y in cells]
    return [Point(x + 20, y + 20).buffer(2) for x, y in cells]


def connect(info: dict[str, str]) -> Connection:
    return Connection(info["URL"], backend="cytomine", project=int(info["PROJECT"]), public_key=info["PUBLIC_KEY"],
                      private_key=info["PRIVATE_KEY"], progress=False, timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--geometry", nargs="+", default=["box", "buffer"], choices=["box", "buffer"])
    parser.add_argument("--client-python", default=os.environ.get("NEUROMODELS_CYTOMINE_PYTHON"))
    args = parser.parse_args()
    for kind in args.geometry:
        with server("cytomine", latency=args.latency) as info:
            with connect(info):
                ours_image, theirs_image = sorted(ImageInstanceCollection().fetch(), key=lambda i: i.id)
            ours, ours_cpu, ours_server, theirs, theirs_cpu, theirs_server = [], [], [], [], [], []
            assigned, their_ids = 0, 0
            geometries = shapes(kind, args.n)
            cpu = time.process_time()
            wkt_time = time.process_time() - cpu if shapely.to_wkt(geometries, rounding_precision=-1) is not None else 0.0
            for _ in range(args.runs):  # interleaved, so both see the same machine
                with connect(info):  # cold: a new connection (and its first TLS-less handshake) each run
                    batch = AnnotationCollection(Annotation(geometry=g, image=ours_image.id) for g in geometries)
                    server_cpu, cpu, started = cpu_seconds(info["PID"]), time.process_time(), time.perf_counter()
                    batch.save()
                    ours.append(time.perf_counter() - started)
                    ours_cpu.append(time.process_time() - cpu)
                    ours_server.append(cpu_seconds(info["PID"]) - server_cpu)
                    assigned += sum(1 for a in batch if a.id is not None)
                if args.client_python:
                    server_cpu = cpu_seconds(info["PID"])
                    out = subprocess.run([args.client_python, "-c", CLIENT_SCRIPT, info["URL"], info["PUBLIC_KEY"],
                                          info["PRIVATE_KEY"], str(theirs_image.id), str(args.n), kind],
                                         check=True, capture_output=True, text=True).stdout.split()
                    theirs_server.append(cpu_seconds(info["PID"]) - server_cpu)
                    theirs.append(float(out[0]))
                    theirs_cpu.append(float(out[1]))
                    their_ids += int(out[2])
            with connect(info):
                stored = AnnotationCollection(image=ours_image.id).count()
                their_stored = AnnotationCollection(image=theirs_image.id).count() if args.client_python else 0
            label = "5-point boxes" if kind == "box" else "Point(...).buffer(2), 33-vertex polygons"
            print(f"Cytomine: upload of {args.n:,} annotations ({label}) in one AnnotationCollection.save(), "
                  f"{args.latency * 1000:.0f} ms latency, cold connection, server in its own process ({load()})")
            print(f"  neuromodels: median {median(ours):.2f} s (runs: {runs(ours)}); CPU: client {median(ours_cpu):.2f} s "
                  f"(of which writing the WKT {wkt_time:.3f} s), server {median(ours_server):.2f} s; ids assigned: "
                  f"{assigned:,} of {args.n * args.runs:,}; stored on the server: {stored:,}")
            if args.client_python:
                print(f"  Cytomine client: median {median(theirs):.2f} s (runs: {runs(theirs)}); CPU: client "
                      f"{median(theirs_cpu):.2f} s, server {median(theirs_server):.2f} s; ids assigned: {their_ids:,}; "
                      f"stored on the server: {their_stored:,}")
                print(f"  speed-up: {median(theirs) / median(ours):.1f}x (target >= 5x)")
            else:
                print("  Cytomine client: skipped (no --client-python)")


if __name__ == "__main__":
    main()
