"""CATMAID's compact-detail bodies -> node and connector tables, at the speed of the bytes.

Node tables are most of the bytes and hold no nested lists, so each is cut out of the body and
parsed in C (pandas' tokenizer, which releases the GIL); the small rest goes through orjson.
Anything unexpected falls back to parsing the whole body with orjson.
"""

from __future__ import annotations

import io
import re
from typing import Any, Mapping

import numpy as np
import orjson
import pandas as pd

from ...resources import Neuron

#: compact-detail's connector relation codes.
COMPACT_RELATIONS = {0: "presynaptic_to", 1: "postsynaptic_to", 2: "gapjunction_with", 3: "desmosome_with"}

NODE_COLUMNS = ["node_id", "parent_id", "creator_id", "x", "y", "z", "radius", "confidence"]
CONNECTOR_COLUMNS = ["node_id", "connector_id", "relation", "x", "y", "z"]

# Empty tables are copied from templates: building one column by column costs ~1 ms each.
_EMPTY_NODES = pd.DataFrame({c: np.empty(0, np.int64 if c in ("node_id", "parent_id", "creator_id", "confidence") else np.float64)
                             for c in NODE_COLUMNS})
_EMPTY_CONNECTORS = pd.DataFrame({c: np.empty(0, object if c == "relation" else (np.int64 if c.endswith("id") else np.float64))
                                  for c in CONNECTOR_COLUMNS})


# -- nodes ---------------------------------------------------------------------------------------
def nodes_frame(rows: list[list[Any]]) -> pd.DataFrame:
    """compact-detail node rows ``[id, parent|null, user, x, y, z, radius, confidence]``."""
    if not rows:
        return _EMPTY_NODES.copy()
    # None becomes NaN in a float array; ids stay exact below 2**53.
    table = np.array(rows, dtype=np.float64)
    if table.ndim != 2 or table.shape[1] < 8:
        raise ValueError("compact-detail node rows do not have 8 columns")
    parent = table[:, 1]
    return pd.DataFrame(
        {
            "node_id": table[:, 0].astype(np.int64),
            "parent_id": np.where(np.isnan(parent), -1, parent).astype(np.int64),
            "creator_id": table[:, 2].astype(np.int64),
            "x": table[:, 3],
            "y": table[:, 4],
            "z": table[:, 5],
            "radius": table[:, 6],
            "confidence": table[:, 7].astype(np.int64),
        },
        copy=False,
    )


#: Where a skeleton's node list starts in a bulk compact-detail body: ``"<skid>":[[``.
_SKELETON_START = re.compile(rb'"(\d+)"\s*:\s*\[\s*\[')
def _node_tables(segments: list[bytes]) -> list[pd.DataFrame] | None:
    """Parse node-row segments (``1,null,2,...],[2,1,...``) with pandas' C tokenizer, which
    makes no Python object per value and releases the GIL. None when the text is not the
    plain 8-column form (history rows, pretty-printing): callers then use orjson."""
    counts = [seg.count(b"],[") + 1 if seg else 0 for seg in segments]
    text = b"\n".join(seg for seg in segments if seg).replace(b"],[", b"\n")
    if not text or b"[" in text or b"]" in text:
        return None
    table = pd.read_csv(io.BytesIO(text), header=None, names=NODE_COLUMNS, na_values=["null"],
                        keep_default_na=False, skipinitialspace=True, engine="c", dtype="float64",
                        low_memory=False)
    if len(table) != sum(counts):
        return None
    # Columns converted once for all skeletons, then row ranges sliced off per skeleton
    # (slicing is far cheaper than building a DataFrame from arrays 200 times).
    parent = table["parent_id"].to_numpy()
    table = pd.DataFrame({
        "node_id": table["node_id"].to_numpy().astype(np.int64),
        "parent_id": np.where(np.isnan(parent), -1, parent).astype(np.int64),
        "creator_id": table["creator_id"].to_numpy().astype(np.int64),
        "x": table["x"].to_numpy(),
        "y": table["y"].to_numpy(),
        "z": table["z"].to_numpy(),
        "radius": table["radius"].to_numpy(),
        "confidence": table["confidence"].to_numpy().astype(np.int64),
    })
    frames, start = [], 0
    for n in counts:
        if n == 0:
            frames.append(_EMPTY_NODES.copy())
            continue
        frame = table.iloc[start : start + n]
        frame.index = pd.RangeIndex(n)
        frames.append(frame)
        start += n
    return frames


def neurons_from_compact_many(body: bytes) -> dict[int, Neuron]:
    """Neurons from a bulk ``skeletons/compact-detail`` body (``{"skeletons": {skid: detail}}``).

    Node tables are most of the bytes and hold no nested lists, so each is cut out of the body
    and parsed in C; the small rest (connectors, tags, annotations) goes through orjson.
    Anything unexpected falls back to parsing the whole body with orjson.
    """
    segments: list[bytes] = []
    pieces: list[bytes] = []
    position = 0
    match = _SKELETON_START.search(body)
    while match is not None:
        start = match.end()
        if body[start : start + 1] == b"]":  # an empty node list
            segments.append(b"")
            match = _SKELETON_START.search(body, start)
            continue
        if body[start : start + 1] != b"[":
            return _slow_many(body)
        end = body.find(b"]]", start)  # node rows hold no nested lists
        if end < 0:
            return _slow_many(body)
        segments.append(body[start + 1 : end])
        pieces.append(body[position:start])
        position = end + 1  # keep one "]" to close the emptied node list
        match = _SKELETON_START.search(body, position)
    pieces.append(body[position:])
    if not segments:
        return _slow_many(body)
    tables = _node_tables(segments)
    if tables is None:
        return _slow_many(body)
    rest = orjson.loads(b"".join(pieces)).get("skeletons", {})
    if len(rest) != len(tables):
        return _slow_many(body)
    result = {}
    for (skid, detail), nodes in zip(rest.items(), tables):
        result[int(skid)] = neuron_from_compact(int(skid), detail, nodes_table=nodes)
    return result


def _slow_many(body: bytes) -> dict[int, Neuron]:
    skeletons = orjson.loads(body).get("skeletons", {})
    return {int(k): neuron_from_compact(int(k), v) for k, v in skeletons.items()}


def connectors_frame(rows: list[list[Any]]) -> pd.DataFrame:
    """compact-detail connector rows ``[node, connector, relation code, x, y, z]``."""
    if not rows:
        return _EMPTY_CONNECTORS.copy()
    table = np.array(rows, dtype=np.float64)
    codes = table[:, 2].astype(np.int64)
    return pd.DataFrame(
        {
            "node_id": table[:, 0].astype(np.int64),
            "connector_id": table[:, 1].astype(np.int64),
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


