"""SWC morphology files: ``id type x y z radius parent``, one node per line, ``#`` comments.

Parsing survives real files: comments anywhere (also at the end of a line), tabs and runs of
spaces, trailing whitespace, parents listed after their children, several roots and type -1.
Malformed files (wrong column count, missing parents, cycles, duplicate ids) raise
:class:`SWCError` naming the line.
"""

from __future__ import annotations

import io
import math
import os
from typing import Any

import numpy as np
import pandas as pd

COLUMNS = ["node_id", "type", "x", "y", "z", "radius", "parent_id"]


class SWCError(ValueError):
    """The SWC text is malformed; the message names the line."""


def _read_text(source: Any) -> str:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source).decode("utf-8", "replace")
    if isinstance(source, os.PathLike):
        with open(source, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    if isinstance(source, str):
        # A path is one line without node rows; SWC text has newlines or starts with digits/#.
        if "\n" not in source and not source.lstrip()[:1].isdigit() and not source.lstrip().startswith("#"):
            with open(source, encoding="utf-8", errors="replace") as fh:
                return fh.read()
        return source
    if hasattr(source, "read"):
        data = source.read()
        return data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    raise TypeError(f"expected SWC text, bytes, a path or a file, not {type(source).__name__}")


def parse_swc(source: Any) -> pd.DataFrame:
    """Parse SWC into a DataFrame ``node_id, parent_id, x, y, z, radius, type`` (root parent -1).

    >>> df = parse_swc("1 1 0 0 0 1 -1\\n2 3 1 0 0 1 1\\n")
    >>> df[["node_id", "parent_id"]].values.tolist()
    [[1, -1], [2, 1]]
    """
    text = _read_text(source)
    rows: list[tuple[int, int, float, float, float, float, int]] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 7:
            raise SWCError(f"line {lineno}: expected 7 columns (id type x y z radius parent), got {len(parts)}: {raw.strip()!r}")
        try:
            node = int(float(parts[0]))
            kind = int(float(parts[1]))
            x, y, z, r = (float(v) for v in parts[2:6])
            parent = int(float(parts[6]))
        except ValueError:
            raise SWCError(f"line {lineno}: not a number in {raw.strip()!r}") from None
        if not all(math.isfinite(v) for v in (x, y, z)):
            raise SWCError(f"line {lineno}: coordinates must be finite numbers: {raw.strip()!r}")
        if node < 0:
            raise SWCError(f"line {lineno}: negative node id {node}")
        rows.append((node, kind, x, y, z, r, parent))
    if not rows:
        raise SWCError("the SWC has no nodes")
    df = pd.DataFrame(rows, columns=COLUMNS)
    df.loc[df["parent_id"] < 0, "parent_id"] = -1
    check_tree(df)
    return df[["node_id", "parent_id", "x", "y", "z", "radius", "type"]]


def check_tree(df: pd.DataFrame) -> None:
    """Refuse duplicate ids, missing parents and cycles (several roots are allowed here)."""
    ids = df["node_id"].to_numpy()
    if len(np.unique(ids)) != len(ids):
        dup = pd.Series(ids)[pd.Series(ids).duplicated()].iloc[0]
        raise SWCError(f"node id {dup} appears more than once")
    parents = df["parent_id"].to_numpy()
    known = set(ids.tolist())
    missing = [int(p) for p in parents if p != -1 and p not in known]
    if missing:
        raise SWCError(f"parent node {missing[0]} is not in the file ({len(missing)} missing parent(s))")
    # Every node must reach a root: walk up with memoised depth; a node revisited is a cycle.
    parent_of = dict(zip(ids.tolist(), parents.tolist()))
    settled: set[int] = set()
    for start in parent_of:
        path: list[int] = []
        seen: set[int] = set()
        node = start
        while node != -1 and node not in settled:
            if node in seen:
                raise SWCError(f"the nodes form a cycle through node {node}")
            seen.add(node)
            path.append(node)
            node = parent_of[node]
        settled.update(path)


def roots(df: pd.DataFrame) -> list[int]:
    return df.loc[df["parent_id"] == -1, "node_id"].astype(int).tolist()


def to_swc(nodes: pd.DataFrame, header: str | None = None) -> str:
    """SWC text from a node table (``type`` defaults to 0, ``radius`` to -1 where missing)."""
    out = io.StringIO()
    if header:
        for line in header.splitlines():
            out.write(f"# {line}\n")
    n = len(nodes)
    kinds = nodes["type"].to_numpy() if "type" in nodes else np.zeros(n, dtype=int)
    radius = nodes["radius"].to_numpy() if "radius" in nodes else np.full(n, -1.0)
    for node, kind, x, y, z, r, parent in zip(
        nodes["node_id"].to_numpy(), kinds, nodes["x"].to_numpy(), nodes["y"].to_numpy(),
        nodes["z"].to_numpy(), radius, nodes["parent_id"].to_numpy(),
    ):
        out.write(f"{int(node)} {int(kind)} {x:g} {y:g} {z:g} {r:g} {int(parent)}\n")
    return out.getvalue()
