"""``neuromodels ls``: the kinds of collection by the words people type, filters from the
command line, and tables in three formats."""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from typing import Any, Sequence


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
            from .core.capabilities import did_you_mean

            print(f"neuromodels ls: no column {', '.join(map(repr, missing))}"
                  f"{did_you_mean(missing[0], [str(c) for c in frame.columns])}; the columns are "
                  f"{', '.join(map(str, frame.columns))}", file=sys.stderr)
            return 2
        frame = frame[wanted]
    write_table(frame, args.format, sys.stdout)
    sys.stdout.flush()
    return 0
