"""Reading an uploaded SWC for ``skeletons/import`` in bulk: the columns are converted by numpy and
the tree is checked by pointer jumping, so a neuron of n nodes costs O(n log depth) vectorised work
instead of a Python walk from every node to the root (which was O(n x depth) and made the import,
not the client, the bound of every upload benchmark)."""

from __future__ import annotations

import io
from typing import NamedTuple

import numpy as np
import pandas as pd


class SwcNodes(NamedTuple):
    """The nodes of an uploaded SWC, in file order: ids, parent row index (-1 for the root) and
    x, y, z, radius."""

    ids: np.ndarray
    parent_index: np.ndarray
    xyzr: np.ndarray


def _data_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _read_fast(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """pandas' C tokenizer over the whole text (ten times a Python split); None where anything is
    off, so that the strict reader names the line."""
    if "#" in text:
        text = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    try:
        table = pd.read_csv(io.StringIO(text), sep=r"\s+", header=None, engine="c")
    except (ValueError, pd.errors.ParserError):
        return None
    if table.shape[1] != 7 or table.empty or not all(pd.api.types.is_integer_dtype(table[c]) for c in (0, 6)) or \
            not all(pd.api.types.is_float_dtype(table[c]) or pd.api.types.is_integer_dtype(table[c]) for c in range(2, 6)) or \
            bool(table[[2, 3, 4, 5]].isna().to_numpy().any()):
        return None
    return (table[0].to_numpy(np.int64), table[6].to_numpy(np.int64),
            table[[2, 3, 4, 5]].to_numpy(np.float64))


def _read_strict(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Line by line, naming the first malformed line."""
    lines = _data_lines(text)
    if not lines:
        raise ValueError("SWC has no nodes")
    for line in lines:
        if len(line.split()) != 7:
            raise ValueError(f"SWC has a malformed line: {line}")
    rows = [line.split() for line in lines]
    return (np.array([int(r[0]) for r in rows], dtype=np.int64), np.array([int(r[6]) for r in rows], dtype=np.int64),
            np.array([[float(v) for v in r[2:6]] for r in rows], dtype=np.float64).reshape(-1, 4))


def parse_swc(text: str) -> SwcNodes:
    """The SWC's nodes, checked as CATMAID checks them: 7 columns a line, one root, no cycle.

    >>> nodes = parse_swc("# a comment\\n1 1 0 0 0 5 -1\\n2 3 10 0 0 2 1\\n")
    >>> nodes.ids.tolist(), nodes.parent_index.tolist(), nodes.xyzr[1].tolist()
    ([1, 2], [-1, 0], [10.0, 0.0, 0.0, 2.0])
    """
    columns = _read_fast(text) or _read_strict(text)
    ids, parents, xyzr = columns
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    if sorted_ids.size > 1 and bool((sorted_ids[1:] == sorted_ids[:-1]).any()):
        raise ValueError("SWC skeleton is malformed: a node id is used twice")
    where = np.searchsorted(sorted_ids, parents).clip(0, ids.size - 1)
    known = (sorted_ids[where] == parents) & (parents != -1)
    parent_index = np.where(known, order[where], -1)
    roots = np.flatnonzero(parent_index == -1)
    if roots.size != 1:
        raise ValueError("SWC skeleton is malformed: it must have exactly one root")
    _check_reaches_root(parent_index, int(roots[0]))
    return SwcNodes(ids, parent_index, xyzr)


def _check_reaches_root(parent_index: np.ndarray, root: int) -> None:
    """Every node reaches the root (no cycle): pointer jumping, each step doubling the distance
    looked up, so log2(depth) vectorised steps."""
    up = parent_index.copy()
    up[root] = root
    for _ in range(int(up.size).bit_length() + 1):
        if bool((up == root).all()):
            return
        up = up[up]
    if not bool((up == root).all()):
        raise ValueError("SWC skeleton is malformed: it contains a cycle.")
