"""How long ``import neuromodels`` takes, and which packages the time goes to.

Each run is a fresh interpreter. Printed: the median in-process time of ``import neuromodels``
(target: <= 0.25 s), the wall time of a whole ``python -c "import neuromodels"`` and of
``neuromodels --help``, and from ``python -X importtime`` the top-level packages the import pulls
in with their cumulative time — the ones worth loading on first use instead (pandas, numpy,
shapely, requests).

    python benchmarks/import_time.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

TARGET = 0.25
PROBE = "import time; t = time.perf_counter(); import neuromodels; print(time.perf_counter() - t)"


def in_process(runs: int) -> list[float]:
    return [float(subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout)
            for _ in range(runs)]


def wall(argv: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return times


def by_package() -> dict[str, float]:
    """Cumulative import time (s) of each top-level package imported directly or indirectly."""
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", "import neuromodels"],
                         capture_output=True, text=True, check=True).stderr
    totals: dict[str, float] = {}
    for line in err.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, self_us, cumulative_us, name = (part.strip() for part in line.replace("import time:", "|", 1).split("|"))
        if "." not in name.strip():  # a top-level package: its cumulative time covers its own imports
            totals[name.strip()] = max(totals.get(name.strip(), 0.0), int(cumulative_us) / 1e6)
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    cli = os.path.join(os.path.dirname(sys.executable), "neuromodels")

    imported = in_process(args.runs)
    median = statistics.median(imported)
    print(f"import neuromodels (in process, median of {args.runs}): {median:.3f} s  "
          f"[min {min(imported):.3f}, max {max(imported):.3f}]  target <= {TARGET} s: "
          f"{'met' if median <= TARGET else 'MISSED'}")
    print(f"python -c 'import neuromodels' (whole process, median): "
          f"{statistics.median(wall([sys.executable, '-c', 'import neuromodels'], args.runs)):.3f} s")
    print(f"python -c 'pass' (interpreter alone, median): "
          f"{statistics.median(wall([sys.executable, '-c', 'pass'], args.runs)):.3f} s")
    if os.path.exists(cli):
        print(f"neuromodels --help (median): {statistics.median(wall([cli, '--help'], args.runs)):.3f} s")

    packages = by_package()
    print("\nTop-level packages loaded by `import neuromodels` (cumulative import time, one run):")
    for name, seconds in sorted(packages.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {name:<22} {seconds * 1e3:7.1f} ms")
    heavy = [name for name in ("pandas", "numpy", "shapely", "requests", "urllib3") if name in packages]
    print(f"\nloaded at import although only needed on first use: {', '.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()
