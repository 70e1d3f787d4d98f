"""CATMAID's compact-detail bodies -> node and connector tables, close to the speed of the bytes.

Node rows are most of the bytes and hold no nested lists. All node lists of a bulk body are read
in one pass by pandas' C tokenizer (no Python object per value; it releases the GIL) through a
file-like view that translates the JSON punctuation on the fly: ``[`` starts a line, ``]``
ends a field, ``null`` becomes an empty field. So the body is never copied whole (no join, no
replace), integer columns are parsed as integers (exact up to 2**63) and doubles at full precision.
The small rest (connectors, tags, annotations) goes through orjson. Anything that is not the plain
8-column form (history rows, a null in an integer column other than the parent, a non-finite
value) falls back to orjson for the whole body, with the same result. Valid JSON reads exactly as
orjson reads it; the fast path is not a JSON validator.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any, Mapping, Sequence

import numpy as np
import orjson
import pandas as pd

from ...models import Neuron

#: compact-detail's connector relation codes.
COMPACT_RELATIONS = {0: "presynaptic_to", 1: "postsynaptic_to", 2: "gapjunction_with", 3: "desmosome_with"}

NODE_COLUMNS = ["node_id", "parent_id", "creator_id", "x", "y", "z", "radius", "confidence"]
CONNECTOR_COLUMNS = ["node_id", "connector_id", "relation", "x", "y", "z"]
_NODE_INTS = ("node_id", "parent_id", "creator_id", "confidence")
_NODE_DTYPES = {c: np.int64 if c in _NODE_INTS else np.float64 for c in NODE_COLUMNS}
#: Ids are exact in a double below this; past it they are read from the integers themselves.
_EXACT = 2**53

# Empty tables are copied from templates: building one column by column costs ~1 ms each.
_EMPTY_NODES = pd.DataFrame({c: np.empty(0, t) for c, t in _NODE_DTYPES.items()})
_EMPTY_CONNECTORS = pd.DataFrame({c: np.empty(0, object if c == "relation" else (np.int64 if c.endswith("id") else np.float64))
                                  for c in CONNECTOR_COLUMNS})


def _exact_ints(rows: Sequence[Sequence[Any]], column: int, what: str, none: int | None = None) -> np.ndarray:
    """One integer column read from the values themselves (ids past 2**53 stay exact); anything
    that is not an integer in int64's range is refused."""
    values = []
    for row in rows:
        value = row[column]
        if value is None and none is not None:
            value = none
        if isinstance(value, float) and value.is_integer() and abs(value) < _EXACT:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not -2**63 <= value < 2**63:
            raise ValueError(f"compact-detail {what} {value!r} is not an integer id within 64 bits")
        values.append(value)
    return np.array(values, dtype=np.int64)


def _int_column(table: np.ndarray, rows: Sequence[Sequence[Any]], column: int, what: str,
                none: int | None = None) -> np.ndarray:
    values = table[:, column]
    if none is not None:
        values = np.where(np.isnan(values), none, values)
    if np.isnan(values).any():
        raise ValueError(f"compact-detail {what} holds null")
    if np.abs(values).max() >= _EXACT:
        return _exact_ints(rows, column, what, none)
    ints = values.astype(np.int64)
    if (ints != values).any():
        raise ValueError(f"compact-detail {what} holds a number that is not an integer")
    return ints


# -- nodes ---------------------------------------------------------------------------------------
def nodes_frame(rows: list[list[Any]]) -> pd.DataFrame:
    """compact-detail node rows ``[id, parent|null, user, x, y, z, radius, confidence]``.

    History rows (``with_history``: ``..., valid_from, valid_to, ordering``) give the live
    rows (ordering 1), as the current table.
    """
    if rows and len(rows[0]) == 11 and isinstance(rows[0][8], str):
        rows = [row[:8] for row in rows if row[10] == 1]
    if not rows:
        return _EMPTY_NODES.copy()
    # None becomes NaN in a float array; doubles stay exact, ids too below 2**53.
    table = np.array(rows, dtype=np.float64)
    if table.ndim != 2 or table.shape[1] < 8:
        raise ValueError("compact-detail node rows do not have 8 columns")
    return pd.DataFrame(
        {
            "node_id": _int_column(table, rows, 0, "node id"),
            "parent_id": _int_column(table, rows, 1, "parent id", none=-1),
            "creator_id": _int_column(table, rows, 2, "creator id"),
            "x": table[:, 3],
            "y": table[:, 4],
            "z": table[:, 5],
            "radius": table[:, 6],
            "confidence": _int_column(table, rows, 7, "confidence"),
        },
        copy=False,
    )


