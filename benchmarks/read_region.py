"""Read a 4096 x 4096 region (the whole slice) of the bundled CATMAID's synthetic stack, from
the server in its own process, and check it pixel for pixel.

    python benchmarks/read_region.py [--latency 0.0] [--runs 3] [--mirror 0]

Mirror 0 has 512-pixel tiles (64 tiles), mirrors 1 and 2 have 256-pixel tiles (256 tiles).
Also times scale=0.25 (one zoom level 2 read) and a 1024 x 1024 region.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from neuromodels import Connection, ImageInstance
from neuromodels.testing import synthetic_image


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


def timed(read: "callable", runs: int) -> tuple[float, np.ndarray]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = read()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mirror", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc, info = start_server(args.latency, f"{tmp}/bench.sqlite")
        try:
            conn = Connection(info["URL"], backend="catmaid", project=int(info["PROJECT"]), token=info["TOKEN"],
                              progress=False, timeout=120)
            with conn:
                stack = ImageInstance.fetch(1)
                mirror = stack.extra["mirrors"][args.mirror]
                print(f"stack {stack.width} x {stack.height}, mirror {args.mirror}: source type "
                      f"{mirror['tile_source_type']}, {mirror['tile_width']}-pixel tiles; {conn.max_workers} parallel "
                      f"requests; server in its own process, {args.latency * 1000:.0f} ms latency")
                for label, box, scale in (("4096 x 4096", (0, 0, 4096, 4096), 1.0),
                                          ("4096 x 4096 at scale 0.25", (0, 0, 4096, 4096), 0.25),
                                          ("1024 x 1024 (off the tile grid)", (1000, 1000, 1024, 1024), 1.0)):
                    seconds, region = timed(lambda: stack.read_region(*box, z=5, scale=scale, mirror=args.mirror),
                                            args.runs)
                    h, w = region.shape
                    expected = synthetic_image.region(*box, z=5, out_width=w, out_height=h)
                    same = bool(np.array_equal(region, expected))
                    print(f"  {label}: {seconds:.3f} s median of {args.runs} ({w * h / seconds / 1e6:.1f} Mpixel/s), "
                          f"pixel-exact: {same}")
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
