"""``neuromodels copy SOURCE TARGET KIND [filter=value ...]``."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from ..connection import Connection

from .core import Transform, TransformChanged


# -- the command line ------------------------------------------------------------------------------------------------
_ENV_FIELDS = {"URL": "url", "BACKEND": "backend", "PROJECT": "project", "TOKEN": "token",
               "PUBLIC_KEY": "public_key", "PRIVATE_KEY": "private_key", "HTTP_USER": "http_user",
               "HTTP_PASSWORD": "http_password"}


def connection_from_name(name: str, environ: Mapping[str, str] | None = None) -> "Connection":
    """A connection named on the command line: ``env`` (``Connection.from_env()``),
    ``env:PREFIX`` (``PREFIX_URL``, ``PREFIX_BACKEND``, ``PREFIX_PROJECT``, ``PREFIX_TOKEN``,
    ``PREFIX_PUBLIC_KEY``, ``PREFIX_PRIVATE_KEY``, ``PREFIX_HTTP_USER``, ``PREFIX_HTTP_PASSWORD``),
    or a profile name (``Connection.from_profile``, where this version has profiles).

    >>> env = {"SRC_URL": "catmaid+http://127.0.0.1:8000", "SRC_PROJECT": "1", "SRC_TOKEN": "t"}
    >>> connection_from_name("env:SRC", env)
    <Connection catmaid http://127.0.0.1:8000 project=1>
    """
    from ..connection import Connection

    if name == "env" and environ is None:
        return Connection.from_env()  # (also pymaid's CATMAID_* variables)
    env = os.environ if environ is None else environ
    prefix = "NEUROMODELS" if name == "env" else (name[4:] if name.startswith("env:") else None)
    if prefix is not None:
        prefix = prefix.rstrip("_")
        kwargs: dict[str, Any] = {}
        for suffix, key in _ENV_FIELDS.items():
            value = env.get(f"{prefix}_{suffix}")
            if value:
                kwargs[key] = value
        if "url" not in kwargs:
            raise ValueError(f"{prefix}_URL is not set (naming {name!r})")
        project = kwargs.get("project")
        if isinstance(project, str) and project.lstrip("-").isdigit():
            kwargs["project"] = int(project)
        return Connection(kwargs.pop("url"), **kwargs)
    from_profile = getattr(Connection, "from_profile", None)
    if from_profile is None:
        raise ValueError(f"{name!r} is not env or env:PREFIX, and this version of neuromodels has no profiles")
    return from_profile(name)  # type: ignore[no-any-return]


_KINDS = {"neuron": "NeuronCollection", "neurons": "NeuronCollection", "volume": "VolumeCollection",
          "volumes": "VolumeCollection", "annotation": "AnnotationCollection", "annotations": "AnnotationCollection"}


def _value(text: str) -> Any:
    if "," in text:
        return [_value(t) for t in text.split(",") if t]
    return int(text) if text.lstrip("-").isdigit() else text


def cli_copy(argv: list[str]) -> int:
    """``neuromodels copy SOURCE TARGET KIND [filter=value ...] [--dry-run]``: copy what the
    filters select from SOURCE to TARGET, print the report; 0 when everything is there, 1 when
    some items failed, 2 for a usage error. SOURCE/TARGET: ``env``, ``env:PREFIX`` or a profile.

    >>> import os
    >>> from neuromodels.testing import serve
    >>> nmo, lab = serve("neuromorpho").start(), serve("catmaid").start()
    >>> os.environ.update(SRC_URL=f"neuromorpho+{nmo.url}", DST_URL=f"catmaid+{lab.url}",
    ...                   DST_PROJECT=str(lab.project), DST_TOKEN=lab.token)
    >>> cli_copy(["env:SRC", "env:DST", "neuron", "species=rat", "--scale", "1000", "--dry-run"])
    copy of neurons from http://127.0.0.1:... to http://127.0.0.1:.../1: would create 7, 0 already there (... s)
    neuron 1001 -> (new)
    ...
    0
    >>> for name in ("SRC_URL", "DST_URL", "DST_PROJECT", "DST_TOKEN"):
    ...     del os.environ[name]
    >>> nmo.stop(); lab.stop()
    """
    from .. import models as resources
    from ..core.errors import NeuromodelsError, PartialSaveError

    parser = argparse.ArgumentParser(prog="neuromodels copy", description="copy models between two servers")
    parser.add_argument("source", help="env, env:PREFIX (PREFIX_URL, PREFIX_TOKEN ...) or a profile name")
    parser.add_argument("target", help="env, env:PREFIX or a profile name")
    parser.add_argument("kind", choices=sorted(_KINDS), help="what to copy")
    parser.add_argument("filters", nargs="*", help="source filters as key=value (comma-separated values: a list)")
    parser.add_argument("--dry-run", action="store_true", help="only report what would be created")
    parser.add_argument("--scale", type=float, default=None, help="multiply coordinates by this")
    parser.add_argument("--offset", default=None, help="then add X,Y,Z")
    parser.add_argument("--image", type=int, default=None, help="Cytomine: the target image id")
    parser.add_argument("--create-terms", action="store_true", help="Cytomine: create terms missing on the target")
    parser.add_argument("--no-connectors", action="store_true", help="CATMAID: copy no connectors")
    parser.add_argument("--source-key", default=None, help="the source's name in the markers")
    parser.add_argument("--update", action="store_true",
                        help="copies made before with another transform: delete them and copy again")
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0) if e.code in (0, None) else 2
    modifiers: dict[str, Any] = {}
    for item in args.filters:
        key, sep, text = item.partition("=")
        if not sep or not key:
            print(f"neuromodels copy: a filter is key=value, not {item!r}", file=sys.stderr)
            return 2
        modifiers[key] = _value(text)
    transform = None
    if args.scale is not None or args.offset is not None:
        offset: Any = 0.0
        if args.offset is not None:
            offset = [float(v) for v in args.offset.split(",")]
            if len(offset) not in (1, 3):
                print("neuromodels copy: --offset is X,Y,Z", file=sys.stderr)
                return 2
        transform = Transform(scale=1.0 if args.scale is None else args.scale, offset=offset)
    try:
        source = connection_from_name(args.source)
        target = connection_from_name(args.target)
        collection = getattr(resources, _KINDS[args.kind])(**modifiers)
        options = {"nodes": False} if _KINDS[args.kind] == "NeuronCollection" else {}
        collection.fetch(connection=source, **options)
        copies = collection.copy_to(target, connection=source, dry_run=args.dry_run, transform=transform,
                                    image=args.image, create_terms=args.create_terms,
                                    connectors=False if args.no_connectors else "between", source_key=args.source_key,
                                    update=args.update)
    except PartialSaveError as e:
        print(getattr(e, "copy_report", e))
        for origin, error in getattr(getattr(e, "copy_report", None), "failed", [])[:20]:
            print(f"  failed {origin.kind} {origin.id}: {error}", file=sys.stderr)
        return 1
    except (NeuromodelsError, TransformChanged) as e:  # the server, or what the target holds, says no
        print(f"neuromodels copy: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    except (ValueError, TypeError) as e:  # the command was wrong (as for every neuromodels command)
        print(f"neuromodels copy: {e}", file=sys.stderr)
        return 2
    report = copies.copy_report
    print(report)
    for copy in copies:
        if copy.copied_from is not None:
            print(f"{copy.copied_from.kind} {copy.copied_from.id} -> {copy.id if copy.id is not None else '(new)'}")
    return 0
