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


#: SWC structure types (Cannon et al. 1998, as NeuroMorpho.org uses them).
UNDEFINED, SOMA, AXON, BASAL_DENDRITE, APICAL_DENDRITE = 0, 1, 2, 3, 4
_INT64 = (-(2**63), 2**63 - 1)


def _read_text(source: Any) -> str:
    # utf-8-sig: a byte order mark (as Windows editors write it) is not part of the first line.
    if isinstance(source, (bytes, bytearray)):
        return bytes(source).decode("utf-8-sig", "replace")
    if isinstance(source, os.PathLike):
        with open(source, encoding="utf-8-sig", errors="replace") as fh:
            return fh.read()
    if isinstance(source, str):
        text: str = source.lstrip("\ufeff")
        # A path is one line without node rows; SWC text has newlines or starts with digits/#.
        if "\n" not in text and not text.lstrip()[:1].isdigit() and not text.lstrip().startswith("#"):
            with open(text, encoding="utf-8-sig", errors="replace") as fh:
                return fh.read()
        return text
    if hasattr(source, "read"):
        data = source.read()
        return str(data.decode("utf-8-sig", "replace") if isinstance(data, bytes) else data).lstrip("\ufeff")
    raise TypeError(f"expected SWC text, bytes, a path or a file, not {type(source).__name__}")


def _integer(text: str) -> int:
    """An SWC id, type or parent: an integer, also written as ``5.0``; never past int64."""
    try:
        value = int(text)
    except ValueError:
        number = float(text)
        if not math.isfinite(number) or number != int(number):
            raise ValueError(f"{text!r} is not an integer") from None
        value = int(number)
    if not _INT64[0] <= value <= _INT64[1]:
        raise ValueError(f"{text} is beyond the 64-bit integer range")
    return value


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
            node, kind, parent = _integer(parts[0]), _integer(parts[1]), _integer(parts[6])
            x, y, z, r = (float(v) for v in parts[2:6])
        except ValueError as e:
            raise SWCError(f"line {lineno}: not a number in {raw.strip()[:200]!r} ({e})") from None
        if not all(math.isfinite(v) for v in (x, y, z, r)):
            raise SWCError(f"line {lineno}: coordinates and radius must be finite numbers "
                           f"(1e400 is infinite as a float): {raw.strip()[:200]!r}")
        if node < 0:
            raise SWCError(f"line {lineno}: negative node id {node}")
        rows.append((node, kind, x, y, z, r, parent))
    if not rows:
        raise SWCError("the SWC has no nodes")
    df = pd.DataFrame(rows, columns=COLUMNS)
    df.loc[df["parent_id"] < 0, "parent_id"] = -1
    check_tree(df)
    ordered: pd.DataFrame = df[["node_id", "parent_id", "x", "y", "z", "radius", "type"]]
    return ordered


def check_tree(df: pd.DataFrame, where: str = "the file") -> None:
    """Refuse duplicate ids, missing parents and cycles (several roots are allowed here);
    ``where`` names what the nodes came from in the messages."""
    ids = df["node_id"].to_numpy()
    if len(np.unique(ids)) != len(ids):
        dup = pd.Series(ids)[pd.Series(ids).duplicated()].iloc[0]
        raise SWCError(f"node id {dup} appears more than once")
    parents = df["parent_id"].to_numpy()
    known = set(ids.tolist())
    missing = [int(p) for p in parents if p != -1 and p not in known]
    if missing:
        raise SWCError(f"parent node {missing[0]} is not in {where} ({len(missing)} missing parent(s))")
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
    """The node ids without a parent."""
    return [int(n) for n in df.loc[df["parent_id"] == -1, "node_id"]]


def cable_length(nodes: pd.DataFrame) -> float:
    """The summed length of every edge from a node to its parent (the table's units).

    >>> cable_length(parse_swc("1 1 0 0 0 1 -1\\n2 3 3 4 0 1 1\\n3 3 3 4 10 1 2\\n"))
    15.0
    """
    if len(nodes) == 0:
        return 0.0
    where = pd.Series(np.arange(len(nodes)), index=nodes["node_id"].to_numpy())
    child = nodes["parent_id"].to_numpy() != -1
    parents = where.reindex(nodes["parent_id"].to_numpy()[child]).to_numpy()
    keep = ~np.isnan(parents)  # a parent not in the table adds no length
    xyz = nodes[["x", "y", "z"]].to_numpy(dtype=float)
    a = xyz[child][keep]
    b = xyz[parents[keep].astype(np.int64)]
    return float(np.sqrt(((a - b) ** 2).sum(axis=1)).sum())


def structure_types(nodes: pd.DataFrame, soma: Any = None) -> np.ndarray:
    """SWC types for a table without a ``type`` column: 1 (soma) for the ``soma`` node ids
    (CATMAID's "soma" tag) or, without any, for the root; 0 (undefined) for the rest, since
    a skeleton does not say which arbor is axon or dendrite."""
    kinds = np.full(len(nodes), UNDEFINED, dtype=np.int64)
    ids = nodes["node_id"].to_numpy()
    marked = np.isin(ids, list(soma)) if soma else np.zeros(len(nodes), dtype=bool)
    if not marked.any():
        marked = nodes["parent_id"].to_numpy() == -1
    kinds[marked] = SOMA
    return kinds


def to_swc(nodes: pd.DataFrame, header: str | None = None, soma: Any = None) -> str:
    """SWC text from a node table. Its ``type`` column is written as it is; without one,
    :func:`structure_types` gives the soma (the ``soma`` node ids, else the root) type 1 and
    every other node 0 (undefined). ``radius`` defaults to -1 where missing.

    >>> print(to_swc(parse_swc("1 1 0 0 0 1 -1\\n2 3 1 0 0 1 1\\n")[["node_id", "parent_id", "x", "y", "z", "radius"]]), end="")
    1 1 0 0 0 1 -1
    2 0 1 0 0 1 1
    """
    out = io.StringIO()
    if header:
        for line in header.splitlines():
            out.write(f"# {line}\n")
    n = len(nodes)
    kinds = nodes["type"].to_numpy() if "type" in nodes else structure_types(nodes, soma)
    radius = nodes["radius"].to_numpy() if "radius" in nodes else np.full(n, -1.0)
    # One %-format per row over Python lists: twice as fast as an f-string over numpy scalars.
    columns = [nodes["node_id"], kinds, nodes["x"], nodes["y"], nodes["z"], radius, nodes["parent_id"]]
    rows = zip(*(np.asarray(c).tolist() for c in columns))
    out.write("".join(map("%d %d %g %g %g %g %d\n".__mod__, rows)))
    return out.getvalue()
