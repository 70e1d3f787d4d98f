"""A whole-project node table on a cluster: 10,000 small neurons from the bundled CATMAID (its
own process, 20 ms latency), ``to_dask(table="nodes")`` reduced on a dask.distributed
LocalCluster with worker processes, against ``fetch()`` and the same table built in one process.
Each side runs in its own subprocess, so each peak memory is that side's alone: the driver's
resident-set peak (``ru_maxrss``) and its Python allocations' peak (tracemalloc).

    python benchmarks/dask_tables.py [--neurons 10000] [--nodes 30] [--workers 2] [--partition 200]

The driver of the dask pull lists the ids, fetches one neuron for the columns and receives only
the reduction (nodes per skeleton and the table's length), never the table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from _bench import cached_db, load, server
from neuromodels import Connection, NeuronCollection
from neuromodels.demo import synthetic_neuron

SIDE = r"""
import json, resource, sys, time, tracemalloc
side, url, project, token, workers, partition = sys.argv[1:7]
from neuromodels import Connection, NeuronCollection
import pandas as pd
if side == "dask":
    import dask.dataframe, distributed  # imported before the clock and the tracing start: not the pull's cost
tracemalloc.start()
with Connection(url, backend="catmaid", project=int(project), token=token, progress=False, timeout=300):
    if side == "fetch":
        started = time.perf_counter()
        neurons = NeuronCollection(annotation="benchmark").fetch()
        table = pd.concat([n.nodes.assign(skeleton_id=n.id) for n in neurons], ignore_index=True)
        per_skeleton = table.groupby("skeleton_id").size()
        elapsed = time.perf_counter() - started
        rows, table_mb = len(table), table.memory_usage(deep=True).sum() / 1e6
    else:
        from distributed import Client, LocalCluster
        with LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True, dashboard_address=None,
                          host="127.0.0.1", silence_logs=40) as cluster, Client(cluster) as client:
            # A cluster is long-lived: its workers have imported the library before a pull.
            client.run(lambda: __import__("neuromodels.backends.catmaid.neurons") and None)
            tracemalloc.reset_peak()
            started = time.perf_counter()
            ddf = NeuronCollection(annotation="benchmark").to_dask(table="nodes", partition_size=int(partition))
            graph = time.perf_counter() - started
            per_skeleton = ddf.groupby("skeleton_id").size().compute()
            rows = int(per_skeleton.sum())
            elapsed = time.perf_counter() - started
            table_mb = None
        sys.stderr.write(f"graph {graph:.2f} s\n")
_, peak = tracemalloc.get_traced_memory()
print(json.dumps({"seconds": elapsed, "rows": rows, "skeletons": len(per_skeleton), "table_mb": table_mb,
                  "traced_peak_mb": peak / 1e6, "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3}))
"""


def seed_neurons(neurons: int, nodes: int):
    def seed(path: str) -> None:
        with server("catmaid", db=path) as info:
            with Connection(info["URL"], backend="catmaid", project=int(info["PROJECT"]), token=info["TOKEN"],
                            progress=False, timeout=300):
                for start in range(0, neurons, 1000):
                    batch = NeuronCollection(synthetic_neuron(seed, n_nodes=nodes)
                                             for seed in range(start, min(neurons, start + 1000)))
                    for n in batch:
                        n.annotations = ["benchmark"]
                    batch.save()
    return seed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--neurons", type=int, default=10000)
    parser.add_argument("--nodes", type=int, default=30)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--partition", type=int, default=200)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    db = cached_db(f"catmaid-{args.neurons}x{args.nodes}", seed_neurons(args.neurons, args.nodes), args.fresh)
    with server("catmaid", latency=args.latency, db=db) as info:
        results = {}
        for side in ("fetch", "dask"):
            out = subprocess.run([sys.executable, "-c", SIDE, side, info["URL"], info["PROJECT"], info["TOKEN"],
                                  str(args.workers), str(args.partition)], check=True, capture_output=True, text=True)
            results[side] = json.loads(out.stdout.strip().splitlines()[-1])
            results[side]["log"] = out.stderr.strip().splitlines()[-1:] if out.stderr.strip() else []
        local, pulled = results["fetch"], results["dask"]
        assert local["rows"] == pulled["rows"] == args.neurons * args.nodes, (local, pulled)
        assert local["skeletons"] == pulled["skeletons"] == args.neurons
        print(f"node table of {args.neurons:,} neurons x {args.nodes} nodes ({local['rows']:,} rows, "
              f"{local['table_mb']:.0f} MB as a DataFrame), {args.latency * 1000:.0f} ms latency ({load()})")
        print(f"  fetch() + the table in one process: {local['seconds']:.2f} s; peak: Python allocations "
              f"{local['traced_peak_mb']:.0f} MB, resident set {local['rss_peak_mb']:.0f} MB")
        print(f"  to_dask(table='nodes') reduced on LocalCluster({args.workers} worker processes), partitions of "
              f"{args.partition}: {pulled['seconds']:.2f} s = {pulled['seconds'] / local['seconds']:.2f}x; driver peak: "
              f"Python allocations {pulled['traced_peak_mb']:.0f} MB, resident set {pulled['rss_peak_mb']:.0f} MB "
              f"(imports of dask and distributed included) {pulled['log']}")


if __name__ == "__main__":
    main()
