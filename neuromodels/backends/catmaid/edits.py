"""A node table's difference, sent through CATMAID's node endpoints with the state checks
the server asks for.

A user edits ``neuron.nodes`` (moves nodes, adds rows with new ids for a branch, drops rows for a
twig, changes ``radius``, ``confidence`` or ``parent_id``); :func:`write_nodes` compares the table
with the one last loaded and sends, in this order and in as few requests as CATMAID allows:

0. when an existing node becomes the root: one ``skeleton/reroot`` (after the state read of
   step 1 for its path), then everything below against the rerooted tree;
1. one ``node/list`` read of every node the edits touch (forced by id) and of its links: the
   server's current values and edition times. A node whose values differ from the loaded table
   was changed by someone else since: :class:`~neuromodels.Conflict` before anything is sent;
2. ``treenode/create`` per new node, parents first (the parent's edition time as state), or
   ``treenode/insert`` when it takes over existing children of its parent;
3. one ``node/update`` for every moved node (multinode state);
4. one ``treenodes/radius`` for every changed radius (and new nodes' fractional radii, which
   ``treenode/create`` truncates);
5. ``treenodes/{id}/confidence`` per changed confidence;
6. ``treenode/delete`` per removed node, deepest first (complete neighborhood state; children
   move up to the parent, so a row whose parent was removed may name the grandparent);
7. ``treenodes/{id}/parent`` per remaining parent change, shallowest first (no cycle on the way).

The server checks every state again inside its transaction, so a change made by someone else
between the read and a write is also a :class:`~neuromodels.Conflict`. CATMAID has no
transaction across requests: writes sent before such a late conflict stay made, and the model
keeps its pending edits; ``fetch()`` it again to see the server's state and redo the rest.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ...connection import Connection
from ...core.backend import required
from ...core.errors import Conflict
from ...formats import nodediff
from ...formats.swc import SWCError, check_tree
from ...models import Neuron
from . import api

#: Columns a user may edit, with their CATMAID meaning.
EDITABLE = ("x", "y", "z", "radius", "confidence", "parent_id")


def iso(epoch: float) -> str:
    """An edition time as CATMAID's states take it (node/list sends epoch seconds)."""
    return _dt.datetime.fromtimestamp(float(epoch), _dt.timezone.utc).isoformat()


def check_table(old: pd.DataFrame | None, new: pd.DataFrame) -> None:
    """Refuse an edited node table CATMAID cannot take, before any request."""
    for column in ("node_id", "parent_id", "x", "y", "z"):
        if column not in new.columns:
            raise ValueError(f"the node table has no column {column!r}")
    if not np.isfinite(new[["x", "y", "z"]].to_numpy(dtype=float)).all():
        raise ValueError("node coordinates must be finite (found NaN or infinity)")
    if old is not None:
        new = nodediff.reconnect(old, new)  # a dropped inner node: its children move to its parent
    try:
        check_tree(new[["node_id", "parent_id"]].astype("int64"), where="the node table")
    except SWCError as e:
        raise ValueError(f"the edited nodes are not a tree: {e}") from None
    if old is None:
        return
    old_root = old.loc[old["parent_id"] == -1, "node_id"].tolist()
    new_root = new.loc[new["parent_id"] == -1, "node_id"].tolist()
    if len(new_root) != 1:
        raise ValueError(f"CATMAID stores one tree per skeleton; the edited nodes have {len(new_root)} roots")
    if old_root != new_root and new_root[0] not in set(old["node_id"].tolist()):
        raise ValueError(f"the new root {new_root[0]} is a new row; CATMAID reroots at an existing node only "
                         "(add the node under the tree first, then make it the root)")


class _Tree:
    """Parents and children of a skeleton as edits change it (children indexed, so a long run
    of deletes stays linear)."""

    def __init__(self, parent: Mapping[int, int]) -> None:
        self.parent = dict(parent)
        self.kids: dict[int, set[int]] = {}
        for node, up in self.parent.items():
            self.kids.setdefault(up, set()).add(node)

    def children(self, node: int) -> list[int]:
        return sorted(self.kids.get(node, ()))

    def attach(self, node: int, up: int) -> None:
        old = self.parent.get(node)
        if old is not None:
            self.kids[old].discard(node)
        self.parent[node] = up
        self.kids.setdefault(up, set()).add(node)

    def remove(self, node: int) -> None:
        """CATMAID's delete: the children move up to the node's parent."""
        up = self.parent[node]
        for child in self.children(node):
            self.attach(child, up)
        self.kids[up].discard(node)
        del self.parent[node]
        self.kids.pop(node, None)


