"""The property-based tests of reply shapes with thousands of generated cases per endpoint family
(CATMAID, Cytomine, Clio, NeuroMorpho): each case replays an operation's recorded replies with
one of them mutated (a key dropped, null, another type, a string for a number, a list for an
object, nesting 600 deep, invalid WKT, broken JSON) and checks that only typed errors come out and
that no create is left to be sent again. Prints the cases run, failures and time per family.

    python benchmarks/reply_shapes.py [--examples 5000] [--only catmaid,clio]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAMILIES = ("catmaid", "cytomine", "clio", "neuromorpho")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=5000, help="generated cases per endpoint family")
    parser.add_argument("--only", default="", help="comma-separated families: " + ", ".join(FAMILIES))
    args = parser.parse_args()
    families = [f for f in args.only.split(",") if f] or list(FAMILIES)
    env = {**os.environ, "NEUROMODELS_HYPOTHESIS_EXAMPLES": str(args.examples),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    print(f"reply shapes: {args.examples} cases per family; load {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    bad = 0
    for family in families:
        started = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics",
             str(ROOT / "tests/faults/test_reply_shapes.py"), "-k", f"mutated and {family}"],
            env=env, capture_output=True, text=True, cwd=ROOT)
        seconds = time.perf_counter() - started
        passing = [line.strip() for line in run.stdout.splitlines() if "passing," in line or "Stopped because" in line]
        verdict = "passed" if run.returncode == 0 else "FAILED"
        bad += run.returncode != 0
        stats = "; ".join(passing)
        print(f"{family:12s} {verdict:7s} {seconds:7.1f} s   {stats}"
              f"   load {' '.join(f'{v:.1f}' for v in os.getloadavg())}", flush=True)
        if run.returncode != 0:
            print(run.stdout[-3000:])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
