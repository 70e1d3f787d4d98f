"""The read cache's trade-off: requests saved against how long another client's write stays
unseen, for a few values of ``cache_ttl``, on the bundled CATMAID.

A reader re-reads one neuron every ``--every`` seconds for ``--seconds`` while another client
(no cache) renames it every ``--write-every`` seconds. Printed per TTL: the reader's requests,
the share of reads that returned a name already replaced, and the longest a rename stayed unseen.

    python benchmarks/cache_ttl.py [--seconds 9] [--every 0.05] [--write-every 3] [--latency 0.01]
"""

from __future__ import annotations

import argparse
import os
import threading
import time

from neuromodels import Connection, Neuron
from neuromodels.testing import connect, serve


def run(server, skid: int, ttl: float | None, seconds: float, every: float, write_every: float) -> tuple[int, int, float, float]:
    truth = {"name": "v0", "since": time.monotonic()}
    lock = threading.Lock()
    stop = threading.Event()

    def writer() -> None:
        version = 0
        with connect(server, progress=False):
            while not stop.wait(write_every):
                version += 1
                name = f"v{version}"
                Neuron.fetch(skid).update(name=name)
                with lock:
                    truth["name"], truth["since"] = name, time.monotonic()

    with connect(server, progress=False):
        Neuron.fetch(skid).update(name="v0")
    options = {"cache": True, "cache_ttl": ttl} if ttl else {}
    reader = Connection(server.url, backend="catmaid", project=server.project, token=server.token,
                        progress=False, **options)
    thread = threading.Thread(target=writer)
    reads = stale = 0
    longest = 0.0
    sent = []
    reader.transport.session.hooks["response"].append(lambda response, *a, **k: sent.append(1))
    thread.start()
    ended = time.monotonic() + seconds
    try:
        with reader:
            while time.monotonic() < ended:
                name = Neuron.fetch(skid, nodes=False).name
                with lock:
                    current, since = truth["name"], truth["since"]
                reads += 1
                if name != current:
                    stale += 1
                    longest = max(longest, time.monotonic() - since)
                time.sleep(every)
    finally:
        stop.set()
        thread.join()
    return reads, len(sent), stale / max(reads, 1), longest


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=9.0)
    parser.add_argument("--every", type=float, default=0.05)
    parser.add_argument("--write-every", type=float, default=3.0)
    parser.add_argument("--latency", type=float, default=0.01)
    args = parser.parse_args()
    with serve("catmaid", latency=args.latency) as server:
        with connect(server, progress=False):
            skid = Neuron.from_swc("1 1 0 0 0 1 -1\n2 3 10 0 0 1 1\n", name="v0").save().id
        print(f"reader every {args.every * 1000:.0f} ms for {args.seconds:g} s, another client renames every "
              f"{args.write_every:g} s, {args.latency * 1000:.0f} ms latency")
        print(f"{'cache_ttl':>10}  {'reads':>5}  {'requests':>8}  {'stale reads':>11}  {'longest unseen':>14}")
        for ttl in (None, 0.25, 1.0, 2.0):
            reads, requests, stale, longest = run(server, skid, ttl, args.seconds, args.every, args.write_every)
            label = "no cache" if ttl is None else f"{ttl:g} s"
            print(f"{label:>10}  {reads:>5}  {requests:>8}  {stale:>10.0%}  {longest:>12.2f} s")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
