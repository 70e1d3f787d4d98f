"""Node edits: create, insert, radius, confidence, parent, delete; reroot, split and join; resetting
one's own reviews. Each write checks the state CATMAID checks (see :mod:`..state`)."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request

from .. import state
from ..base import CatmaidBase, route
from ..store import iso_ms, next_ids
from ..wire import req_bool, req_list, req_rows

NODE = "id, project_id, skeleton_id, parent_id, user_id, x, y, z, radius, confidence, creation_time, edition_time, editor_id"


class EditViews(CatmaidBase):
    # -- helpers -----------------------------------------------------------------------------------
    @staticmethod
    def node(cur: Any, node: int) -> tuple[Any, ...]:
        row = cur.execute(f"SELECT {NODE} FROM treenode WHERE id = ?", (node,)).fetchone()
        if row is None:
            raise ValueError(f"Could not find treenode with ID {node}")
        return tuple(row)

    @staticmethod
    def touch(cur: Any, nodes: list[int], t: str, user: int) -> None:
        cur.executemany("UPDATE treenode SET edition_time = ?, editor_id = ? WHERE id = ?", [(t, user, n) for n in nodes])

    def new_skeleton(self, cur: Any, pid: int, user: int, t: str, neuron: int | None = None, name: str | None = None) -> tuple[int, int]:
        (skid,) = next_ids(cur, "ci")
        cur.execute("INSERT INTO class_instance VALUES (?, ?, 'skeleton', ?, ?, ?, ?)", (skid, pid, f"skeleton {skid}", user, t, t))
        if neuron is None:
            (neuron,) = next_ids(cur, "ci")
            label = (name or "neuron {nid}").replace("{nid}", str(neuron)).replace("{n}", str(neuron))
            cur.execute("INSERT INTO class_instance VALUES (?, ?, 'neuron', ?, ?, ?, ?)", (neuron, pid, label, user, t, t))
        cur.execute("INSERT INTO model_of VALUES (?, ?)", (skid, neuron))
        return skid, neuron

    def drop_skeleton(self, cur: Any, skid: int) -> bool:
        """Delete an emptied skeleton, and its neuron when it has no other skeleton."""
        (nid,) = cur.execute("SELECT neuron_id FROM model_of WHERE skeleton_id = ?", (skid,)).fetchone()
        cur.execute("DELETE FROM model_of WHERE skeleton_id = ?", (skid,))
        cur.execute("DELETE FROM skeleton_origin WHERE skeleton_id = ?", (skid,))
        cur.execute("DELETE FROM class_instance WHERE id = ?", (skid,))
        if cur.execute("SELECT 1 FROM model_of WHERE neuron_id = ?", (nid,)).fetchone():
            return False
        cur.execute("DELETE FROM annotated_with WHERE entity_id = ?", (nid,))  # the annotations themselves stay
        cur.execute("DELETE FROM class_instance WHERE id = ?", (nid,))
        return True

    def add_links(self, cur: Any, pid: int, user: int, node: int, rows: list[list[str]], t: str) -> list[list[Any]]:
        names = {i: n for n, i in self.relations(pid).items()}
        created = []
        for row in rows:
            cid, relation_id = int(row[0]), int(row[1])
            confidence = int(row[2]) if len(row) > 2 else 5
            link_id = self._link(cur, pid, user, node, cid, names[relation_id], confidence, t)  # type: ignore[attr-defined]
            created.append([link_id, t, cid, relation_id])
        return created

    # -- create and insert ---------------------------------------------------------------------------
    @route("/<int:pid>/treenode/create")
    def treenode_create(self, request: Request, user: int, pid: int) -> Any:
        form = request.form
        x, y, z = (float(form[k]) for k in "xyz")
        parent = int(form.get("parent_id", -1))
        radius, confidence = int(float(form.get("radius", 0))), int(form.get("confidence", 0))
        t = iso_ms()
        with self.db.transaction() as cur:
            parent_time = None
            if parent != -1:
                state.check_parent(cur, form.get("state"), parent)
                row = self.node(cur, parent)
                skid, parent_time = row[2], row[11]
            else:
                neuron = int(form.get("useneuron", -1))
                known = neuron != -1 and cur.execute("SELECT 1 FROM class_instance WHERE id = ? AND kind = 'neuron'", (neuron,)).fetchone()
                skid, nid = self.new_skeleton(cur, pid, user, t, neuron if known else None, form.get("neuron_name"))
                self.log_operation(cur, pid, user, "create_neuron", (x, y, z), f"Create neuron {nid} and skeleton {skid}")
            (node,) = next_ids(cur, "location")
            cur.execute(f"INSERT INTO treenode ({NODE}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (node, pid, skid, None if parent == -1 else parent, user, x, y, z, radius, confidence, t, t, user))
            created = self.add_links(cur, pid, user, node, req_rows(form, "links"), t)
            self.forget_nodes(cur, [skid])
        return {"treenode_id": node, "skeleton_id": skid, "edition_time": t,
                "parent_edition_time": parent_time, "created_links": created}

    @route("/<int:pid>/treenode/insert")
    def treenode_insert(self, request: Request, user: int, pid: int) -> Any:
        form = request.form
        x, y, z = (float(form[k]) for k in "xyz")
        parent, child = int(form["parent_id"]), int(form["child_id"])
        takeover = req_list(form, "takeover_child_ids", int)
        radius, confidence = int(float(form.get("radius", 0))), int(form.get("confidence", 0))
        t = iso_ms()
        with self.db.transaction() as cur:
            state.check_edge(cur, form.get("state"), parent)
            prow, crow = self.node(cur, parent), self.node(cur, child)
            if crow[3] != parent:
                raise ValueError(f"Node {child} is not a child of node {parent}")
            skid = prow[2]
            (node,) = next_ids(cur, "location")
            cur.execute(f"INSERT INTO treenode ({NODE}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (node, pid, skid, parent, user, x, y, z, radius, confidence, t, t, user))
            moved = [child] + [c for c in takeover if c != child and self.node(cur, c)[3] == parent]
            cur.executemany("UPDATE treenode SET parent_id = ?, edition_time = ?, editor_id = ? WHERE id = ?",
                            [(node, t, user, c) for c in moved])
            created = self.add_links(cur, pid, user, node, req_rows(form, "links"), t)
            self.forget_nodes(cur, [skid])
        return {"treenode_id": node, "skeleton_id": skid, "edition_time": t, "parent_edition_time": prow[11],
                "child_edition_times": [[c, t] for c in moved], "created_links": created}

    # -- radius and confidence ---------------------------------------------------------------------------
    def radius_targets(self, cur: Any, node: int, option: int) -> list[int]:
        row = self.node(cur, node)
        rows = cur.execute("SELECT id, parent_id, radius FROM treenode WHERE skeleton_id = ?", (row[2],)).fetchall()
        parent = {r[0]: r[1] for r in rows}
        radius = {r[0]: r[2] for r in rows}
        children: dict[int, list[int]] = {}
        for n, p in parent.items():
            if p is not None:
                children.setdefault(p, []).append(n)
        if option == 0:
            return [node]
        if option == 5:
            return list(parent)
        found = [node]
        if option == 1:
            current = node
            while len(children.get(current, [])) == 1:
                current = children[current][0]
                found.append(current)
            return found
        current = parent[node]
        while current is not None:
            if option == 2 and (parent[current] is None or len(children.get(current, [])) != 1):
                break
            if option == 3 and radius[current] >= 0:
                break
            found.append(current)
            current = parent[current]
        return found

    def set_radii(self, cur: Any, radii: dict[int, float], user: int) -> dict[str, Any]:
        t = iso_ms()
        updated = {}
        for node, value in radii.items():
            row = self.node(cur, node)
            cur.execute("UPDATE treenode SET radius = ?, edition_time = ?, editor_id = ? WHERE id = ?", (value, t, user, node))
            updated[str(node)] = {"old": row[8], "new": value, "edition_time": t, "skeleton_id": row[2]}
        self.forget_nodes(cur, {int(u["skeleton_id"]) for u in updated.values()})
        return updated

    @route("/<int:pid>/treenode/<int:node>/radius")
    def radius(self, request: Request, user: int, pid: int, node: int) -> Any:
        value = float(request.form["radius"])
        if value != value:
            raise ValueError("Radius must be a number")
        with self.db.transaction() as cur:
            state.check_node(cur, request.form.get("state"), node)
            targets = self.radius_targets(cur, node, int(request.form.get("option", 0)))
            updated = self.set_radii(cur, {n: value for n in targets}, user)
        return {"success": True, "updated_nodes": updated, "new_radius": value}

    @route("/<int:pid>/treenodes/radius")
    def radii(self, request: Request, user: int, pid: int) -> Any:
        nodes = req_list(request.form, "treenode_ids", int)
        values = req_list(request.form, "treenode_radii", float)
        if len(nodes) != len(values):
            raise ValueError("Need as many radii as treenode IDs")
        with self.db.transaction() as cur:
            state.check_multinode(cur, request.form.get("state"), nodes)
            updated = self.set_radii(cur, dict(zip(nodes, values)), user)
        return {"success": True, "updated_nodes": updated}

    @route("/<int:pid>/treenodes/<int:node>/confidence", drf=True, methods=("POST",))
    def confidence(self, request: Request, user: int, pid: int, node: int) -> Any:
        form = request.form
        value = int(form["new_confidence"])
        if not 1 <= value <= 5:
            raise ValueError("Confidence not in range 1-5 inclusive.")
        t = iso_ms()
        with self.db.transaction() as cur:
            state.check_node(cur, form.get("state"), node)
            row = self.node(cur, node)
            if not req_bool(form, "to_connector"):
                cur.execute("UPDATE treenode SET confidence = ?, edition_time = ?, editor_id = ? WHERE id = ?", (value, t, user, node))
                self.forget_nodes(cur, [row[2]])
                return {"message": "success", "updated_partners": {str(row[3]): {"edition_time": t, "old_confidence": row[9]}}}
            partners = req_list(form, "partner_ids", int)
            values = req_list(form, "partner_confidences", int)
            wanted = dict(zip(partners, values)) if values else {p: value for p in partners}
            updated = {}
            for link, cid, old in cur.execute("SELECT id, connector_id, confidence FROM treenode_connector WHERE treenode_id = ? "
                                              "ORDER BY id", (node,)).fetchall():
                if partners and cid not in wanted:
                    continue
                cur.execute("UPDATE treenode_connector SET confidence = ?, edition_time = ? WHERE id = ?", (wanted.get(cid, value), t, link))
                updated[str(cid)] = {"edition_time": t, "old_confidence": old}
        return {"message": "success", "updated_partners": updated}

    # -- parent changes and deletion ----------------------------------------------------------------------
    @route("/<int:pid>/treenodes/<int:node>/parent")
    def parent(self, request: Request, user: int, pid: int, node: int) -> Any:
        new_parent = int(request.form["parent_id"])
        with self.db.transaction() as cur:
            state.check_neighborhood(cur, request.form.get("state"), node)
            row, prow = self.node(cur, node), self.node(cur, new_parent)
            if row[2] != prow[2]:
                raise ValueError("Can't update parent: parent and child need to be part of the same skeleton")
            cur.execute("UPDATE treenode SET parent_id = ?, edition_time = ?, editor_id = ? WHERE id = ?", (new_parent, iso_ms(), user, node))
            self.forget_nodes(cur, [row[2]])
        return {"success": True, "node_id": node, "parent_id": new_parent, "skeleton_id": row[2]}

    @route("/<int:pid>/treenode/delete")
    def treenode_delete(self, request: Request, user: int, pid: int) -> Any:
        node = int(request.form["treenode_id"])
        t = iso_ms()
        with self.db.transaction() as cur:
            state.check_neighborhood(cur, request.form.get("state"), node)
            row = self.node(cur, node)
            skid, parent = row[2], row[3]
            children = [r[0] for r in cur.execute("SELECT id FROM treenode WHERE parent_id = ? ORDER BY id", (node,))]
            if parent is None and children:
                raise ValueError("Could not delete root node: You can't delete the root node when it has children.")
            links = [list(r) for r in cur.execute("SELECT id, relation_id, connector_id, confidence FROM treenode_connector "
                                                  "WHERE treenode_id = ? ORDER BY id", (node,))]
            cur.execute("DELETE FROM treenode_connector WHERE treenode_id = ?", (node,))
            cur.execute("DELETE FROM label WHERE node_id = ?", (node,))
            cur.execute("DELETE FROM review WHERE treenode_id = ?", (node,))
            cur.executemany("UPDATE treenode SET parent_id = ?, edition_time = ?, editor_id = ? WHERE id = ?",
                            [(parent, t, user, c) for c in children])
            cur.execute("DELETE FROM treenode WHERE id = ?", (node,))
            self.forget_nodes(cur, [skid])
            deleted_neuron = False
            if parent is None:
                deleted_neuron = self.drop_skeleton(cur, skid)
        return {"x": row[5], "y": row[6], "z": row[7], "parent_id": parent, "children": [[c, t] for c in children],
                "links": links, "radius": row[8], "confidence": row[9], "skeleton_id": skid,
                "deleted_neuron": deleted_neuron, "success": "Removed treenode successfully."}

    # -- reroot, split, join ---------------------------------------------------------------------------
    def reroot(self, cur: Any, node: int, user: int, t: str) -> int:
        """Make ``node`` the root of its skeleton: the path to the old root is reversed, each node
        taking the confidence of the edge it now lies on; the new root gets confidence 5."""
        path = []
        current: int | None = node
        while current is not None:
            row = self.node(cur, current)
            path.append((current, row[3], row[9]))
            current = row[3]
        if len(path) == 1:
            raise ValueError(f":Node #{node} is already root!")
        updates: list[tuple[int | None, int, str, int, int]] = [(None, 5, t, user, node)]
        for (child, _, confidence), (up, _, _) in zip(path, path[1:]):
            updates.append((child, confidence, t, user, up))
        cur.executemany("UPDATE treenode SET parent_id = ?, confidence = ?, edition_time = ?, editor_id = ? WHERE id = ?", updates)
        skid = int(self.node(cur, node)[2])
        self.forget_nodes(cur, [skid])
        return skid

    @route("/<int:pid>/skeleton/reroot")
    def skeleton_reroot(self, request: Request, user: int, pid: int) -> Any:
        node = int(request.form["treenode_id"])
        with self.db.transaction() as cur:
            skid = self.reroot(cur, node, user, iso_ms())
        return {"newroot": node, "skeleton_id": skid}

    def subtree(self, cur: Any, node: int, skid: int) -> list[int]:
        children: dict[int, list[int]] = {}
        for n, p in cur.execute("SELECT id, parent_id FROM treenode WHERE skeleton_id = ?", (skid,)):
            children.setdefault(p, []).append(n)
        found = [node]
        for n in found:
            found.extend(children.get(n, []))
        return found

    def move_nodes(self, cur: Any, nodes: list[int], skid: int, user: int, t: str) -> None:
        cur.executemany("UPDATE treenode SET skeleton_id = ?, edition_time = ?, editor_id = ? WHERE id = ?", [(skid, t, user, n) for n in nodes])
        cur.executemany("UPDATE treenode_connector SET skeleton_id = ? WHERE treenode_id = ?", [(skid, n) for n in nodes])
        cur.executemany("UPDATE review SET skeleton_id = ? WHERE treenode_id = ?", [(skid, n) for n in nodes])

    def set_annotations(self, cur: Any, pid: int, nid: int, names: dict[str, int]) -> None:
        for name, annotator in names.items():
            self.annotate(cur, pid, int(annotator), [nid], [name])

    @route("/<int:pid>/skeleton/split")
    def skeleton_split(self, request: Request, user: int, pid: int) -> Any:
        form = request.form
        node = int(form["treenode_id"])
        t = iso_ms()
        with self.db.transaction() as cur:
            row = self.node(cur, node)
            if row[3] is None:
                raise ValueError("Can't split skeleton at its root node")
            skid = row[2]
            (old_neuron,) = cur.execute("SELECT neuron_id FROM model_of WHERE skeleton_id = ?", (skid,)).fetchone()
            current = {n: u for n, u in cur.execute(
                "SELECT c.name, aw.user_id FROM annotated_with aw JOIN class_instance c ON c.id = aw.annotation_id "
                "WHERE aw.entity_id = ?", (old_neuron,))}
            upstream = json.loads(form["upstream_annotation_map"]) if form.get("upstream_annotation_map") else current
            downstream = json.loads(form["downstream_annotation_map"]) if form.get("downstream_annotation_map") else current
            moved = self.subtree(cur, node, skid)
            new_skid, new_neuron = self.new_skeleton(cur, pid, user, t, name="Neuron {nid}")
            cur.execute("UPDATE treenode SET parent_id = NULL WHERE id = ?", (node,))
            self.move_nodes(cur, moved, new_skid, user, t)
            drop = [a for n, a in cur.execute("SELECT c.name, c.id FROM annotated_with aw JOIN class_instance c ON c.id = aw.annotation_id "
                                              "WHERE aw.entity_id = ?", (old_neuron,)) if n not in upstream]
            cur.executemany("DELETE FROM annotated_with WHERE entity_id = ? AND annotation_id = ?", [(old_neuron, a) for a in drop])
            self.set_annotations(cur, pid, int(new_neuron), downstream)
            self.drop_unused_annotations(cur, drop)
            self.forget_nodes(cur, [skid, new_skid])
            self.log_operation(cur, pid, user, "split_skeleton", row[5:8], f"Split skeleton {skid} at node {node}")
        return {"new_skeleton_id": new_skid, "existing_skeleton_id": skid, "x": row[5], "y": row[6], "z": row[7]}

    @route("/<int:pid>/skeleton/join")
    def skeleton_join(self, request: Request, user: int, pid: int) -> Any:
        form = request.form
        from_id, to_id = int(form["from_id"]), int(form["to_id"])
        t = iso_ms()
        with self.db.transaction() as cur:
            keep, gone = self.node(cur, from_id)[2], self.node(cur, to_id)[2]
            if keep == gone:
                raise ValueError("Can't join skeleton with itself")
            if self.node(cur, to_id)[3] is not None:
                self.reroot(cur, to_id, user, t)
            neurons = {s: n for s, n in cur.execute("SELECT skeleton_id, neuron_id FROM model_of WHERE skeleton_id IN (?, ?)", (keep, gone))}
            names = {n: u for n, u in cur.execute(
                "SELECT c.name, aw.user_id FROM annotated_with aw JOIN class_instance c ON c.id = aw.annotation_id "
                "WHERE aw.entity_id IN (?, ?)", (neurons[keep], neurons[gone]))}
            wanted = json.loads(form["annotation_set"]) if form.get("annotation_set") else names
            merged = [r[0] for r in cur.execute("SELECT id FROM treenode WHERE skeleton_id = ?", (gone,))]
            self.move_nodes(cur, merged, keep, user, t)
            cur.execute("UPDATE treenode SET parent_id = ? WHERE id = ?", (from_id, to_id))
            self.drop_skeleton(cur, gone)
            self.set_annotations(cur, pid, neurons[keep], wanted)
            self.forget_nodes(cur, [keep, gone])
            self.log_operation(cur, pid, user, "join_skeleton", None, f"Joined skeleton {gone} into skeleton {keep}")
        return {"message": "success", "fromid": from_id, "toid": to_id, "result_skeleton_id": keep,
                "deleted_skeleton_id": gone, "stable_annotation_swap": False}

    @route("/<int:pid>/skeleton/<int:skid>/review/reset-own")
    def reset_own_reviews(self, request: Request, user: int, pid: int, skid: int) -> Any:
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM review WHERE skeleton_id = ? AND reviewer_id = ?", (skid, user))
        return {"status": "success"}
