"""The difference between two node tables, as the node edits of an ``update()`` send it.

Pure functions on DataFrames (``node_id, parent_id, x, y, z`` and optionally ``radius``,
``confidence``); no I/O. Tracing servers (CATMAID) delete a node by reconnecting its children to
its parent, so a row dropped from the middle of a table means the same: :func:`reconnect` gives
the table a user meant, :func:`plan` what changes between two tables, and :func:`changes_frame`
that plan as a table, one row per change (what ``Neuron.changes()`` shows).

>>> old = pd.DataFrame({"node_id": [1, 2, 3], "parent_id": [-1, 1, 2], "x": [0.0, 1, 2], "y": 0.0, "z": 0.0})
>>> new = old[old.node_id != 2]                        # drop the middle node
>>> reconnect(old, new).parent_id.tolist()             # its child hangs on its parent
[-1, 1]
>>> changes_frame(old, new)[["change", "node_id", "parent_id"]].values.tolist()
[['delete', 2, 1]]
"""

from __future__ import annotations

from typing import Any, Mapping

import attrs
import numpy as np
import pandas as pd

from .swc import check_tree

#: Columns of :func:`changes_frame`.
CHANGE_COLUMNS = ("change", "node_id", "parent_id", "x", "y", "z", "radius", "confidence")


def _parents(table: pd.DataFrame) -> dict[int, int]:
    return {int(k): int(v) for k, v in zip(table["node_id"].tolist(), table["parent_id"].tolist())}


def reconnect(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """``new`` with every parent that was dropped (present in ``old``, absent from ``new``)
    replaced by its nearest ancestor still present: CATMAID's delete, where the children of a
    deleted node move up to its parent. ``new`` itself when nothing needs it."""
    old_parent = _parents(old.drop_duplicates("node_id"))
    present = set(new["node_id"].astype("int64").tolist())
    gone = set(old_parent) - present
    parents = new["parent_id"].astype("int64").tolist()
    if not gone or not any(p in gone for p in parents):
        return new

    def survivor(node: int) -> int:
        seen: set[int] = set()
        while node in gone and node not in seen:
            seen.add(node)
            node = old_parent.get(node, -1)
        return node

    result = new.copy()
    result["parent_id"] = np.array([survivor(p) if p in gone else p for p in parents], dtype="int64")
    return result


def rerooted(old: pd.DataFrame, root: int) -> pd.DataFrame:
    """``old`` rerooted at ``root`` as CATMAID does it: the path to the old root reversed, each
    node on it taking the confidence of the edge it now lies on, the new root 5."""
    table = old.drop_duplicates("node_id").copy()
    parent = _parents(table)
    path = [root]
    while parent[path[-1]] != -1:
        path.append(parent[path[-1]])
    at = {int(n): k for k, n in enumerate(table["node_id"].astype("int64").tolist())}
    parents = table["parent_id"].to_numpy().copy()
    parents[at[root]] = -1
    for child, up in zip(path, path[1:]):
        parents[at[up]] = child
    table["parent_id"] = parents
    if "confidence" in table:
        before = table["confidence"].to_numpy()
        confidence = before.copy()
        for child, up in zip(path, path[1:]):
            confidence[at[up]] = before[at[child]]
        confidence[at[root]] = 5
        table["confidence"] = confidence
    return table


def depths(parent: Mapping[int, int]) -> dict[int, int]:
    """Each node's distance from its root."""
    depth: dict[int, int] = {}
    for start in parent:
        path = []
        node = start
        while node != -1 and node not in depth:
            path.append(node)
            node = parent[node]
        base = -1 if node == -1 else depth[node]
        for n in reversed(path):
            base += 1
            depth[n] = base
    return depth


def _differs(a: "pd.Series[Any]", b: "pd.Series[Any]") -> np.ndarray:
    x, y = a.astype(float).to_numpy(), b.astype(float).to_numpy()
    same: np.ndarray = np.isclose(x, y, rtol=0, atol=1e-6) | (np.isnan(x) & np.isnan(y))
    return ~same


@attrs.frozen
class Plan:
    """What changes from ``old`` to ``new`` (both already reconnected and with the same root):
    node ids per kind of change, deletes deepest first, parent changes shallowest first, and
    ``after_deletes``: each surviving node's parent once the deletes are done."""

    added: list[int]
    removed: set[int]
    deletes: list[int]
    moved: list[int]
    radius: list[int]
    confidence: list[int]
    reparent: list[int]
    after_deletes: dict[int, int]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.moved or self.radius or self.confidence or self.reparent)


