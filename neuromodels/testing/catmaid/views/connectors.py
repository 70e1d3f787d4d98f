"""Connectors and their links, node moves."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from .. import state, store
from ..base import CatmaidBase, route
from ..store import CONNECTOR_TYPES, iso_ms, next_ids
from ..wire import Http404, ObjectDoesNotExist, as_json_list, req_bool, req_list, req_rows


def _epoch(text: str) -> float:
    return store.parse_iso(text).timestamp()



class ConnectorViews(CatmaidBase):
    @route("/<int:pid>/connectors/types/", drf=True, methods=("GET",))
    def connector_types(self, request: Request, user: int, pid: int) -> Any:
        ids = self.relations(pid)
        return [{"name": t[0], "type": t[1], "type_id": t[2], "relation": t[3], "isreciprocal": t[4],
                 "cardinality": t[5], "partner_reference": t[6], "partner_relation": t[7], "relation_id": ids[t[3]]}
                for t in CONNECTOR_TYPES]

    def _link(self, cur: Any, pid: int, user: int, node: int, connector: int, relation: str, confidence: int, t: str) -> int:
        ids = self.relations(pid)
        if relation not in ids:
            raise ValueError(f"Unknown relation {relation}")
        row = cur.execute("SELECT skeleton_id FROM treenode WHERE id = ?", (node,)).fetchone()
        if row is None:
            raise ValueError(f"Could not find treenode #{node}")
        if relation == "presynaptic_to" and cur.execute(
                "SELECT 1 FROM treenode_connector WHERE connector_id = ? AND relation_id = ?", (connector, ids[relation])).fetchone():
            raise ValueError(f"Connector {connector} does not have zero presynaptic connections.")
        (link_id,) = next_ids(cur, "ci")
        cur.execute("INSERT INTO treenode_connector VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (link_id, pid, node, connector, row[0], ids[relation], confidence, user, t, t))
        return link_id

    @route("/<int:pid>/connector/create")
    def connector_create(self, request: Request, user: int, pid: int) -> Any:
        form = request.form
        x, y, z = float(form["x"]), float(form["y"]), float(form["z"])
        confidence = int(form.get("confidence", 5))
        names = {i: n for n, i in self.relations(pid).items()}
        t = iso_ms()
        with self.db.transaction() as cur:
            (cid,) = next_ids(cur, "location")
            cur.execute("INSERT INTO connector VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (cid, pid, x, y, z, confidence, user, user, t, t))
            created = []
            for row in req_rows(form, "links"):
                node, relation_id = int(row[0]), int(row[1])
                if relation_id not in names:
                    raise ValueError(f"Unknown relation id {relation_id}")
                link_confidence = int(row[2]) if len(row) > 2 else 5
                link_id = self._link(cur, pid, user, node, cid, names[relation_id], link_confidence, t)
                created.append([link_id, t, node, relation_id])
        return {"connector_id": cid, "connector_edition_time": t, "created_links": created}

    @route("/<int:pid>/connector/delete")
    def connector_delete(self, request: Request, user: int, pid: int) -> Any:
        cid = int(request.form["connector_id"])
        with self.db.transaction() as cur:
            row = cur.execute("SELECT x, y, z, confidence, edition_time FROM connector WHERE id = ?", (cid,)).fetchone()
            if row is None:
                raise ObjectDoesNotExist(f"Could not find connector #{cid}")
            links = cur.execute(
                "SELECT tc.treenode_id, t.edition_time, r.name, tc.relation_id, tc.confidence, tc.id, tc.edition_time "
                "FROM treenode_connector tc JOIN treenode t ON t.id = tc.treenode_id JOIN relation r ON r.id = tc.relation_id "
                "WHERE tc.connector_id = ?", (cid,)).fetchall()
            state = {cid: row[4], **{l[5]: l[6] for l in links}}
            self.check_state(cur, request.form.get("state"), state, self_id=cid)
            cur.execute("DELETE FROM treenode_connector WHERE connector_id = ?", (cid,))
            cur.execute("DELETE FROM connector WHERE id = ?", (cid,))
        return {"message": "Removed connector and class_instances", "connector_id": cid, "confidence": row[3],
                "x": row[0], "y": row[1], "z": row[2],
                "partners": [{"id": l[0], "edition_time": l[1], "rel": l[2], "rel_id": l[3], "confidence": l[4], "link_id": l[5]}
                             for l in links]}

    @route("/<int:pid>/link/create")
    def link_create(self, request: Request, user: int, pid: int) -> Any:
        form = request.form
        node, cid, relation = int(form["from_id"]), int(form["to_id"]), form["link_type"]
        t = iso_ms()
        with self.db.transaction() as cur:
            current = {r[0]: r[1] for r in cur.execute("SELECT id, edition_time FROM treenode WHERE id = ?", (node,))}
            current.update({r[0]: r[1] for r in cur.execute("SELECT id, edition_time FROM connector WHERE id = ?", (cid,))})
            if cid not in current:
                raise ValueError(f"Could not find connector #{cid}")
            self.check_state(cur, form.get("state"), current)
            link_id = self._link(cur, pid, user, node, cid, relation, 5, t)
        return {"message": "success", "link_id": link_id, "link_edition_time": t, "relation_id": self.relations(pid)[relation]}

    @route("/<int:pid>/link/delete")
    def link_delete(self, request: Request, user: int, pid: int) -> Any:
        cid, node = int(request.form["connector_id"]), int(request.form["treenode_id"])
        with self.db.transaction() as cur:
            self.check_state(cur, request.form.get("state"), {})
            row = cur.execute("SELECT tc.id, tc.relation_id, r.name FROM treenode_connector tc JOIN relation r ON r.id = tc.relation_id "
                              "WHERE tc.connector_id = ? AND tc.treenode_id = ?", (cid, node)).fetchone()
            if row is None:
                raise ValueError(f"Couldn't find link between connector {cid} and node {node}")
            cur.execute("DELETE FROM treenode_connector WHERE id = ?", (row[0],))
        return {"link_id": row[0], "link_type_id": row[1], "link_type": row[2], "result": "Removed treenode to connector link"}

    @route("/<int:pid>/node/update")
    def node_update(self, request: Request, user: int, pid: int) -> Any:
        form = request.form
        treenodes: list[list[Any]] = [[int(r[0])] + [float(v) for v in r[1:4]] for r in req_rows(form, "t")]
        connectors: list[list[Any]] = [[int(r[0])] + [float(v) for v in r[1:4]] for r in req_rows(form, "c")]
        t = iso_ms()
        with self.db.transaction() as cur:
            current: dict[int, str] = {}
            for table, rows in (("treenode", treenodes), ("connector", connectors)):
                for r in rows:
                    row = cur.execute(f"SELECT edition_time FROM {table} WHERE id = ?", (r[0],)).fetchone()
                    if row is None:
                        raise ValueError(f"Could not find {table} #{r[0]}")
                    current[r[0]] = row[0]
            state.check_multinode(cur, form.get("state"), [r[0] for r in treenodes + connectors])
            # Moved nodes lose their reviews.
            cur.executemany("DELETE FROM review WHERE treenode_id = ?", [(r[0],) for r in treenodes])
            old: dict[str, Any] = {"treenode": None, "connector": None}
            for table, rows in (("treenode", treenodes), ("connector", connectors)):
                if rows:
                    old[table] = []
                for r in rows:
                    if table == "treenode":
                        self.forget_nodes(cur, [r[0] for r in cur.execute("SELECT skeleton_id FROM treenode WHERE id = ?", (r[0],))])
                    x0, y0, z0 = cur.execute(f"SELECT x, y, z FROM {table} WHERE id = ?", (r[0],)).fetchone()
                    cur.execute(f"UPDATE {table} SET x = ?, y = ?, z = ?, edition_time = ?, editor_id = ? WHERE id = ?",
                                (r[1], r[2], r[3], t, user, r[0]))
                    old[table].append([r[0], t, x0, y0, z0])
        return {"updated": len(treenodes) + len(connectors), "old_treenodes": old["treenode"], "old_connectors": old["connector"]}

    def _partners(self, cids: list[int]) -> dict[int, list[Any]]:
        partners: dict[int, list[Any]] = {}
        for row in self.db.read(
            "SELECT connector_id, id, treenode_id, skeleton_id, relation_id, confidence, user_id, creation_time, edition_time "
            "FROM treenode_connector WHERE connector_id IN (SELECT value FROM json_each(?)) ORDER BY id", (as_json_list(cids),)):
            partners.setdefault(row[0], []).append([row[1], row[2], row[3], row[4], row[5], row[6], _epoch(row[7]), _epoch(row[8])])
        return partners

    @route("/<int:pid>/connectors/", drf=True, methods=("GET", "POST"))
    def connectors(self, request: Request, user: int, pid: int) -> Any:
        values = request.values
        skids = req_list(values, "skeleton_ids", int)
        relation = values.get("relation_type")
        sql = "SELECT id, x, y, z, confidence, user_id, editor_id, creation_time, edition_time FROM connector WHERE project_id = ?"
        params: list[Any] = [pid]
        if skids or relation:
            sub = "SELECT connector_id FROM treenode_connector WHERE 1"
            if skids:
                sub += " AND skeleton_id IN (SELECT value FROM json_each(?))"
                params.append(as_json_list(skids))
            if relation:
                sub += " AND relation_id = ?"
                params.append(self.relations(pid).get(relation, -1))
            sql += f" AND id IN ({sub})"
        rows = self.db.read(sql + " ORDER BY id", params)
        result: dict[str, Any] = {"connectors": [[r[0], r[1], r[2], r[3], r[4], r[5], r[6], _epoch(r[7]), _epoch(r[8])] for r in rows],
                                  "tags": {}}
        if req_bool(values, "with_partners"):
            result["partners"] = {str(k): v for k, v in self._partners([r[0] for r in rows]).items()}
        return result

    @route("/<int:pid>/connectors/<int:cid>/", drf=True, methods=("GET",))
    def connector_detail(self, request: Request, user: int, pid: int, cid: int) -> Any:
        rows = self.db.read("SELECT x, y, z, confidence FROM connector WHERE id = ? AND project_id = ?", (cid, pid))
        links = self.db.read(
            "SELECT tc.id, tc.treenode_id, tc.confidence, tc.skeleton_id, tc.relation_id, r.name FROM treenode_connector tc "
            "JOIN relation r ON r.id = tc.relation_id WHERE tc.connector_id = ? ORDER BY tc.id", (cid,))
        if not rows or not links:  # CATMAID's inner join: no links, no connector
            raise Http404("No connector")
        x, y, z, confidence = rows[0]
        return {"connector_id": cid, "x": x, "y": y, "z": z, "confidence": confidence,
                "partners": [{"link_id": l[0], "partner_id": l[1], "confidence": l[2], "skeleton_id": l[3],
                              "relation_id": l[4], "relation_name": l[5]} for l in links]}

    @route("/<int:pid>/connectors/links/", drf=True, methods=("GET", "POST"))
    def connector_links(self, request: Request, user: int, pid: int) -> Any:
        values = request.values
        skids = req_list(values, "skeleton_ids", int)
        relation = self.relations(pid).get(values.get("relation_type", "presynaptic_to"), -1)
        rows = self.db.read(
            "SELECT tc.skeleton_id, tc.connector_id, c.x, c.y, c.z, tc.confidence, tc.user_id, tc.treenode_id, tc.creation_time, "
            "tc.edition_time FROM treenode_connector tc JOIN connector c ON c.id = tc.connector_id "
            "WHERE tc.skeleton_id IN (SELECT value FROM json_each(?)) AND tc.relation_id = ? ORDER BY tc.id",
            (as_json_list(skids), relation))
        return {"links": [[*r[:8], store.iso_us(r[8]), store.iso_us(r[9])] for r in rows], "tags": {}}

    @route("/<int:pid>/connector/skeletons")
    def connector_skeletons(self, request: Request, user: int, pid: int) -> Any:
        """[connector, {pre/post skeletons and nodes}] for connectors with links (others are left out)."""
        names = {i: n for n, i in self.relations(pid).items()}
        entries: dict[int, dict[str, Any]] = {}
        for cid, node, skid, rel in self.db.read(
                "SELECT connector_id, treenode_id, skeleton_id, relation_id FROM treenode_connector "
                "WHERE connector_id IN (SELECT value FROM json_each(?)) ORDER BY id",
                (as_json_list(req_list(request.form, "connector_ids", int)),)):
            entry = entries.setdefault(cid, {"presynaptic_to": None, "postsynaptic_to": [], "presynaptic_to_node": None,
                                             "postsynaptic_to_node": []})
            if names.get(rel) == "presynaptic_to":
                entry["presynaptic_to"], entry["presynaptic_to_node"] = skid, node
            elif names.get(rel) == "postsynaptic_to":
                entry["postsynaptic_to"].append(skid)
                entry["postsynaptic_to_node"].append(node)
        return [[cid, e] for cid, e in entries.items() if e["presynaptic_to"] is not None or e["postsynaptic_to"]]
