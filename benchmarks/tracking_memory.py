"""Memory of a bulk fetch with change tracking: neurons x nodes from the bundled CATMAID (its own
process, so only the client's allocations count), measured with tracemalloc against the size of
the DataFrames the fetch produced.

    python benchmarks/tracking_memory.py [--neurons 200] [--nodes 5000] [--latency 0] [--chunk N]

Prints two ratios (targets: retained <= 1.1x, peak during the fetch <= 1.5x the DataFrames),
the peak resident set size of the process for comparison (tracemalloc sees Python and numpy
allocations, not the C tokenizer's own buffers), and checks that an in-place edit of a loaded node
table is still detected. ``--chunk`` overrides the skeletons per compact-detail request.
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
import tracemalloc

from _bench import load, server
from catmaid_wire import catmaid_db
from neuromodels import Connection, NeuronCollection
from neuromodels.backends.catmaid import resources as catmaid_resources


def frames_size(neurons: NeuronCollection) -> int:
    total = 0
    for n in neurons:
        for frame in (n.nodes, n.connectors):
            if frame is not None:
                total += int(frame.memory_usage(deep=True, index=True).sum())
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--neurons", type=int, default=200)
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--chunk", type=int, default=None, help="skeletons per compact-detail request")
    args = parser.parse_args()
    if args.chunk:
        catmaid_resources.DETAIL_CHUNK = args.chunk
    db = catmaid_db(args.neurons, args.nodes)
    with server("catmaid", latency=args.latency, db=db) as info:
        with Connection(info["URL"], backend="catmaid", project=int(info["PROJECT"]), token=info["TOKEN"],
                        progress=False, timeout=300):
            skids = [n.id for n in NeuronCollection(annotation="benchmark").fetch(nodes=False)]
            assert len(skids) == args.neurons, len(skids)
            NeuronCollection(ids=skids[:16]).fetch()  # imports, connections and server caches warm
            gc.collect()
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            tracemalloc.start()
            baseline = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            started = time.perf_counter()
            fetched = NeuronCollection(ids=skids).fetch()
            elapsed = time.perf_counter() - started
            gc.collect()
            current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            size = frames_size(fetched)
            retained, during = (current - baseline) / size, (peak - baseline) / size
            print(f"CATMAID {args.neurons} x {args.nodes:,} nodes, {args.latency * 1000:.0f} ms latency, "
                  f"fetched in {elapsed:.2f} s under tracemalloc ({load()})")
            print(f"  DataFrames: {size / 1e6:.1f} MB; retained after the fetch {(current - baseline) / 1e6:.1f} MB "
                  f"= {retained:.2f}x (target <= 1.1x); peak during the fetch {(peak - baseline) / 1e6:.1f} MB "
                  f"= {during:.2f}x (target <= 1.5x)")
            print(f"  peak resident set size grew by {(rss_after - rss_before) / 1e3:.0f} MB during the fetch "
                  f"({(rss_after - rss_before) * 1e3 / size:.2f}x the DataFrames; ru_maxrss, includes the tokenizer's buffers)")
            n = fetched[0]
            n.nodes.loc[n.nodes.index[3], "x"] += 100.0
            print(f"  in-place edit of a loaded node table detected: {'nodes' in n.changes()}")


if __name__ == "__main__":
    main()
