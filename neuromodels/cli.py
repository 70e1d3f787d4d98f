"""The ``neuromodels`` command: ``demo``, ``serve``, ``ls``, ``copy``.

Nothing heavy is imported until a command runs, so ``neuromodels --help`` answers at once.

>>> from neuromodels.cli import main
>>> main(["demo", "nowhere"])
2
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shlex
import signal
import sys
import threading
from typing import Any, Callable, Sequence


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


# -- ls ----------------------------------------------------------------------------------------------
def collection_kinds() -> dict[str, type]:
    """Every collection of the public API by its command-line name (``neuron``, ``imageinstance``...)."""
    import neuromodels
    from .core.collection import Collection

    kinds: dict[str, type] = {}
    for name in neuromodels.__all__:
        cls = getattr(neuromodels, name)
        if isinstance(cls, type) and issubclass(cls, Collection) and cls is not Collection:
            kinds[cls.model.__name__.lower()] = cls
    return kinds


def _kind(word: str, kinds: dict[str, type]) -> str | None:
    word = word.lower().replace("-", "").replace("_", "")
    aliases = {"image": "imageinstance", "images": "imageinstance", "skeleton": "neuron", "skeletons": "neuron",
               "ontologies": "ontology"}
    word = aliases.get(word, word)
    if word in kinds:
        return word
    if word.endswith("s") and word[:-1] in kinds:
        return word[:-1]
    return None


def _value(text: str) -> Any:
    if text.lstrip("-").isdigit():
        return int(text)
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def parse_filters(items: Sequence[str]) -> dict[str, Any]:
    """``key=value`` words as collection modifiers: whole numbers become ``int``, ``true``/``false``
    become ``bool``, ``key=a,b`` or a repeated key becomes a list.

    >>> parse_filters(["annotation=PN", "ids=16,17", "reviewed=true", "image=1", "image=2"])
    {'annotation': 'PN', 'ids': [16, 17], 'reviewed': True, 'image': [1, 2]}
    """
    modifiers: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise ValueError(f"a filter is key=value, not {item!r}")
        value: Any = [_value(v) for v in text.split(",")] if "," in text else _value(text)
        if key in modifiers:
            before = modifiers[key] if isinstance(modifiers[key], list) else [modifiers[key]]
            value = before + (value if isinstance(value, list) else [value])
        modifiers[key] = value
    return modifiers


def plain(value: Any) -> Any:
    """A table cell as plain JSON data: geometries as WKT, arrays as lists, NaN as ``None``.

    >>> import numpy as np
    >>> plain(np.int64(3)), plain(float("nan")), plain((1.5, 2)), plain({"a": np.float64(1.0)})
    (3, None, [1.5, 2], {'a': 1.0})
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):  # numpy.float64 too: a subclass of float
        return None if math.isnan(value) else float(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    for attribute in ("wkt", "isoformat"):  # shapely geometries; dates and times (pandas too)
        if hasattr(value, attribute):
            result = getattr(value, attribute)
            return result() if callable(result) else result
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return plain(value.tolist())
    if hasattr(value, "to_dict"):  # a DataFrame in a cell
        return plain(value.to_dict("list"))
    return str(value)


def _cell(value: Any) -> Any:
    """A CSV cell: scalars as they are, lists and dicts as JSON."""
    value = plain(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


def write_table(frame: Any, fmt: str, out: Any) -> None:
    """Write a DataFrame as ``table`` (aligned text), ``csv`` or ``json`` (a list of objects)."""
    if fmt == "json":
        # A JSON array with one object per line: valid JSON, and still readable through `head`.
        rows = [json.dumps({str(k): plain(v) for k, v in row.items()}, ensure_ascii=False)
                for row in frame.to_dict("records")]
        out.write("[\n" + ",\n".join(rows) + "\n]\n" if rows else "[]\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([str(c) for c in frame.columns])
        for row in frame.itertuples(index=False):
            writer.writerow([_cell(v) for v in row])
    elif frame.empty:
        out.write("(none)\n" if len(frame.columns) == 0 else "  ".join(map(str, frame.columns)) + "\n(none)\n")
    else:
        out.write(frame.to_string(index=False, max_colwidth=60) + "\n")


def _ls(args: argparse.Namespace) -> int:
    from .connection import Connection
    from .core.errors import NeuromodelsError, NotSupported

    kinds = collection_kinds()
    if args.profile:
        connection = Connection.from_profile(args.profile, progress=False)
    else:
        connection = Connection.from_env(progress=False)
    with connection:
        if args.kind is None:
            for name, cls in kinds.items():
                try:
                    filters = cls().filters()
                    # Listing one is the public way to learn whether this backend lists them at all.
                    cls().fetch(1, **({"nodes": False} if name == "neuron" else {}))
                except NotSupported:
                    continue
                except (NeuromodelsError, ValueError):
                    pass  # listable, but not without filters (CAVE: a table, which roots)
                print(f"{name:<14} {', '.join(filters) if filters else '(no filters)'}")
            return 0
        kind = _kind(args.kind, kinds)
        if kind is None:
            from .core.capabilities import did_you_mean

            print(f"neuromodels ls: unknown kind {args.kind!r}{did_you_mean(args.kind, kinds)}; "
                  f"one of {', '.join(kinds)}", file=sys.stderr)
            return 2
        collection = kinds[kind](**parse_filters(args.filter))
        options = {"nodes": False} if kind == "neuron" else {}  # a listing is metadata
        frame = collection.fetch(args.limit, **options).to_dataframe()
    if args.columns:
        wanted = [c.strip() for c in args.columns.split(",") if c.strip()]
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            print(f"neuromodels ls: no column {', '.join(map(repr, missing))}; the columns are "
                  f"{', '.join(map(str, frame.columns))}", file=sys.stderr)
            return 2
        frame = frame[wanted]
    write_table(frame, args.format, sys.stdout)
    sys.stdout.flush()
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
    return parser


def _run(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    from .core.errors import NeuromodelsError

    try:
        return func(args)
    except (NeuromodelsError, ValueError, TypeError) as e:  # a clean one-line error for shell users
        print(f"neuromodels {args.command}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


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
        return 130
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