def write_nodes(conn: Connection, model: Neuron, old: pd.DataFrame | None = None) -> dict[int, int]:
    """Send the difference between ``model.nodes`` and the loaded table (or ``old``); returns
    the mapping of the new rows' ids to the server's node ids (and updates the table with them)."""
    if old is None:
        old = model.original("nodes")
    new: pd.DataFrame = nodediff.reconnect(old, model.nodes)
    check_table(old, new)
    skid = int(model.id)
    old = old.drop_duplicates("node_id")
    old_root = int(old.loc[old["parent_id"] == -1, "node_id"].iloc[0])
    new_root = int(new.loc[new["parent_id"] == -1, "node_id"].iloc[0])
    if new_root != old_root:
        # Reroot first (one request), then send the rest against the rerooted tree.
        return write_nodes(conn, model, _reroot(conn, model, old, new_root, skid))
    oi = old.set_index(old["node_id"].astype("int64").to_numpy())
    ni = new.set_index(new["node_id"].astype("int64").to_numpy())
    old_parent = {int(k): int(v) for k, v in oi["parent_id"].items()}
    new_parent = {int(k): int(v) for k, v in ni["parent_id"].items()}
    step = nodediff.plan(old, new)
    removed, added, moved, radius, confidence = step.removed, step.added, step.moved, step.radius, step.confidence
    for i in confidence:
        value = ni.at[i, "confidence"]
        if pd.isna(value) or int(value) != value or int(value) not in range(1, 6):
            raise ValueError(f"node {i}: confidence must be an int from 1 to 5, not {value!r}")
    deletes, reparent, sim = step.deletes, step.reparent, step.after_deletes
    before = _Tree(old_parent)
    after_deletes = _Tree(sim)
    if not step:
        return {}

    # 1. The server's view of everything touched.
    touched = set(moved) | set(radius) | set(confidence) | set(reparent) | removed
    touched |= {new_parent[a] for a in added if new_parent[a] in old_parent}
    for r in removed:
        touched |= {old_parent[r], *before.children(r)}
    for i in reparent:
        touched |= {sim[i], *after_deletes.children(i)}
        if new_parent[i] in old_parent:
            touched.add(new_parent[i])
    touched.discard(-1)
    links_known: dict[int, set[tuple[int, str]]] = {}
    connectors: set[int] = set()
    table = model.original("connectors")
    if table is not None and len(table):
        for node, cid, relation in table[["node_id", "connector_id", "relation"]].itertuples(index=False):
            if int(node) in removed or int(node) in reparent:
                links_known.setdefault(int(node), set()).add((int(cid), str(relation)))
                connectors.add(int(cid))
    times, links = _read_state(conn, model, oi, sorted(touched), sorted(connectors), links_known, skid)

    # 2. New nodes, parents first. A new node that takes over existing children of its
    #    parent (a node put on an edge) is one treenode/insert instead of a create plus
    #    a parent change per child.
    mapping: dict[int, int] = {}
    inserted: dict[int, int] = {}  # existing child -> the new node it now hangs under
    pending = list(added)
    fix_radius: dict[int, float] = {}
    while pending:
        ready = [a for a in pending if new_parent[a] not in pending]
        for a in ready:
            row = ni.loc[a]
            parent = mapping.get(new_parent[a], new_parent[a])
            size = float(row["radius"]) if "radius" in row and not pd.isna(row["radius"]) else 0.0
            c = int(row["confidence"]) if "confidence" in row and not pd.isna(row["confidence"]) else 5
            form: dict[str, Any] = {"x": repr(float(row["x"])), "y": repr(float(row["y"])), "z": repr(float(row["z"])),
                                    "parent_id": str(parent), "radius": str(int(size)), "confidence": str(c)}
            takeover = [k for k in reparent if new_parent[k] == a and old_parent.get(k) == parent]
            if takeover:
                form["child_id"] = str(takeover[0])
                form.update({f"takeover_child_ids[{j}]": str(k) for j, k in enumerate(takeover[1:])})
                form["state"] = api.state({"edition_time": times[parent], "children": [[k, times[k]] for k in takeover]})
                node, on, edited, children = api.write(conn, "/treenode/insert", form, shape=_created_node)
            else:
                form["state"] = api.state({"parent": [parent, times[parent]]})
                node, on, edited, children = api.write(conn, "/treenode/create", form, shape=_created_node)
            if on is not None and on != skid:
                raise Conflict(f"node {parent} is no longer in skeleton {skid}")
            mapping[a], times[node] = node, edited
            for k, t in children:
                times[k], inserted[k] = t, node
            if size != int(size):
                fix_radius[node] = size
        pending = [a for a in pending if a not in ready]
    reparent = [i for i in reparent if i not in inserted]

    # 3. Moves, in one request.
    if moved:
        moves: list[tuple[str, str]] = []
        for k, i in enumerate(moved):
            moves += [(f"t[{k}][0]", str(i))] + [(f"t[{k}][{j}]", repr(float(ni.at[i, axis])))
                                                for j, axis in enumerate("xyz", 1)]
        moves.append(("state", api.state([[i, times[i]] for i in moved])))
        times.update(api.write(conn, "/node/update", moves,
                               shape=lambda body: {int(r[0]): r[1] for r in body.get("old_treenodes") or []}))

    # 4. Radii, in one request.
    radii = {i: float(ni.at[i, "radius"]) for i in radius}
    radii.update(fix_radius)
    if radii:
        ids = list(radii)
        sizes = [(f"treenode_ids[{k}]", str(i)) for k, i in enumerate(ids)]
        sizes += [(f"treenode_radii[{k}]", repr(radii[i])) for k, i in enumerate(ids)]
        sizes.append(("state", api.state([[i, times[i]] for i in ids])))
        times.update(api.write(conn, "/treenodes/radius", sizes, shape=lambda body: {
            int(key): value["edition_time"] for key, value in (body.get("updated_nodes") or {}).items()}))

    # 5. Confidences, one node per request (CATMAID has no bulk form).
    for i in confidence:
        edited = api.write(conn, f"/treenodes/{i}/confidence",
                           {"new_confidence": str(int(ni.at[i, "confidence"])),
                            "state": api.state({"edition_time": times[i]})},
                           shape=lambda body: [v["edition_time"] for v in (body.get("updated_partners") or {}).values()])
        if edited:
            times[i] = edited[-1]

    # 6. Deletes, deepest first, each with its complete neighborhood.
    tree = _Tree(old_parent)
    for a in added:
        tree.attach(mapping[a], mapping.get(new_parent[a], new_parent[a]))
    for k, node in inserted.items():
        tree.attach(k, node)
    for r in deletes:
        children = tree.children(r)
        state: dict[str, Any] = {"edition_time": times[r], "children": [[c, times[c]] for c in children],
                                 "links": links.get(r, [])}
        up = tree.parent[r]
        if up != -1:
            state["parent"] = [up, times[up]]
        times.update(api.write(conn, "/treenode/delete", {"treenode_id": str(r), "state": api.state(state)},
                               shape=lambda body: {int(c): t for c, t in body.get("children") or []}))
        tree.remove(r)

    # 7. Parent changes, shallowest first; the answer has no edition time, so re-read it.
    for i in reparent:
        target = mapping.get(new_parent[i], new_parent[i])
        children = tree.children(i)
        state = {"edition_time": times[i], "parent": [tree.parent[i], times[tree.parent[i]]],
                 "children": [[c, times[c]] for c in children], "links": links.get(i, [])}
        api.write(conn, f"/treenodes/{i}/parent", {"parent_id": str(target), "state": api.state(state)})
        tree.attach(i, target)
        times[i] = api.read(conn, "/node/user-info", [("node_ids[0]", str(i))], _edition_time_of(i))

    _apply(model, mapping, removed)
    return mapping


