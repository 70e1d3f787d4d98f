"""Memory of a bulk fetch with change tracking: neurons x nodes from the bundled CATMAID (its own
process, so only the client's allocations count), measured with tracemalloc against the size of
the DataFrames the fetch produced.

    python benchmarks/tracking_memory.py [--neurons 200] [--nodes 5000] [--latency 0] [--chunk N]

Prints two ratios against the DataFrames (targets: retained <= 1.1x, peak during the fetch
<= 1.5x), each measured two ways: the resident set size of the process sampled every 2 ms (what
the machine pays; freed memory is handed back with malloc_trim before "retained" is read) and tracemalloc
(Python and numpy allocations only: it does not see the arrays pandas' CSV tokenizer allocates,
so since node tables are read that way it under-counts them). Also checks that an in-place edit of
a loaded node table is still detected. ``--chunk`` overrides the skeletons per compact-detail
request.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import threading
import time
import tracemalloc

from _bench import load, server
from catmaid_wire import catmaid_db
from neuromodels import Connection, NeuronCollection


def frames_size(neurons: NeuronCollection) -> int:
    total = 0
    for n in neurons:
        for frame in (n.nodes, n.connectors):
            if frame is not None:
                total += int(frame.memory_usage(deep=True, index=True).sum())
    return total


def trim() -> None:
    """Hand freed memory back to the system (glibc), so the resident set shows what is kept."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def rss() -> int:
    """Resident set size of this process in bytes (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRSS(threading.Thread):
    """Samples the resident set size until stopped; keeps the highest."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = rss()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.002):
            self.peak = max(self.peak, rss())

    def stop(self) -> int:
        self.done.set()
        self.join()
        return max(self.peak, rss())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--neurons", type=int, default=200)
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--chunk", type=int, default=None, help="skeletons per compact-detail request")
    args = parser.parse_args()
    if args.chunk:
        from neuromodels.backends.catmaid.neurons import CatmaidNeuron

        CatmaidNeuron.detail_chunk = args.chunk  # an experiment knob: a class declaration
    db = catmaid_db(args.neurons, args.nodes)
    with server("catmaid", latency=args.latency, db=db) as info:
        with Connection(info["URL"], backend="catmaid", project=int(info["PROJECT"]), token=info["TOKEN"],
                        progress=False, timeout=300):
            skids = [n.id for n in NeuronCollection(annotation="benchmark").fetch(nodes=False)]
            assert len(skids) == args.neurons, len(skids)
            NeuronCollection(ids=skids[:16]).fetch()  # imports, connections and server caches warm
            gc.collect()
            trim()
            before = rss()
            sampler = PeakRSS()
            sampler.start()
            tracemalloc.start()
            baseline = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            started = time.perf_counter()
            fetched = NeuronCollection(ids=skids).fetch()
            elapsed = time.perf_counter() - started
            gc.collect()
            current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            peak_rss = sampler.stop()
            trim()
            after = rss()
            size = frames_size(fetched)
            print(f"CATMAID {args.neurons} x {args.nodes:,} nodes, {args.latency * 1000:.0f} ms latency, "
                  f"fetched in {elapsed:.2f} s while measured ({load()}); DataFrames: {size / 1e6:.1f} MB")
            print(f"  resident set size: retained {(after - before) / 1e6:.1f} MB = {(after - before) / size:.2f}x "
                  f"(target <= 1.1x); peak during the fetch {(peak_rss - before) / 1e6:.1f} MB = "
                  f"{(peak_rss - before) / size:.2f}x (target <= 1.5x)")
            print(f"  tracemalloc (Python and numpy allocations only): retained {(current - baseline) / 1e6:.1f} MB = "
                  f"{(current - baseline) / size:.2f}x; peak {(peak - baseline) / 1e6:.1f} MB = {(peak - baseline) / size:.2f}x")
            n = fetched[0]
            n.nodes.loc[n.nodes.index[3], "x"] += 100.0
            print(f"  in-place edit of a loaded node table detected: {'nodes' in n.changes()}")


if __name__ == "__main__":
    main()
