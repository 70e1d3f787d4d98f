"""Pull 1,000 neurons from the bundled CATMAID (its own process, 20 ms latency per request):
``NeuronCollection(...).fetch()`` in this process against ``to_dask().compute()`` on a
dask.distributed LocalCluster with worker processes.

    python benchmarks/dask_pull.py [--neurons 1000] [--nodes 300] [--workers 2] [--partition 100]

Needs the dask extra (pip install '.[dask]'). On a machine with few cores the
cluster mostly adds overhead; it pays off where the workers are on other machines, or where
parsing, not the server, is the bottleneck.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time

from neuromodels import Connection, NeuronCollection
from neuromodels.demo import synthetic_neuron


def start_server(latency: float, db: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen([sys.executable, "-m", "neuromodels.cli", "serve", "catmaid", "--db", db,
                             "--latency", str(latency)], stdout=subprocess.PIPE, text=True)
    info: dict[str, str] = {}
    while len(info) < 4:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            raise RuntimeError("server did not start")
        key, _, value = line.strip().partition("=")
        info[key] = value
    return proc, info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--neurons", type=int, default=1000)
    parser.add_argument("--nodes", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--partition", type=int, default=100)
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory() as tmp:
        proc, info = start_server(args.latency, f"{tmp}/bench.sqlite")
        try:
            conn = Connection(info["URL"], backend="catmaid", project=int(info["PROJECT"]), token=info["TOKEN"],
                              progress=False, timeout=120)
            with conn:
                started = time.perf_counter()
                batch = NeuronCollection(synthetic_neuron(seed, n_nodes=args.nodes, name=f"bench {seed}")
                                         for seed in range(args.neurons))
                for n in batch:
                    n.annotations = ["benchmark"]
                batch.save()
                print(f"seeded {args.neurons} neurons x {args.nodes} nodes in {time.perf_counter() - started:.1f} s "
                      f"(server: separate process, {args.latency * 1000:.0f} ms latency per request)")

                started = time.perf_counter()
                local = NeuronCollection(annotation="benchmark").fetch().to_dataframe()
                fetch_s = time.perf_counter() - started
                print(f"fetch() + to_dataframe() here: {fetch_s:.2f} s ({len(local)} rows)")

                with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None, host="127.0.0.1", silence_logs=40) as cluster, \
                        Client(cluster):
                    started = time.perf_counter()
                    ddf = NeuronCollection(annotation="benchmark").to_dask(partition_size=args.partition)
                    built = time.perf_counter() - started
                    frame = ddf.compute()
                    dask_s = time.perf_counter() - started
                    assert sorted(frame["id"]) == sorted(local["id"]), "the pull differs from fetch()"
                    print(f"to_dask().compute() on LocalCluster({args.workers} worker processes), "
                          f"{ddf.npartitions} partitions: {dask_s:.2f} s (graph built in {built:.2f} s), "
                          f"{dask_s / fetch_s:.2f}x the time of fetch(); same {len(frame)} rows")
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