#: Where a skeleton's node list starts in a bulk compact-detail body: ``"<skid>":[[``.
_SKELETON_START = re.compile(rb'"(\d+)"\s*:\s*\[\s*\[')
#: Node rows as CSV lines: ``[`` starts a line, ``]`` ends a field; the letters of ``null`` go
#: (they appear in no number; true/false/NaN/Infinity then fail to parse), leaving an empty field
#: (NA), and so does whitespace between tokens (spaced or indented JSON reads the same).
_ROWS_AS_CSV = bytes.maketrans(b"[]", b"\n,")
_DROPPED = b"nul \t\r\n"
#: The parent column may hold nulls (roots): read as a masked integer column, exact.
_CSV_DTYPES = {**_NODE_DTYPES, "parent_id": "Int64"}
#: Trailing fields of each line: ``],`` and ``]]`` leave two empty ones.
_CSV_NAMES = [*NODE_COLUMNS, "_end", "_next"]
#: Bytes handed to the tokenizer per read.
_READ_SIZE = 1 << 18


class _RowsText(io.RawIOBase):
    """The node lists of a body (``(start, end)`` spans), read as CSV text: each read translates
    one slice of the body, so neither the body nor the node text is ever copied whole."""

    def __init__(self, body: bytes, spans: Sequence[tuple[int, int]]) -> None:
        super().__init__()
        self._body = body
        self._spans = list(spans)
        self._index = 0
        self._position = self._spans[0][0] if self._spans else 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        want = _READ_SIZE if size is None or size < 0 else size
        while self._index < len(self._spans):
            end = self._spans[self._index][1]
            if self._position < end:
                stop = min(end, self._position + want)
                piece = self._body[self._position : stop].translate(_ROWS_AS_CSV, _DROPPED)
                self._position = stop
                return piece
            self._index += 1
            if self._index < len(self._spans):
                self._position = self._spans[self._index][0]
        return b""

    def readinto(self, buffer: Any) -> int:
        piece = self.read(len(buffer))
        buffer[: len(piece)] = piece
        return len(piece)


def _fast_path_exact() -> bool:
    """pandas' C tokenizer reads doubles bit for bit and refuses integer overflow from pandas 2 on;
    older releases round the last digit and wrap: there the exact orjson path is taken."""
    return int(pd.__version__.split(".")[0]) >= 2


#: Whether this pandas may take the fast path (checked by the tests against orjson).
FAST = _fast_path_exact()


def _node_tables(body: bytes, spans: Sequence[tuple[int, int] | None]) -> list[pd.DataFrame] | None:
    """Node tables of the spans (``[row],[row]...]]`` each; None for an empty list), or None when
    the text is not the plain 8-column form (then the caller uses orjson)."""
    present = [span for span in spans if span is not None]
    counts = []
    for start, end in present:
        # 8 values a row: 7 commas inside each, one between rows. A short row fails its integer
        # column, so with these totals (and one line a row, checked below) none has more either.
        rows, odd = divmod(body.count(b",", start, end) + 1, 8)
        if odd:
            return None
        counts.append(rows)
    table = _EMPTY_NODES
    if present:
        try:
            # low_memory: tokenized a few hundred kB at a time, so the tokenizer's own buffers stay
            # small (a third less peak memory than all at once, and no slower).
            table = pd.read_csv(_RowsText(body, present), header=None, names=_CSV_NAMES, usecols=NODE_COLUMNS,
                                dtype=_CSV_DTYPES, na_values=[""], keep_default_na=False,
                                quoting=csv.QUOTE_NONE, engine="c", low_memory=True)
        except (ValueError, OverflowError, pd.errors.ParserError):
            return None
        # One line a row, and no infinity (orjson refuses those; nulls in doubles are NaN, as orjson's
        # None in a float array).
        if len(table) != sum(counts):
            return None
        if any(np.isinf(table[c].to_numpy()).any() for c in ("x", "y", "z", "radius")):
            return None
        table["parent_id"] = table["parent_id"].to_numpy(dtype=np.int64, na_value=-1)
    frames: list[pd.DataFrame] = []
    row = 0
    sizes = iter(counts)
    for span in spans:
        if span is None:
            frames.append(_EMPTY_NODES.copy())
            continue
        n = next(sizes)
        # Row ranges of the one table: views, not copies (pandas copies on write).
        frame = table.iloc[row : row + n]
        frame.index = pd.RangeIndex(n)
        frames.append(frame)
        row += n
    return frames


