"""Clio: an upsert of 10,000 body annotations in one AnnotationCollection.save() and a read-back
of all of them by id, against the bundled Clio store (its own process, 20 ms injected latency):
time and number of HTTP requests of each (counted from the client's request log).

    python benchmarks/clio_upsert.py [--n 10000] [--latency 0.02]
"""

from __future__ import annotations

import argparse
import logging
import time

from _bench import load, server
from neuromodels import Annotation, AnnotationCollection, Connection


class RequestCounter(logging.Handler):
    """Counts the transport's one debug line per answered request."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if " -> " in record.getMessage():
            self.count += 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--latency", type=float, default=0.02)
    args = parser.parse_args()
    counter = RequestCounter()
    logger = logging.getLogger("neuromodels")
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    base = 700_000_000
    with server("clio", latency=args.latency) as info:
        with Connection(info["URL"], backend="clio", project=info["PROJECT"], token=info["TOKEN"], progress=False,
                        timeout=300):
            batch = AnnotationCollection(
                Annotation(id=base + i, properties={"hemilineage": f"{i % 40:02d}B", "soma_side": "LHS" if i % 2 else "RHS",
                                                    "status": "draft"})
                for i in range(args.n))
            counter.count = 0
            started = time.perf_counter()
            batch.save()
            upsert, upsert_requests = time.perf_counter() - started, counter.count
            counter.count = 0
            started = time.perf_counter()
            back = AnnotationCollection(ids=[base + i for i in range(args.n)]).fetch()
            read, read_requests = time.perf_counter() - started, counter.count
            same = sum(1 for i, a in enumerate(back)
                       if a.id == base + i and a.properties.get("hemilineage") == f"{i % 40:02d}B")
            print(f"Clio: {args.n:,} body annotations, {args.latency * 1000:.0f} ms latency, separate server process "
                  f"({load()})")
            print(f"  upsert AnnotationCollection.save(): {upsert:.2f} s in {upsert_requests} requests")
            print(f"  read-back AnnotationCollection(ids=...).fetch(): {read:.2f} s in {read_requests} requests; "
                  f"{same:,} of {args.n:,} read back as written, in the order asked")


if __name__ == "__main__":
    main()
