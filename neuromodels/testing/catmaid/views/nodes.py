"""Reads of single nodes and nodes in a field of view: info, user info, locations, node/list,
node rows by id or tag, children, node overview and compact arbor."""

from __future__ import annotations

import json
from typing import Any

import orjson
from werkzeug.wrappers import Request, Response

from ..base import SYNAPTIC_CODES, CatmaidBase, route
from ..store import epoch, iso_us
from ..wire import DoesNotExist, as_json_list, req_bool, req_list

#: node/list and treenodes/compact-detail: [id, parent, x, y, z, confidence, radius, skeleton, edition epoch, user]
NODE_ROW = "t.id, t.parent_id, t.x, t.y, t.z, t.confidence, t.radius, t.skeleton_id, t.edition_time, t.user_id"


def node_row(r: tuple[Any, ...]) -> list[Any]:
    return [*r[:8], epoch(r[8]), r[9]]


def compact(body: Any, content_type: str = "application/json") -> Response:
    """JSON without spaces, as CATMAID's views that serialise with ``separators=(',', ':')``."""
    return Response(orjson.dumps(body), content_type=content_type)


def spaced(body: Any) -> Response:
    """JSON with CATMAID's default ``", "``/``": "`` separators."""
    return Response(json.dumps(body), content_type="application/json")


