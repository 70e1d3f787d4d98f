"""Upload 2,000 annotations in one AnnotationCollection.save() to the bundled Cytomine server
(its own process, 20 ms injected latency): neuromodels against the Cytomine client's
AnnotationCollection.save() on the same server in the same run.

    python benchmarks/cytomine_upload.py [--client-python PATH] [--n 2000] [--runs 3]

The Cytomine client needs its own virtualenv (cytomine-python-client); without
--client-python (or NEUROMODELS_CYTOMINE_PYTHON) its figures are skipped.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time

from shapely.geometry import box

from _bench import load, median, runs, server
from neuromodels import Annotation, AnnotationCollection, Connection, ImageInstanceCollection

CLIENT_SCRIPT = r"""
import logging, sys, time
from cytomine import Cytomine
from cytomine.models import Annotation, AnnotationCollection
url, public, private, image, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
with Cytomine(url, public, private, verbose=logging.ERROR):
    batch = AnnotationCollection()
    for i in range(n):
        x, y = 20000 + (i % 100) * 50, 20000 + (i // 100) * 50
        batch.append(Annotation(location=f"POLYGON(({x} {y},{x+40} {y},{x+40} {y+40},{x} {y+40},{x} {y}))", id_image=image))
    started = time.perf_counter()
    result = batch.save()
    elapsed = time.perf_counter() - started
    print(f"{elapsed:.3f} {sum(1 for a in batch if getattr(a, 'id', None))} {result is not False}")
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--client-python", default=os.environ.get("NEUROMODELS_CYTOMINE_PYTHON"))
    args = parser.parse_args()
    with server("cytomine", latency=args.latency) as info:
        conn = Connection(info["URL"], backend="cytomine", project=int(info["PROJECT"]),
                          public_key=info["PUBLIC_KEY"], private_key=info["PRIVATE_KEY"], progress=False, timeout=120)
        with conn:
            ours_image, theirs_image = sorted(ImageInstanceCollection().fetch(), key=lambda i: i.id)
            ours, theirs, assigned, their_ids = [], [], 0, 0
            for _ in range(args.runs):  # interleaved, so both see the same machine
                batch = AnnotationCollection(
                    Annotation(geometry=box(20000 + (i % 100) * 50, 20000 + (i // 100) * 50,
                                            20040 + (i % 100) * 50, 20040 + (i // 100) * 50), image=ours_image.id)
                    for i in range(args.n))
                started = time.perf_counter()
                batch.save()
                ours.append(time.perf_counter() - started)
                assigned += sum(1 for a in batch if a.id is not None)
                if args.client_python:
                    out = subprocess.run([args.client_python, "-c", CLIENT_SCRIPT, info["URL"], info["PUBLIC_KEY"],
                                          info["PRIVATE_KEY"], str(theirs_image.id), str(args.n)],
                                         check=True, capture_output=True, text=True).stdout.split()
                    theirs.append(float(out[0]))
                    their_ids += int(out[1])
            stored = AnnotationCollection(image=ours_image.id).count()
            print(f"Cytomine: upload of {args.n:,} annotations in one AnnotationCollection.save(), "
                  f"{args.latency * 1000:.0f} ms latency, server in its own process ({load()})")
            print(f"  neuromodels: median {median(ours):.2f} s (runs: {runs(ours)}); ids assigned: {assigned:,} of "
                  f"{args.n * args.runs:,}; stored on the server: {stored:,}")
            if args.client_python:
                their_stored = AnnotationCollection(image=theirs_image.id).count()
                print(f"  Cytomine client: median {median(theirs):.2f} s (runs: {runs(theirs)}); ids assigned: "
                      f"{their_ids:,}; stored on the server: {their_stored:,}")
                print(f"  speed-up: {median(theirs) / median(ours):.1f}x (target >= 5x)")
            else:
                print("  Cytomine client: skipped (no --client-python)")


if __name__ == "__main__":
    main()
