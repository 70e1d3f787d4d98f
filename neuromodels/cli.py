"""The ``neuromodels`` command: ``demo``, ``serve``, ``ls``."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Sequence


def _serve(args: argparse.Namespace) -> int:
    from .testing import serve

    server = serve(args.backend, db=args.db, port=args.port, latency=args.latency).start()
    # Throwaway credentials of a loopback test server: the one place credentials are printed.
    print(f"URL={server.url}")
    if server.project is not None:  # NeuroMorpho.org has no projects
        print(f"PROJECT={server.project}")
    if server.token:
        print(f"TOKEN={server.token}")
    if server.public_key:
        print(f"PUBLIC_KEY={server.public_key}")
        print(f"PRIVATE_KEY={server.private_key}")
    print(f"DB={server.db_path}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run

    run()
    return 0


def _ls(args: argparse.Namespace) -> int:
    from . import resources
    from .connection import Connection

    kinds = {c.model.__name__.lower(): c for c in resources.COLLECTIONS}
    if args.kind not in kinds:
        print(f"unknown kind {args.kind!r}; one of {', '.join(kinds)}", file=sys.stderr)
        return 2
    modifiers = {}
    for item in args.filter or []:
        key, _, value = item.partition("=")
        modifiers[key] = int(value) if value.lstrip("-").isdigit() else value
    with Connection.from_env():
        options = {"nodes": False} if args.kind == "neuron" else {}
        frame = kinds[args.kind](**modifiers).fetch(**options).to_dataframe()
    print(frame.to_string(index=False))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="neuromodels", description="Neuron reconstructions and annotations as Python objects.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the main job end to end on the bundled CATMAID server (no network)")
    demo.set_defaults(func=_demo)
    srv = sub.add_parser("serve", help="serve a bundled local server on 127.0.0.1")
    srv.add_argument("backend", choices=["catmaid", "cytomine", "neuromorpho", "clio"])
    srv.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    srv.add_argument("--db", default=None, help="SQLite file to keep data in (default: a temporary one)")
    srv.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    srv.set_defaults(func=_serve)
    ls = sub.add_parser("ls", help="list a collection from the server in NEUROMODELS_* variables")
    ls.add_argument("kind", help="project, neuron, annotation, imageinstance, connector or volume")
    ls.add_argument("filter", nargs="*", help="filters as key=value")
    ls.set_defaults(func=_ls)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a clean one-line error for users of the command line
        from .errors import NeuromodelsError

        if isinstance(e, (NeuromodelsError, ValueError, TypeError)):
            print(f"neuromodels: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
