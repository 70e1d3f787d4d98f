"""``python -m neuromodels.testing.catmaid [--seed-swc DIR] [--annotation NAME] [--db FILE] [--port N]``

Serves the bundled CATMAID on 127.0.0.1 until interrupted, seeded with the SWC files given, and
prints what a client needs (``URL=``, ``PROJECT=``, ``TOKEN=``, ``DB=``), e.g. for pymaid::

    rm = pymaid.CatmaidInstance(URL, api_token=TOKEN, project_id=PROJECT)
"""

from __future__ import annotations

import argparse
import signal
import threading
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
    server = CatmaidServer(db=args.db, port=args.port, latency=args.latency)
    for source in args.seed_swc:
        for name, skid in server.add_swc(source, annotations=args.annotation or ["Import"]).items():
            print(f"SEEDED {skid} {name}")
    server.start()
    # Throwaway credentials of a loopback test server, printed for the client to use.
    print(f"URL={server.url}\nPROJECT={server.project}\nTOKEN={server.token}\nDB={server.db_path}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
