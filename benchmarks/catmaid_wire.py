"""Closer to the wire: fetching 200 neurons x 5,000 nodes from the bundled CATMAID (its own
process, no injected latency) against downloading the same compact-detail responses with plain
``requests`` at the same parallelism, in the same run, interleaved.

    python benchmarks/catmaid_wire.py [--neurons 200] [--nodes 5000] [--runs 7] [--chunk N]

Target: neuromodels <= 1.5x the raw download. Also printed: the CPU time of parsing the same
bodies into Neurons in one thread (against orjson.loads of the bodies), which is what the ratio
pays for. ``--chunk`` overrides the skeletons per compact-detail request for this run (an
experiment on the client's CatmaidNeuron.detail_chunk; the raw download uses the same chunks).
"""

from __future__ import annotations

import argparse
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor

import orjson
import requests

from _bench import cached_db, cpu_seconds, load, median, runs, server
from neuromodels import Connection, NeuronCollection
from neuromodels.backends.catmaid.compact import neurons_from_compact_many
from neuromodels.demo import synthetic_neuron


def seed_catmaid(neurons: int, nodes: int):
    def seed(path: str) -> None:
        with server("catmaid", db=path) as info:
            with Connection(info["URL"], backend="catmaid", project=int(info["PROJECT"]), token=info["TOKEN"],
                            progress=False, timeout=300):
                for start in range(0, neurons, 100):
                    batch = NeuronCollection(synthetic_neuron(seed, n_nodes=nodes)
                                             for seed in range(start, min(neurons, start + 100)))
                    for n in batch:
                        n.annotations = ["benchmark"]
                    batch.save()
    return seed


def catmaid_db(neurons: int, nodes: int, fresh: bool = False) -> str:
    return cached_db(f"catmaid-{neurons}x{nodes}", seed_catmaid(neurons, nodes), fresh)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--neurons", type=int, default=200)
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--chunk", type=int, default=None, help="skeletons per compact-detail request")
    parser.add_argument("--fresh", action="store_true", help="seed a new database")
    parser.add_argument("--pin", action="store_true",
                        help="server on core 0, this client on core 1 (taskset), for an account of the bound")
    args = parser.parse_args()
    if args.chunk:
        from neuromodels.backends.catmaid.neurons import CatmaidNeuron

        CatmaidNeuron.detail_chunk = args.chunk  # an experiment knob: a class declaration
    from neuromodels.backends.catmaid.neurons import CatmaidNeuron

    chunk_limit = CatmaidNeuron.detail_chunk

    db = catmaid_db(args.neurons, args.nodes, args.fresh)
    if args.pin:
        os.sched_setaffinity(0, {1})
    with server("catmaid", db=db, cpus="0" if args.pin else None) as info:
        conn = Connection(info["URL"], backend="catmaid", project=int(info["PROJECT"]), token=info["TOKEN"],
                          progress=False, timeout=120)
        with conn:
            skids = [n.id for n in NeuronCollection(annotation="benchmark").fetch(nodes=False)]
            assert len(skids) == args.neurons, len(skids)
            workers = conn.max_workers
            # The client's chunking: as many skeletons per request as spreads them over the workers.
            size = max(1, min(chunk_limit, math.ceil(len(skids) / workers)))
            parts = [skids[i : i + size] for i in range(0, len(skids), size)]
            session = requests.Session()
            session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=workers))
            url = f"{info['URL']}/{info['PROJECT']}/skeletons/compact-detail"
            headers = {"X-Authorization": f"Token {info['TOKEN']}"}

            def download(part: list[int]) -> bytes:
                form = [(f"skeleton_ids[{i}]", str(s)) for i, s in enumerate(part)]
                form += [("with_connectors", "true"), ("with_tags", "true")]
                response = session.post(url, data=form, headers=headers, timeout=120)
                response.raise_for_status()
                return response.content

            NeuronCollection(ids=skids[:workers]).fetch()  # connections and server caches warm
            raw: list[float] = []
            ours: list[float] = []
            raw_cpu: list[float] = []
            ours_cpu: list[float] = []
            raw_server: list[float] = []
            ours_server: list[float] = []
            with ThreadPoolExecutor(workers) as pool:
                for _ in range(args.runs):
                    server_started = cpu_seconds(info["PID"])
                    started, cpu_started = time.perf_counter(), time.process_time()
                    bodies = list(pool.map(download, parts))
                    raw.append(time.perf_counter() - started)
                    raw_cpu.append(time.process_time() - cpu_started)
                    raw_server.append(cpu_seconds(info["PID"]) - server_started)
                    server_started = cpu_seconds(info["PID"])
                    started, cpu_started = time.perf_counter(), time.process_time()
                    fetched = NeuronCollection(ids=skids).fetch()
                    ours.append(time.perf_counter() - started)
                    ours_cpu.append(time.process_time() - cpu_started)
                    ours_server.append(cpu_seconds(info["PID"]) - server_started)
                    assert sum(len(n.nodes) for n in fetched) == args.neurons * args.nodes
                    del fetched
            megabytes = sum(map(len, bodies)) / 1e6
            where = "server pinned to core 0, client to core 1" if args.pin else "server and client on any core"
            print(f"CATMAID {args.neurons} x {args.nodes:,} nodes, 0 ms latency, {len(parts)} compact-detail requests "
                  f"of {size} skeletons, {workers} in parallel, {megabytes:.1f} MB, {where} ({load()})")
            print(f"  raw download (requests):          median {median(raw):.3f} s  (runs: {runs(raw)})")
            print(f"  neuromodels NeuronCollection.fetch: median {median(ours):.3f} s  (runs: {runs(ours)})")
            print(f"  ratio: {median(ours) / median(raw):.2f}x the raw download (target <= 1.5x)")
            print(f"  client CPU time (all threads), median: raw download {median(raw_cpu):.3f} s, "
                  f"neuromodels {median(ours_cpu):.3f} s; server CPU: {median(raw_server):.3f} s / "
                  f"{median(ours_server):.3f} s")
            # The bound: with server and client each on its own core, the fetch cannot be shorter than
            # the longer of the two CPU times; the raw download cannot be shorter than the server's.
            floor = max(median(ours_cpu), median(ours_server)) / max(median(raw_cpu), median(raw_server))
            print(f"  CPU bound of the ratio (longer CPU time of either side, ours / raw): {floor:.2f}x")

    # What the ratio pays for: the parse, CPU time in one thread over the same bodies.
    def cpu(fn) -> float:
        times = []
        for _ in range(5):
            started = time.thread_time()
            fn()
            times.append(time.thread_time() - started)
        return min(times)

    parse = cpu(lambda: [neurons_from_compact_many(b) for b in bodies])
    reference = cpu(lambda: [orjson.loads(b) for b in bodies])
    print(f"  parse of the same bodies, one thread: {parse:.3f} s CPU to Neurons with DataFrames "
          f"({megabytes / parse:.0f} MB/s); orjson.loads alone to Python lists: {reference:.3f} s CPU")


if __name__ == "__main__":
    main()
