"""The ``neuromodels`` command: ``demo``, ``serve``, ``ls`` (:mod:`neuromodels.listing`), ``copy``,
``describe``.

Nothing heavy is imported until a command runs, so ``neuromodels --help`` answers at once.

>>> from neuromodels.cli import main
>>> main(["demo", "nowhere"])
2
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import threading
from typing import Any, Callable, Sequence

from .listing import _ls, collection_kinds, parse_filters, plain, write_table  # noqa: F401 - re-exported


#: Exit status when the reader of our output went away (``| head``): 128 + SIGPIPE, as a
#: program killed by SIGPIPE reports it, so ``set -o pipefail`` sees what it sees with ``cat``.
EXIT_BROKEN_PIPE = 141


# -- serve -------------------------------------------------------------------------------------------
def server_lines(server: Any) -> list[str]:
    """The ``KEY=value`` lines ``neuromodels serve`` prints for a started bundled server.

    First the short names API.md promises (``URL``, ``PROJECT``, the credentials), then ``DB``,
    then the same values as the ``NEUROMODELS_*`` variables :meth:`Connection.from_env` reads.
    Every line is a valid shell assignment, so the output can be sourced (``set -a; .
    ./server.env; set +a``), ``eval``-ed or used as an env file.

    >>> from neuromodels.testing import serve
    >>> with serve("neuromorpho") as server:
    ...     [line.split("=")[0] for line in server_lines(server)]
    ['URL', 'DB', 'NEUROMODELS_URL', 'NEUROMODELS_BACKEND']
    """
    # Throwaway credentials of a loopback test server: the one place credentials are printed.
    values = {
        "URL": server.url,
        "PROJECT": server.project,  # NeuroMorpho.org has no projects
        "TOKEN": server.token,
        "PUBLIC_KEY": server.public_key,
        "PRIVATE_KEY": server.private_key,
    }
    short = {k: v for k, v in values.items() if v not in (None, "")}
    env = {"URL": server.url, "BACKEND": server.backend, **{k: v for k, v in short.items() if k != "URL"}}
    lines = [f"{k}={shlex.quote(str(v))}" for k, v in short.items()]
    lines.append(f"DB={shlex.quote(str(server.db_path))}")
    if getattr(server, "certificate", None):  # https: the self-signed certificate a client trusts
        lines.append(f"CERTIFICATE={shlex.quote(str(server.certificate))}")
    lines += [f"NEUROMODELS_{k}={shlex.quote(str(v))}" for k, v in env.items()]
    return lines


def _serve(args: argparse.Namespace) -> int:
    from .testing import server_class

    server_class(args.backend)  # an unknown backend is the command's mistake (2), refused at once
    if args.background:
        return _serve_in_background(args)
    from .testing import serve

    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server = serve(args.backend, db=args.db, port=args.port, latency=args.latency, tls=args.tls).start()
        try:
            if args.seed_swc:
                if not hasattr(server, "add_swc"):
                    print(f"neuromodels serve: --seed-swc needs a server that imports SWC files; the {args.backend} one "
                          "does not", file=sys.stderr)
                    return 2
                server.add_swc(args.seed_swc, annotations=args.annotation or ("Import",))
            print("\n".join(server_lines(server)), flush=True)
            if args.detached:  # started by --background: let it go on without our stdout
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                os.close(devnull)
            else:
                print(f"serving {server.backend} on {server.url} until Ctrl-C", file=sys.stderr, flush=True)
            while not stop.wait(0.2):
                pass
        finally:
            server.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _serve_in_background(args: argparse.Namespace) -> int:
    """Start the server in a process of its own, print its lines, its PID and an ``export`` line,
    and return, so that ``eval "$(neuromodels serve catmaid --background)"`` works."""
    import subprocess

    argv = [sys.executable, "-m", "neuromodels.cli", "serve", args.backend, "--port", str(args.port),
            "--latency", str(args.latency), "--detached", *(["--db", args.db] if args.db else []),
            *(["--tls"] if args.tls else []),
            *(["--seed-swc", args.seed_swc] if args.seed_swc else []),
            *[arg for a in (args.annotation or []) for arg in ("--annotation", a)]]
    child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             start_new_session=True, text=True)
    assert child.stdout is not None
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(child.stdout.read() if child.stdout else ""), daemon=True)
    reader.start()
    reader.join(timeout=60)  # the child closes its stdout once its lines are out
    lines = (received[0] if received else "").splitlines()
    if not lines or child.poll() is not None:
        if child.poll() is None:
            child.terminate()
        print(f"neuromodels serve: the {args.backend} server did not start "
              f"(run it in the foreground to see why)", file=sys.stderr)
        return 1
    names = [line.split("=", 1)[0] for line in lines if line.startswith("NEUROMODELS_")]
    print("\n".join(lines))
    print(f"NEUROMODELS_SERVER_PID={child.pid}")
    print("export " + " ".join([*names, "NEUROMODELS_SERVER_PID"]), flush=True)
    return 0


# -- demo --------------------------------------------------------------------------------------------
def _demo(args: argparse.Namespace) -> int:
    from .demo import parts, run

    shown = list(parts())  # the backends that declare a demo, in the order it shows them
    unknown = [b for b in args.backends if b not in shown]
    if unknown:
        from .core.capabilities import did_you_mean

        print(f"neuromodels demo: no demo for {', '.join(map(repr, unknown))}{did_you_mean(unknown[0], shown)}; "
              f"choose from {', '.join(shown)}", file=sys.stderr)
        return 2
    run(backends=args.backends or shown)
    return 0


# -- copy --------------------------------------------------------------------------------------------
def _copy(argv: list[str]) -> int:
    try:
        from .transfer import cli_copy
    except ImportError as e:
        if getattr(e, "name", None) not in ("neuromodels.transfer", None) and "cli_copy" not in str(e):
            raise
        print("neuromodels copy is not available in this version of neuromodels "
              "(it needs neuromodels.transfer.cli_copy)", file=sys.stderr)
        return 2
    status: int = cli_copy(list(argv))
    return status


# -- main --------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neuromodels",
        description="Neuron reconstructions and image annotations on CATMAID, Cytomine, "
                    "NeuroMorpho.org, Clio and CAVE as Python objects.",
        epilog="ls reads the server from NEUROMODELS_URL, NEUROMODELS_BACKEND, NEUROMODELS_PROJECT, "
               "NEUROMODELS_TOKEN ... (see `neuromodels serve`) or from a named profile (--profile).",
    )
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version("neuromodels-client")
    except PackageNotFoundError:  # a source tree run without installing it
        installed = "(not installed)"
    parser.add_argument("--version", action="version", version=f"neuromodels {installed}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="the everyday jobs end to end on the bundled local servers (no network)",
                          description="Run the everyday jobs on bundled local servers and print what was done.")
    demo.add_argument("backends", nargs="*", metavar="BACKEND",
                      help="which backends to show (default: every backend with a demo, the shipped ones first)")
    demo.set_defaults(func=_demo)

    srv = sub.add_parser("serve", help="serve a bundled local server on 127.0.0.1 until Ctrl-C",
                         description="Serve a bundled local server on 127.0.0.1 until Ctrl-C. The first lines "
                                     "are KEY=value assignments: URL, PROJECT, the throwaway credentials, DB, "
                                     "then the same as NEUROMODELS_* variables for Connection.from_env().")
    from .testing import SERVERS

    srv.add_argument("backend", help=", ".join(SERVERS) + " (the backends with a bundled server)")
    srv.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    srv.add_argument("--db", default=None, help="SQLite file to keep data in (default: a temporary one)")
    srv.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    srv.add_argument("--tls", action="store_true",
                     help="serve https with a self-signed certificate made at start; its path is printed as "
                          "CERTIFICATE= (trust it, e.g. REQUESTS_CA_BUNDLE=$CERTIFICATE, for clients that refuse http)")
    srv.add_argument("--background", action="store_true",
                     help="start it in a process of its own and return; adds NEUROMODELS_SERVER_PID and an export "
                          "line, for eval \"$(neuromodels serve BACKEND --background)\" (stop: kill "
                          "$NEUROMODELS_SERVER_PID)")
    srv.add_argument("--seed-swc", default=None, metavar="PATH",
                     help="catmaid: import the SWC files of this folder (or one file) before serving")
    srv.add_argument("--annotation", action="append", metavar="NAME",
                     help="catmaid: annotate the seeded neurons (repeatable; default: Import)")
    srv.add_argument("--detached", action="store_true", help=argparse.SUPPRESS)
    srv.set_defaults(func=_serve)

    ls = sub.add_parser("ls", help="list a collection from the server named by NEUROMODELS_* variables",
                        description="List a collection. Without KIND: the kinds this server can list and "
                                    "their filters.")
    ls.add_argument("kind", nargs="?", help="project, neuron, annotation, imageinstance, connector, volume, term, "
                                            "ontology (plurals work)")
    ls.add_argument("filter", nargs="*", help="filters as key=value (key=a,b or a repeated key: a list)")
    ls.add_argument("--format", "-f", choices=("table", "csv", "json"), default="table", help="output format")
    ls.add_argument("--limit", "-n", type=int, default=None, help="at most this many")
    ls.add_argument("--columns", "-c", default=None, help="only these columns, comma-separated")
    ls.add_argument("--profile", "-p", default=None,
                    help="a named profile (~/.config/neuromodels/profiles.ini) instead of NEUROMODELS_*")
    ls.set_defaults(func=_ls)

    sub.add_parser("copy", help="copy neurons or annotations between servers (neuromodels copy --help)",
                   add_help=False)

    describe = sub.add_parser("describe", help="what a backend can do with each model, read from its declarations",
                              description="What a backend can do with each model (or one): the operations, "
                                          "why the others cannot be done, the filters and the requests behind "
                                          "them. Needs no server.")
    describe.add_argument("backend", help="a backend name (catmaid, cytomine, ...)")
    describe.add_argument("model", nargs="?", help="only this model (Neuron, annotation, ...)")
    describe.set_defaults(func=_describe)
    return parser


def _describe(args: argparse.Namespace) -> int:
    from .backends.describe import text

    sys.stdout.write(text(args.backend, args.model))
    return 0


#: Exit statuses: the work was done; the server or the work failed; the command was wrong (an
#: unknown command, kind, backend, filter, column or profile, a bad value: refused before any
#: request); Ctrl-C (as a shell reports SIGINT).
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _run(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    from .core.errors import NeuromodelsError

    try:
        return func(args)
    except NeuromodelsError as e:  # a clean one-line error for shell users
        print(f"neuromodels {args.command}: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_FAILED
    except (ValueError, TypeError) as e:  # what was typed (or set in the environment) is refused
        print(f"neuromodels {args.command}: {e}", file=sys.stderr)
        return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """The ``neuromodels`` command. Returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["copy"]:
            return _copy(argv[1:])
        args = build_parser().parse_args(argv)
        return _run(args.func, args)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`neuromodels ls ... | head`): stop quietly. Point stdout at
        # devnull so the interpreter's final flush does not complain either.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
