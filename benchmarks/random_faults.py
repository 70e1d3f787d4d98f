"""A random-fault soak of every writable resource: new objects saved through a chaos proxy in
front of a bundled server (503 with Retry-After before forwarding, a reply dropped after the
server stored it, a reply held back) with ``save()`` repeated until it returns, then counted on
the server: duplicates, missing, rounds and time per resource and seed.

    python benchmarks/random_faults.py [--n 200] [--seeds 1,2,3] [--refuse 0.15] [--lose 0.15] [--slow 0.04]
                                       [--only "catmaid neurons,clio annotations"]

Done when every line shows 0 duplicated, 0 missing, converged within 12 rounds. The servers
run in this process (the proxy and the server share its threads with the client), so times are
those of the whole system on this machine, printed with its load average.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from neuromodels.testing.soak import SCENARIOS, load_average, soak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="objects per resource and seed")
    parser.add_argument("--n-bulk", type=int, default=3000,
                        help="objects per seed of the resources created many per request")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--refuse", type=float, default=0.15)
    parser.add_argument("--lose", type=float, default=0.15)
    parser.add_argument("--slow", type=float, default=0.04)
    parser.add_argument("--max-rounds", type=int, default=12)
    parser.add_argument("--only", default="", help="comma-separated scenarios: " + ", ".join(SCENARIOS))
    args = parser.parse_args()
    logging.getLogger("neuromodels").setLevel(logging.ERROR)  # settling warnings are expected here
    names = [s.strip() for s in args.only.split(",") if s.strip()] or list(SCENARIOS)
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"random faults: refuse {args.refuse:.0%}, lose {args.lose:.0%}, slow {args.slow:.0%}; "
          f"{args.n} objects per resource ({args.n_bulk} where created many per request); seeds {seeds}; load {load_average()}")
    print(f"{'resource':22s} {'seed':>4s} {'stored':>9s} {'dup':>4s} {'miss':>4s} {'rounds':>6s} {'time':>7s}  "
          "fates (pass/refuse/lose/slow)   load")
    bad = 0
    started = time.monotonic()
    for name in names:
        for seed in seeds:
            n = args.n_bulk if SCENARIOS[name].bulk else args.n
            r = soak(name, n=n, seed=seed, refuse=args.refuse, lose=args.lose, slow=args.slow,
                     max_rounds=args.max_rounds)
            f = r.fates
            ok = r.duplicates == 0 and r.missing == 0 and r.converged
            bad += not ok
            print(f"{name:22s} {seed:4d} {r.stored:5d}/{r.items:<4d}{r.duplicates:4d} {r.missing:4d} {r.rounds:6d} "
                  f"{r.seconds:6.1f}s  {f.get('pass', 0)}/{f.get('refuse', 0)}/{f.get('lose', 0)}/{f.get('slow', 0)}"
                  f"   {load_average()}{'' if ok else '  <-- FAILED ' + '; '.join(r.errors)}", flush=True)
    print(f"{len(names) * len(seeds) - bad} of {len(names) * len(seeds)} runs exact and converged "
          f"in {time.monotonic() - started:.0f} s; load {load_average()}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