class NodeViews(CatmaidBase):
    @route("/<int:pid>/treenodes/<int:node>/info", drf=True, methods=("GET",))
    def treenode_info(self, request: Request, user: int, pid: int, node: int) -> Any:
        rows = self.db.read(
            "SELECT t.skeleton_id, s.name, m.neuron_id, n.name FROM treenode t JOIN class_instance s ON s.id = t.skeleton_id "
            "JOIN model_of m ON m.skeleton_id = t.skeleton_id JOIN class_instance n ON n.id = m.neuron_id "
            "WHERE t.id = ? AND t.project_id = ?", (node, pid))
        if not rows:
            raise ValueError(f"No skeleton and neuron for treenode {node}")
        skid, sname, nid, nname = rows[0]
        return {"skeleton_id": skid, "skeleton_name": sname, "neuron_id": nid, "neuron_name": nname}

    @route("/<int:pid>/skeleton/node/<int:node>/node_count")
    def node_count(self, request: Request, user: int, pid: int, node: int) -> Any:
        rows = self.db.read("SELECT skeleton_id FROM treenode WHERE id = ?", (node,))
        if not rows:  # CATMAID's view looks the node up unguarded: a 500
            raise DoesNotExist("Treenode matching query does not exist.")
        skid = int(rows[0][0])
        (count,) = self.db.read("SELECT COUNT(*) FROM treenode WHERE skeleton_id = ?", (skid,))[0]
        return {"count": count, "skeleton_id": skid}

    @route("/<int:pid>/node/user-info")
    def user_info(self, request: Request, user: int, pid: int) -> Any:
        ids = as_json_list(list(dict.fromkeys(req_list(request.values, "node_ids", int))))
        rows = self.db.read(
            "SELECT id, user_id, COALESCE(editor_id, user_id), creation_time, edition_time FROM treenode "
            "WHERE id IN (SELECT value FROM json_each(?)) UNION ALL "
            "SELECT id, user_id, editor_id, creation_time, edition_time FROM connector WHERE id IN (SELECT value FROM json_each(?))",
            (ids, ids))
        if not rows:
            raise ValueError("No node found")
        reviews: dict[int, list[tuple[int, str]]] = {}
        for node, reviewer, t in self.db.read(
                "SELECT treenode_id, reviewer_id, review_time FROM review WHERE treenode_id IN (SELECT value FROM json_each(?)) "
                "ORDER BY id", (ids,)):
            reviews.setdefault(node, []).append((reviewer, t))
        return {str(i): {"user": u, "editor": e, "creation_time": iso_us(ct), "edition_time": iso_us(et),
                         "reviewers": [r for r, _ in reviews.get(i, [])],
                         "review_times": [iso_us(t) for _, t in reviews.get(i, [])]}
                for i, u, e, ct, et in rows}

    @route("/<int:pid>/nodes/location", drf=True, methods=("POST",))
    def locations(self, request: Request, user: int, pid: int) -> Any:
        ids = as_json_list(req_list(request.form, "node_ids", int))
        return [list(r) for r in self.db.read(
            "SELECT id, x, y, z FROM treenode WHERE id IN (SELECT value FROM json_each(?)) UNION ALL "
            "SELECT id, x, y, z FROM connector WHERE id IN (SELECT value FROM json_each(?))", (ids, ids))]

    @route("/<int:pid>/node/list")
    def node_list(self, request: Request, user: int, pid: int) -> Any:
        """Nodes in a box (plus the forced ones), connectors in it or linked to its nodes, with links."""
        v = request.values
        box = [float(v[k]) for k in ("left", "right", "top", "bottom", "z1", "z2")]
        inside = "x BETWEEN ? AND ? AND y BETWEEN ? AND ? AND z BETWEEN ? AND ?"
        forced = req_list(v, "treenode_ids", int)
        treenodes = self.db.read(
            f"SELECT {NODE_ROW} FROM treenode t WHERE t.project_id = ? AND (({inside.replace('x ', 't.x ').replace('y ', 't.y ').replace('z ', 't.z ')}) "
            "OR t.id IN (SELECT value FROM json_each(?)))", (pid, *box, as_json_list(forced)))
        nodes = [node_row(r) for r in treenodes]
        connectors = self.db.read(
            f"SELECT id, x, y, z, confidence, edition_time, user_id FROM connector WHERE project_id = ? AND (({inside}) "
            "OR id IN (SELECT value FROM json_each(?)) "
            "OR id IN (SELECT connector_id FROM treenode_connector WHERE treenode_id IN (SELECT value FROM json_each(?))))",
            (pid, *box, as_json_list(req_list(v, "connector_ids", int)), as_json_list([n[0] for n in nodes])))
        links: dict[int, list[Any]] = {}
        used: set[int] = set()
        for cid, node, rel, conf, et, lid in self.db.read(
                "SELECT connector_id, treenode_id, relation_id, confidence, edition_time, id FROM treenode_connector "
                "WHERE connector_id IN (SELECT value FROM json_each(?)) ORDER BY id", (as_json_list([c[0] for c in connectors]),)):
            links.setdefault(cid, []).append([node, rel, conf, epoch(et), lid])
            used.add(rel)
        rows = [[c[0], c[1], c[2], c[3], c[4], epoch(c[5]), c[6], links.get(c[0], [])] for c in connectors]
        labels: dict[str, list[str]] = {}
        if req_bool(v, "labels"):
            ids = [n[0] for n in nodes] + [c[0] for c in rows]
            for node, tag in self.db.read("SELECT node_id, tag FROM label WHERE node_id IN (SELECT value FROM json_each(?)) "
                                          "ORDER BY id", (as_json_list(ids),)):
                labels.setdefault(str(node), []).append(tag)
        relation_map = {str(i): n for n, i in self.relations(pid).items() if i in used}
        return compact([nodes, rows, labels, False, relation_map])

    @route("/<int:pid>/treenodes/<int:node>/compact-detail", drf=True, methods=("GET",))
    def treenode_compact_detail(self, request: Request, user: int, pid: int, node: int) -> Any:
        rows = self.db.read(f"SELECT {NODE_ROW} FROM treenode t WHERE t.id = ?", (node,))
        if not rows:
            raise ValueError(f"Could not find treenode with ID {node}")
        return node_row(rows[0])

    @route("/<int:pid>/treenodes/compact-detail", drf=True, methods=("POST",))
    def treenodes_compact_detail(self, request: Request, user: int, pid: int) -> Any:
        form = request.form
        sql = f"SELECT {NODE_ROW} FROM treenode t WHERE t.project_id = ?"
        params: list[Any] = [pid]
        nodes = req_list(form, "treenode_ids", int)
        if nodes:
            sql += " AND t.id IN (SELECT value FROM json_each(?))"
            params.append(as_json_list(nodes))
        skids = req_list(form, "skeleton_ids", int)
        if skids:
            sql += " AND t.skeleton_id IN (SELECT value FROM json_each(?))"
            params.append(as_json_list(skids))
        names = req_list(form, "label_names")
        label_ids = req_list(form, "label_ids", int)
        if label_ids:
            names += [r[0] for r in self.db.read("SELECT name FROM class_instance WHERE id IN (SELECT value FROM json_each(?))",
                                                 (as_json_list(label_ids),))]
        if names or label_ids:
            sql += " AND t.id IN (SELECT node_id FROM label WHERE tag IN (SELECT value FROM json_each(?)))"
            params.append(json.dumps(names))
        rows = [node_row(r) for r in self.db.read(sql, params)]
        if nodes:
            order = {n: i for i, n in enumerate(nodes)}
            rows.sort(key=lambda r: order.get(r[0], 0))
        return rows

    @route("/<int:pid>/treenodes/<int:node>/children")
    def children(self, request: Request, user: int, pid: int, node: int) -> Any:
        return [[[i, x, y, z]] for i, x, y, z in self.db.read(
            "SELECT id, x, y, z FROM treenode WHERE parent_id = ? ORDER BY id", (node,))]

    @route("/<int:pid>/skeletons/<int:skid>/node-overview", drf=True, methods=("GET",))
    def node_overview(self, request: Request, user: int, pid: int, skid: int) -> Any:
        nodes = [[i, p, c, x, y, z, r, u, float(int(epoch(t)))] for i, p, c, x, y, z, r, u, t in self.db.read(
            "SELECT id, parent_id, confidence, x, y, z, radius, user_id, edition_time FROM treenode WHERE skeleton_id = ? "
            "ORDER BY id", (skid,))]
        reviews = [list(r) for r in self.db.read("SELECT treenode_id, reviewer_id FROM review WHERE skeleton_id = ? ORDER BY id", (skid,))]
        tags = [list(r) for r in self.db.read(
            "SELECT l.node_id, l.tag FROM label l JOIN treenode t ON t.id = l.node_id WHERE t.skeleton_id = ? ORDER BY l.id", (skid,))]
        return compact([nodes, reviews, tags], "text/html; charset=utf-8")

    @route("/<int:pid>/<int:skid>/<int:with_nodes>/<int:with_connectors>/<int:with_tags>/compact-arbor")
    def compact_arbor(self, request: Request, user: int, pid: int, skid: int, with_nodes: int, with_connectors: int,
                      with_tags: int) -> Any:
        found = self.details(pid, [skid], False, bool(with_tags), False)
        if skid not in found:
            raise ValueError(f"Skeleton #{skid} doesn't exist")
        nodes = orjson.loads(found[skid][0]) if with_nodes else []
        connections = []
        if with_connectors:
            for row in self.db.read(
                "SELECT a.treenode_id, a.confidence, a.connector_id, b.confidence, b.treenode_id, b.skeleton_id, ra.name, rb.name "
                "FROM treenode_connector a JOIN treenode_connector b ON b.connector_id = a.connector_id AND b.id != a.id "
                "JOIN relation ra ON ra.id = a.relation_id JOIN relation rb ON rb.id = b.relation_id "
                "WHERE a.skeleton_id = ? AND b.skeleton_id != a.skeleton_id ORDER BY a.connector_id, b.id", (skid,)):
                if row[6] in SYNAPTIC_CODES and row[7] in SYNAPTIC_CODES and row[6] != row[7]:
                    connections.append([*row[:6], SYNAPTIC_CODES[row[6]], SYNAPTIC_CODES[row[7]]])
        return compact([nodes, connections, found[skid][2]])
