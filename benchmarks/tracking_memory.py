"""Memory of change tracking: a bulk fetch of 200 neurons x 5,000 nodes from the bundled CATMAID,
measured with tracemalloc against the size of the DataFrames it produced.

    python benchmarks/tracking_memory.py [--neurons 200] [--nodes 5000]

Prints two ratios (targets: retained <= 1.1x, peak during the fetch <= 1.5x the DataFrames) and
checks that an in-place edit of a loaded node table is still detected.
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc

from neuromodels import Connection, NeuronCollection
from neuromodels.demo import synthetic_neuron
from neuromodels.testing import serve


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
    args = parser.parse_args()
    with serve("catmaid") as server:
        with Connection(server.url, backend="catmaid", project=server.project, token=server.token,
                        progress=False, timeout=120):
            started = time.perf_counter()
            batch = NeuronCollection(synthetic_neuron(seed, n_nodes=args.nodes) for seed in range(args.neurons)).save()
            skids = [n.id for n in batch]
            del batch
            print(f"seeded {args.neurons} neurons x {args.nodes} nodes in {time.perf_counter() - started:.1f} s")
            NeuronCollection(ids=skids[:2]).fetch()  # imports and connections warmed up
            gc.collect()
            tracemalloc.start()
            baseline = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            fetched = NeuronCollection(ids=skids).fetch()
            gc.collect()
            current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            size = frames_size(fetched)
            retained, during = (current - baseline) / size, (peak - baseline) / size
            print(f"DataFrames: {size / 1e6:.1f} MB; retained after the fetch {(current - baseline) / 1e6:.1f} MB "
                  f"= {retained:.2f}x (target <= 1.1x); peak during the fetch {(peak - baseline) / 1e6:.1f} MB "
                  f"= {during:.2f}x (target <= 1.5x)")
            n = fetched[0]
            n.nodes.loc[n.nodes.index[3], "x"] += 100.0
            print(f"in-place edit of a loaded node table detected: {'nodes' in n.changes()}")


if __name__ == "__main__":
    main()