def plan(old: pd.DataFrame, new: pd.DataFrame) -> Plan:
    """The changes between two tables of one tree with the same root."""
    old = old.drop_duplicates("node_id")
    oi = old.set_index(old["node_id"].astype("int64").to_numpy())
    ni = new.set_index(new["node_id"].astype("int64").to_numpy())
    old_parent, new_parent = _parents(old), _parents(new)
    removed = set(old_parent) - set(new_parent)
    added = [i for i in new_parent if i not in old_parent]
    common = ni.index.intersection(oi.index)
    o, n = oi.loc[common], ni.loc[common]
    moved = [int(i) for i in common[_differs(o["x"], n["x"]) | _differs(o["y"], n["y"]) | _differs(o["z"], n["z"])]]
    radius = [int(i) for i in common[_differs(o["radius"], n["radius"])]] if "radius" in oi and "radius" in ni else []
    confidence = ([int(i) for i in common[_differs(o["confidence"], n["confidence"])]]
                  if "confidence" in oi and "confidence" in ni else [])
    depth = depths(old_parent)
    deletes = sorted(removed, key=lambda i: -depth[i])
    sim = dict(old_parent)
    kids: dict[int, set[int]] = {}
    for node, up in sim.items():
        kids.setdefault(up, set()).add(node)
    for r in deletes:  # the children of a deleted node move up to its parent
        up = sim.pop(r)
        kids[up].discard(r)
        for child in kids.pop(r, set()):
            sim[child] = up
            kids.setdefault(up, set()).add(child)
    final_depth = depths(new_parent)
    reparent = sorted((i for i in sim if new_parent[i] != sim[i]), key=lambda i: final_depth[i])
    return Plan(added, removed, deletes, moved, radius, confidence, reparent, sim)


def changes_frame(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """One row per change an update sends, in the order it sends them: ``reroot`` (an existing
    node becomes the root), ``create``, ``move``, ``radius``, ``confidence``, ``delete`` (with
    the parent its children move to), ``parent``. Columns :data:`CHANGE_COLUMNS`; the values
    are the new ones, empty where a change does not set them."""
    new = reconnect(old, new)
    check_tree(new[["node_id", "parent_id"]].astype("int64"), where="the node table")  # no cycles to walk
    rows: list[dict[str, Any]] = []
    old_root = old.loc[old["parent_id"] == -1, "node_id"].tolist()
    new_root = new.loc[new["parent_id"] == -1, "node_id"].tolist()
    if len(new_root) == 1 and old_root and int(new_root[0]) != int(old_root[0]) \
            and int(new_root[0]) in set(old["node_id"].astype("int64").tolist()):
        rows.append({"change": "reroot", "node_id": int(new_root[0])})
        old = rerooted(old, int(new_root[0]))
    step = plan(old, new)
    ni = new.drop_duplicates("node_id").set_index(new.drop_duplicates("node_id")["node_id"].astype("int64").to_numpy())

    def value(i: int, column: str) -> Any:
        return ni.at[i, column] if column in ni else None

    for i in step.added:
        rows.append({"change": "create", "node_id": i, "parent_id": int(value(i, "parent_id")),
                     **{c: value(i, c) for c in ("x", "y", "z", "radius", "confidence")}})
    rows += [{"change": "move", "node_id": i, "x": value(i, "x"), "y": value(i, "y"), "z": value(i, "z")}
             for i in step.moved]
    rows += [{"change": "radius", "node_id": i, "radius": value(i, "radius")} for i in step.radius]
    rows += [{"change": "confidence", "node_id": i, "confidence": value(i, "confidence")} for i in step.confidence]
    old_parent = _parents(old.drop_duplicates("node_id"))
    for r in step.deletes:
        up = old_parent[r]
        while up in step.removed:
            up = old_parent[up]
        rows.append({"change": "delete", "node_id": r, "parent_id": up})
    rows += [{"change": "parent", "node_id": i, "parent_id": int(value(i, "parent_id"))} for i in step.reparent]
    table = pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))
    for column in ("node_id", "parent_id", "confidence"):
        table[column] = table[column].astype("Int64")
    for column in ("x", "y", "z", "radius"):
        table[column] = table[column].astype(float)
    return table
