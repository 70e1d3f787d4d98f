"""The read cache: a warm fetch of 200 neurons as a fraction of the cold one, on the bundled
CATMAID with 20 ms injected latency (target <= 10%). The warm fetch copies the node tables parsed
by the cold one (kept beside the cached responses) instead of parsing the bodies again.

    python benchmarks/cache_warm.py [--neurons 200] [--nodes 1000] [--latency 0.02]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from _bench import load
from neuromodels import Connection, NeuronCollection
from neuromodels.demo import synthetic_neuron
from neuromodels.testing import serve


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--neurons", type=int, default=200)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.02)
    args = parser.parse_args()
    with serve("catmaid") as server, tempfile.TemporaryDirectory() as tmp:
        with Connection(server.url, backend="catmaid", project=server.project, token=server.token, progress=False):
            skids = [n.id for n in NeuronCollection(
                synthetic_neuron(seed, n_nodes=args.nodes) for seed in range(args.neurons)).save()]
        server.latency = args.latency
        for label, cache in (("memory", True), ("sqlite file", f"{tmp}/reads.sqlite")):
            cold, warm = [], []
            for _ in range(3):
                with Connection(server.url, backend="catmaid", project=server.project, token=server.token,
                                progress=False, cache=cache) as conn:
                    conn.transport.cache.clear()
                    started = time.perf_counter()
                    NeuronCollection(ids=skids).fetch()
                    cold.append(time.perf_counter() - started)
                    before = server.requests
                    started = time.perf_counter()
                    fetched = NeuronCollection(ids=skids).fetch()
                    warm.append(time.perf_counter() - started)
                    assert server.requests == before and len(fetched) == args.neurons
                    assert conn.transport.cache.parsed_hits > 0  # the tables were copied, not parsed again
            c, w = statistics.median(cold), statistics.median(warm)
            print(f"{label}: {args.neurons} neurons x {args.nodes} nodes, {args.latency * 1000:.0f} ms latency: "
                  f"cold {c:.3f} s, warm {w:.3f} s = {w / c:.0%} of cold (target <= 10%), 0 requests when warm ({load()})")


if __name__ == "__main__":
    main()