def _reroot(conn: Connection, model: Neuron, old: pd.DataFrame, root: int, skid: int) -> pd.DataFrame:
    """``skeleton/reroot`` at ``root`` (CATMAID reverses the path to the old root; each path node
    takes the confidence of the edge it now lies on, the new root gets 5); the table as the
    server now holds it."""
    oi = old.set_index(old["node_id"].astype("int64").to_numpy())
    parent = {int(k): int(v) for k, v in oi["parent_id"].items()}
    path = [root]
    while parent[path[-1]] != -1:
        path.append(parent[path[-1]])
    children = [c for c, p in parent.items() if p == root]
    links_known: dict[int, set[tuple[int, str]]] = {}
    connectors: set[int] = set()
    table = model.original("connectors")
    if table is not None and len(table):
        for node, cid, relation in table[["node_id", "connector_id", "relation"]].itertuples(index=False):
            if int(node) == root:
                links_known.setdefault(root, set()).add((int(cid), str(relation)))
                connectors.add(int(cid))
    times, links = _read_state(conn, model, oi, sorted(set(path) | set(children)), sorted(connectors),
                               links_known, skid)
    # Sent as the web client does; this CATMAID version does not check it.
    state = {"edition_time": times[root], "parent": [path[1], times[path[1]]],
             "children": [[c, times[c]] for c in children], "links": links.get(root, [])}
    api.write(conn, "/skeleton/reroot", {"treenode_id": str(root), "state": api.state(state)})
    return nodediff.rerooted(old, root)