def neurons_from_compact_many(body: bytes) -> dict[int, Neuron]:
    """Neurons from a bulk ``skeletons/compact-detail`` body (``{"skeletons": {skid: detail}}``).

    >>> body = b'{"skeletons":{"7":[[[1,null,2,0.5,1.0,2.0,-1.0,5],[2,1,2,1.5,1.0,2.0,-1.0,5]],[],{},[],[]]}}'
    >>> neuron = neurons_from_compact_many(body)[7]
    >>> neuron.nodes["parent_id"].tolist(), neuron.nodes["x"].tolist()
    ([-1, 1], [0.5, 1.5])
    """
    if not FAST:
        return _slow_many(body)
    spans: list[tuple[int, int] | None] = []
    skids: list[str] = []
    view = memoryview(body)
    pieces: list[memoryview] = []
    position = 0
    match = _SKELETON_START.search(body)
    while match is not None:
        start = match.end()  # the first row's "["
        skids.append(match.group(1).decode())
        if body[start : start + 1] == b"]":  # an empty node list
            spans.append(None)
            match = _SKELETON_START.search(body, start)
            continue
        if body[start : start + 1] != b"[":
            return _slow_many(body)
        end = body.find(b"]]", start)  # node rows hold no nested lists
        if end < 0:
            return _slow_many(body)
        spans.append((start, end + 2))
        pieces.append(view[position:start])
        position = end + 1  # keep one "]" to close the emptied node list
        match = _SKELETON_START.search(body, end + 2)
    pieces.append(view[position:])
    if not spans:
        return _slow_many(body)
    tables = _node_tables(body, spans)
    if tables is None:
        return _slow_many(body)
    rest = orjson.loads(b"".join(pieces)).get("skeletons", {})
    if list(rest) != skids:
        return _slow_many(body)
    return {int(skid): neuron_from_compact(int(skid), detail, nodes_table=nodes)
            for (skid, detail), nodes in zip(rest.items(), tables)}


def _slow_many(body: bytes) -> dict[int, Neuron]:
    skeletons = orjson.loads(body).get("skeletons", {})
    return {int(k): neuron_from_compact(int(k), v) for k, v in skeletons.items()}


def connectors_frame(rows: list[list[Any]]) -> pd.DataFrame:
    """compact-detail connector rows ``[node, connector, relation code, x, y, z]``."""
    if not rows:
        return _EMPTY_CONNECTORS.copy()
    table = np.array([row[:6] for row in rows], dtype=np.float64)
    if table.ndim != 2 or table.shape[1] < 6:
        raise ValueError("compact-detail connector rows do not have 6 columns")
    codes = _int_column(table, rows, 2, "connector relation")
    return pd.DataFrame(
        {
            "node_id": _int_column(table, rows, 0, "connector node id"),
            "connector_id": _int_column(table, rows, 1, "connector id"),
            "relation": [COMPACT_RELATIONS.get(c, str(c)) for c in codes.tolist()],
            "x": table[:, 3],
            "y": table[:, 4],
            "z": table[:, 5],
        }
    )


def neuron_from_compact(
    skeleton_id: int,
    detail: list[Any],
    annotation_names: Mapping[int, str] | None = None,
    nodes_table: pd.DataFrame | None = None,
) -> Neuron:
    """A Neuron from one compact-detail body ``[nodes, connectors, tags, reviews, annotations]``
    (``nodes_table``: node rows already parsed elsewhere)."""
    nodes, connectors, tags = detail[0], detail[1], detail[2]
    annotation_rows = detail[4] if len(detail) > 4 else []
    names = annotation_names or {}
    annotations = [names.get(int(row[0]), str(row[0])) for row in annotation_rows] if annotation_rows else []
    return Neuron(
        id=skeleton_id,
        nodes=nodes_frame(nodes) if nodes_table is None else nodes_table,
        connectors=connectors_frame(connectors),
        tags={str(k): [int(v) for v in ids] for k, ids in (tags or {}).items()},
        annotations=sorted(annotations),
    )


def copy_parsed(found: Mapping[int, Neuron]) -> dict[int, Neuron]:
    """New Neurons over copies of parsed tables (what the read cache keeps and hands out): the
    copies the change-tracking snapshots make, free until an edit under pandas' copy-on-write, a
    memory copy otherwise; either is far cheaper than parsing the text again."""
    from ...core.values import _frozen_copy

    return {skid: Neuron(id=n.id, nodes=_frozen_copy(n.nodes), connectors=_frozen_copy(n.connectors),
                         tags={k: list(v) for k, v in (n.tags or {}).items()}, annotations=list(n.annotations or []),
                         extra=dict(n.extra))
            for skid, n in found.items()}
