"""Change the term of 200 annotations, then delete 500, on the bundled Cytomine server (its own
process, 20 ms injected latency): neuromodels against the Cytomine client on the same server in
the same run, counting the HTTP requests each sends.

    python benchmarks/cytomine_terms_delete.py [--client-python PATH] [--terms 200] [--delete 500]

Cytomine has no bulk route for changing terms or deleting annotations. neuromodels changes a term
with one request where the server has ``clearBefore`` (the Spring core does; the bundled server
does not yet, so here it is add + delete, two requests, after one probe) and sends every request
in parallel (``max_workers``, default 8), with a progress bar on a terminal. The Cytomine client
sends one request at a time: ``AnnotationTerm(...).save()`` and ``.delete()`` per annotation,
``Annotation.delete()`` per annotation.

The Cytomine client needs its own virtualenv (cytomine-python-client 4.x); without
--client-python (or NEUROMODELS_CYTOMINE_PYTHON) its figures are skipped.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

from shapely.geometry import box

from neuromodels import Annotation, AnnotationCollection, Connection, ImageInstanceCollection, TermCollection

CLIENT_SCRIPT = r"""
import logging, sys, time
import requests
from cytomine import Cytomine
from cytomine.models import Annotation, AnnotationCollection, AnnotationTerm
url, public, private, image, old, new, n_terms, n_delete = sys.argv[1:4] + [int(v) for v in sys.argv[4:]]
sent = [0]
real_send = requests.Session.send
def counting_send(self, request, **kw):
    sent[0] += 1
    return real_send(self, request, **kw)
requests.Session.send = counting_send

def make(n, y0):
    batch = AnnotationCollection()
    for i in range(n):
        x, y = 1000 + (i % 100) * 50, y0 + (i // 100) * 50
        batch.append(Annotation(location=f"POLYGON(({x} {y},{x+40} {y},{x+40} {y+40},{x} {y+40},{x} {y}))",
                                id_image=image, id_terms=[old]))
    batch.save()
    return [a.id for a in AnnotationCollection(image=image, showWKT=False).fetch() if a.id]

with Cytomine(url, public, private, verbose=logging.ERROR):
    ids = make(n_terms, 1000)
    sent[0] = 0
    started = time.perf_counter()
    for aid in ids:
        AnnotationTerm(aid, new).save()
        AnnotationTerm(aid, old).delete(id=-1)
    terms_s, terms_n = time.perf_counter() - started, sent[0]
    for aid in ids:
        Annotation().delete(id=aid)
    ids = make(n_delete, 5000)
    sent[0] = 0
    started = time.perf_counter()
    for aid in ids:
        Annotation().delete(id=aid)
    delete_s, delete_n = time.perf_counter() - started, sent[0]
    left = len(AnnotationCollection(image=image).fetch())
    print(f"{terms_s:.3f} {terms_n} {len(ids)} {delete_s:.3f} {delete_n} {left}")
"""


def start_server(latency: float, db: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen([sys.executable, "-m", "neuromodels.cli", "serve", "cytomine", "--db", db,
                             "--latency", str(latency)], stdout=subprocess.PIPE, text=True)
    info: dict[str, str] = {}
    while "DB" not in info:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            raise RuntimeError("server did not start")
        key, _, value = line.strip().partition("=")
        info[key] = value
    return proc, info


class Counter:
    """Counts the HTTP requests a connection sends (a requests response hook)."""

    def __init__(self, conn: Connection) -> None:
        self.n = 0
        conn.transport.session.hooks["response"].append(self.count)

    def count(self, response: Any, **kwargs: Any) -> None:
        self.n += 1


def batch(n: int, y0: int, image: int, term: int) -> AnnotationCollection:
    return AnnotationCollection(
        Annotation(geometry=box(1000 + (i % 100) * 50, y0 + (i // 100) * 50, 1040 + (i % 100) * 50,
                                y0 + 40 + (i // 100) * 50), image=image, terms=[term])
        for i in range(n)).save()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--terms", type=int, default=200)
    parser.add_argument("--delete", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--client-python", default=os.environ.get("NEUROMODELS_CYTOMINE_PYTHON"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc, info = start_server(args.latency, f"{tmp}/bench.sqlite")
        try:
            conn = Connection(info["URL"], backend="cytomine", project=int(info["PROJECT"]),
                              public_key=info["PUBLIC_KEY"], private_key=info["PRIVATE_KEY"], progress=False, timeout=120)
            with conn:
                ours_image, theirs_image = sorted(ImageInstanceCollection().fetch(), key=lambda i: i.id)[:2]
                old, new = [t.id for t in TermCollection(project=conn.project).fetch()][:2]
                counter = Counter(conn)
                changed = batch(args.terms, 1000, ours_image.id, old)
                for a in changed:
                    a.terms = [new]
                counter.n = 0
                started = time.perf_counter()
                changed.save()
                terms_s, terms_n = time.perf_counter() - started, counter.n
                assert all(Annotation.fetch(a.id).terms == [new] for a in changed[:5])
                changed.delete()
                doomed = batch(args.delete, 5000, ours_image.id, old)
                counter.n = 0
                started = time.perf_counter()
                doomed.delete()
                delete_s, delete_n = time.perf_counter() - started, counter.n
                left = AnnotationCollection(image=ours_image.id).count()
                print(f"({args.latency * 1000:.0f} ms latency, separate server process, max_workers={conn.max_workers})")
                print(f"neuromodels  change the term of {args.terms}: {terms_s:6.2f} s, {terms_n} requests")
                print(f"neuromodels  delete {args.delete}:                {delete_s:6.2f} s, {delete_n} requests; "
                      f"left on the image: {left}")
                if args.client_python:
                    out = subprocess.run([args.client_python, "-c", CLIENT_SCRIPT, info["URL"], info["PUBLIC_KEY"],
                                          info["PRIVATE_KEY"], str(theirs_image.id), str(old), str(new),
                                          str(args.terms), str(args.delete)],
                                         check=True, capture_output=True, text=True).stdout.split()
                    c_terms_s, c_terms_n, _, c_delete_s, c_delete_n, c_left = out
                    print(f"Cytomine client change the term of {args.terms}: {float(c_terms_s):6.2f} s, "
                          f"{c_terms_n} requests")
                    print(f"Cytomine client delete {args.delete}:                {float(c_delete_s):6.2f} s, "
                          f"{c_delete_n} requests; left on the image: {c_left}")
                    print(f"speed-up: terms {float(c_terms_s) / terms_s:.1f}x, delete {float(c_delete_s) / delete_s:.1f}x")
                else:
                    print("Cytomine client: skipped (no --client-python)")
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