def _read_state(conn: Connection, model: Neuron, oi: pd.DataFrame, nodes: list[int], connectors: list[int],
                links_known: Mapping[int, set[tuple[int, str]]], skid: int
                ) -> tuple[dict[int, str], dict[int, list[list[Any]]]]:
    """Edition times (ISO) of ``nodes`` and link states of the nodes in ``links_known``, after
    checking that the server still holds what the loaded table says."""
    form = [("left", "0"), ("right", "0"), ("top", "0"), ("bottom", "0"), ("z1", "0"), ("z2", "0"),
            ("labels", "false")]
    form += [(f"treenode_ids[{k}]", str(i)) for k, i in enumerate(nodes)]
    form += [(f"connector_ids[{k}]", str(c)) for k, c in enumerate(connectors)]
    def listed(body: Any) -> tuple[dict[int, Any], dict[int, str], Any]:
        rows = {int(r[0]): r for r in body[0]}
        for r in rows.values():
            int(r[7])
        named = {int(k): v for k, v in (body[4] if len(body) > 4 and isinstance(body[4], dict) else {}).items()}
        return rows, named, body

    rows, relation_names, body = api.read(conn, "/node/list", form, listed)
    if not relation_names and links_known:
        relation_names = {v: k for k, v in api.relation_ids(conn).items()}
    # Compared column by column: node/list rows [id, parent, x, y, z, confidence, radius, skeleton, ...].
    present = [i for i in nodes if i in rows and int(rows[i][7]) == skid]
    stale = [i for i in nodes if i not in rows or int(rows[i][7]) != skid]
    if present:
        theirs = np.array([[-1 if rows[i][1] is None else rows[i][1], *rows[i][2:7]] for i in present], dtype=float)
        mine = oi.loc[present]
        columns = [(0, "parent_id"), (1, "x"), (2, "y"), (3, "z"), (4, "confidence"), (5, "radius")]
        differs = np.zeros(len(present), dtype=bool)
        for k, column in columns:
            if column in mine:
                differs |= ~np.isclose(theirs[:, k], mine[column].to_numpy(dtype=float), rtol=0, atol=1e-3)
        stale += [i for i, bad in zip(present, differs.tolist()) if bad]
    links: dict[int, list[list[Any]]] = {}
    seen: dict[int, set[tuple[int, str]]] = {}
    for c in body[1]:
        for tn, rel, _conf, et, link_id in c[7]:
            if int(tn) in links_known:
                links.setdefault(int(tn), []).append([int(link_id), iso(et)])
                seen.setdefault(int(tn), set()).add((int(c[0]), relation_names.get(int(rel), str(rel))))
    stale += [i for i, known in links_known.items() if seen.get(i, set()) != known]
    if stale:
        raise Conflict(f"node(s) {sorted(set(stale))[:10]} of skeleton {skid} changed on the server since this "
                       "neuron was loaded; nothing was sent: fetch() it again and redo the edits")
    return {i: iso(rows[i][8]) for i in nodes}, links


def _apply(model: Neuron, mapping: Mapping[int, int], removed: set[int]) -> None:
    """The table with the server's ids for new rows; links of deleted nodes dropped."""
    if mapping:
        nodes = required(model.nodes, "its nodes").copy()
        nodes["node_id"] = nodes["node_id"].map(lambda v: mapping.get(int(v), int(v))).astype("int64")
        nodes["parent_id"] = nodes["parent_id"].map(lambda v: mapping.get(int(v), int(v))).astype("int64")
        model.nodes = nodes
    if removed and model.connectors is not None and len(model.connectors):
        keep = ~model.connectors["node_id"].isin(list(removed))
        model.connectors = model.connectors.loc[keep].reset_index(drop=True)


def _created_node(body: Any) -> tuple[int, int | None, Any, list[tuple[int, Any]]]:
    """``treenode/create`` or ``treenode/insert``: the node id, its skeleton (when said), its
    edition time and the children it took over with theirs."""
    skeleton = body.get("skeleton_id")
    return (int(body["treenode_id"]), None if skeleton is None else int(skeleton), body["edition_time"],
            [(int(k), t) for k, t in body.get("child_edition_times") or []])


def _edition_time_of(node: int) -> Any:
    """A ``node/user-info`` reader: the node's edition time."""
    return lambda body: body[str(node)]["edition_time"]


def write_tags(conn: Connection, before: Mapping[str, list[int]], after: Mapping[str, list[int]]) -> None:
    """Set the full tag list of every node whose tags changed (one request per node)."""
    def by_node(tags: Mapping[str, list[int]]) -> dict[int, set[str]]:
        result: dict[int, set[str]] = {}
        for tag, nodes in tags.items():
            for node in nodes:
                result.setdefault(int(node), set()).add(tag)
        return result

    old, new = by_node(before), by_node(after)
    changed = [n for n in set(old) | set(new) if old.get(n, set()) != new.get(n, set())]
    conn.transport.map_values(
        lambda n: api.write(conn, f"/label/treenode/{n}/update",
                            {"tags": ",".join(sorted(new.get(n, set()))), "delete_existing": "true"}),
        sorted(changed),
    )
