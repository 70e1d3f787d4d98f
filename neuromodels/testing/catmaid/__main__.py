"""``python -m neuromodels.testing.catmaid [--seed-swc DIR] [--annotation NAME] [--db FILE] [--port N]``

Serves the bundled CATMAID on 127.0.0.1 until interrupted, seeded with the SWC files given, and
prints what a client needs first (``URL=``, ``PROJECT=``, ``TOKEN=``, ``DB=``), so the output can
be sourced by a shell, e.g. for pymaid::

    rm = pymaid.CatmaidInstance(URL, api_token=TOKEN, project_id=PROJECT)

Each seeded neuron is then a shell comment (``# seeded <skeleton id> <name>``). A file that
cannot be imported is named on stderr in one line and skipped; a path that does not exist is a
one-line error (exit status 2) before the server starts.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Sequence

from . import CatmaidServer


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m neuromodels.testing.catmaid",
                                     description="Serve the bundled CATMAID on 127.0.0.1, seeded with your neurons.")
    parser.add_argument("--seed-swc", action="append", default=[], metavar="PATH",
                        help="an .swc file or a folder of them to import (repeatable)")
    parser.add_argument("--annotation", action="append", default=None, metavar="NAME",
                        help="annotation for the seeded neurons (repeatable; default: Import)")
    parser.add_argument("--db", default=None, help="SQLite file to keep the data in (reuse it to keep a dataset)")
    parser.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    args = parser.parse_args(argv)
    files: list[Path] = []
    for source in args.seed_swc:
        path = Path(source)
        if not path.exists():
            print(f"python -m neuromodels.testing.catmaid: --seed-swc {source}: no such file or folder", file=sys.stderr)
            return 2
        files += sorted(path.glob("*.swc")) if path.is_dir() else [path]
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):  # before anything is printed: Ctrl-C at any point ends quietly
        signal.signal(sig, lambda *_: stop.set())
    server = CatmaidServer(db=args.db, port=args.port, latency=args.latency)
    server.start()
    # Throwaway credentials of a loopback test server, printed for the client to use; first, so
    # that the output can be sourced.
    print(f"URL={server.url}\nPROJECT={server.project}\nTOKEN={server.token}\nDB={server.db_path}", flush=True)
    for file in files:
        try:
            seeded = server.add_swc(file, annotations=args.annotation or ["Import"])
        except (ValueError, OSError, UnicodeDecodeError) as e:
            reason = " ".join(str(e).split())[:200]
            print(f"python -m neuromodels.testing.catmaid: skipped {file}: {reason}", file=sys.stderr, flush=True)
            continue
        for name, skid in seeded.items():
            print(f"# seeded {skid} {name}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
