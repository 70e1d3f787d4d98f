"""The endpoints of the bundled CATMAID server (paths exactly as CATMAID spells them)."""

from __future__ import annotations

import json
from typing import Any

import orjson
from werkzeug.wrappers import Request, Response

from ...formats.x3d import to_indexed_triangle_set
from . import store
from .app import (
    CatmaidBase,
    DoesNotExist,
    Http404,
    ObjectDoesNotExist,
    PlainResponse,
    as_json_list,
    req_bool,
    req_list,
    req_rows,
    route,
)
from .store import CONNECTOR_TYPES, iso_ms, next_ids, placeholders


def _epoch(text: str) -> float:
    return store.parse_iso(text).timestamp()


class CatmaidApp(CatmaidBase):
    # -- basics ------------------------------------------------------------------------------------------
    @route("/version", public=True)
    def version(self, request: Request, user: int) -> Any:
        return {"SERVER_VERSION": "2021.12.21.dev305+neuromodels.local"}

    @route("/projects/", drf=True, methods=("GET",), public=True)
    def projects(self, request: Request, user: int) -> Any:
        if user == store.ANONYMOUS_ID:
            return []
        result = [{"comment": None, "id": -1, "stackgroups": [], "stacks": [], "title": "Classification dummy project"}]
        for pid, title, comment in self.db.read("SELECT id, title, comment FROM project ORDER BY id"):
            stacks = [{"comment": c, "dimensions": [dx, dy, dz], "id": sid, "title": t}
                      for sid, t, c, dx, dy, dz in self.db.read(
                          "SELECT id, title, comment, dx, dy, dz FROM stack WHERE project_id = ?", (pid,))]
            result.append({"comment": comment, "id": pid, "stackgroups": [], "stacks": stacks, "title": title})
        return Response(json.dumps(result, indent=4), content_type="application/json")

    @route("/user-list")
    def user_list(self, request: Request, user: int) -> Any:
        return [{"id": i, "login": login, "full_name": "", "first_name": "", "last_name": "",
                 "color": [0.0, 1.0, 0.0] if i == 1 else [0.0, 0.0, 1.0], "primary_group_id": None}
                for i, login in self.db.read("SELECT id, login FROM auth_user ORDER BY id")]

    @route("/<int:pid>/stacks")
    def stacks(self, request: Request, user: int, pid: int) -> Any:
        return [{"comment": c, "id": i, "pid": pid, "title": t}
                for i, t, c in self.db.read("SELECT id, title, comment FROM stack WHERE project_id = ?", (pid,))]

    @route("/<int:pid>/stack/<int:sid>/info")
    def stack_info(self, request: Request, user: int, pid: int, sid: int) -> Any:
        rows = self.db.read("SELECT title, comment, dx, dy, dz, rx, ry, rz FROM stack WHERE id = ? AND project_id = ?", (sid, pid))
        if not rows:
            raise DoesNotExist("Stack matching query does not exist.")
        title, comment, dx, dy, dz, rx, ry, rz = rows[0]
        (ptitle,) = self.db.read("SELECT title FROM project WHERE id = ?", (pid,))[0]
        info = {"attribution": None, "broken_slices": {}, "canary_location": {"x": 0, "y": 0, "z": 0},
                "comment": comment, "description": "", "dimension": {"x": dx, "y": dy, "z": dz},
                "downsample_factors": None, "metadata": None, "mirrors": [], "num_zoom_levels": -1,
                "orientation": 0, "pid": pid, "placeholder_color": {"a": 1.0, "b": 0.0, "g": 0.0, "r": 0.0},
                "ptitle": ptitle, "resolution": {"x": rx, "y": ry, "z": rz}, "sid": sid, "stitle": title,
                "translation": {"x": 0.0, "y": 0.0, "z": 0.0}}
        return Response(json.dumps(info, indent=4), content_type="application/json")

    # -- skeletons and neurons ------------------------------------------------------------------------
    @route("/<int:pid>/skeletons/<int:skid>/compact-detail", drf=True, methods=("GET",))
    def compact_detail(self, request: Request, user: int, pid: int, skid: int) -> Any:
        args = request.args
        found = self.details(pid, [skid], req_bool(args, "with_connectors"), req_bool(args, "with_tags"),
                             req_bool(args, "with_annotations"))
        if skid not in found:
            raise Http404("No skeleton")
        if args.get("format") == "msgpack":
            return self.detail_plain(found[skid])
        return Response(self.detail_bytes(found[skid]), content_type="application/json")

    @route("/<int:pid>/skeletons/compact-detail", drf=True, methods=("POST",))
    def compact_detail_many(self, request: Request, user: int, pid: int) -> Any:
        form = request.form
        skids = req_list(form, "skeleton_ids", int)
        found = self.details(pid, skids, req_bool(form, "with_connectors"), req_bool(form, "with_tags"),
                             req_bool(form, "with_annotations"))
        present = [s for s in dict.fromkeys(skids) if s in found]
        if form.get("format") == "msgpack":
            return {"skeletons": {str(s): self.detail_plain(found[s]) for s in present}}
        body = b",".join(b'"%d":%s' % (s, self.detail_bytes(found[s])) for s in present)
        return Response(b'{"skeletons":{' + body + b"}}", content_type="application/json")

    @route("/<int:pid>/skeleton/<int:skid>/neuronname")
    def neuronname(self, request: Request, user: int, pid: int, skid: int) -> Any:
        rows = self.db.read("SELECT c.name, c.id FROM model_of m JOIN class_instance c ON c.id = m.neuron_id "
                            "WHERE m.skeleton_id = ? AND c.project_id = ?", (skid, pid))
        if not rows:
            raise ValueError(f"Couldn't find a neuron linking to a skeleton with ID {skid}")
        return {"neuronname": rows[0][0], "neuronid": rows[0][1]}

    @route("/<int:pid>/skeleton/neuronnames", drf=True, methods=("POST",))
    def neuronnames(self, request: Request, user: int, pid: int) -> Any:
        skids = req_list(request.form, "skids", int)
        rows = self.db.read("SELECT m.skeleton_id, c.name FROM model_of m JOIN class_instance c ON c.id = m.neuron_id "
                            "WHERE m.skeleton_id IN (SELECT value FROM json_each(?))", (as_json_list(skids),))
        return {str(s): n for s, n in rows}

    @route("/<int:pid>/skeletons/", drf=True, methods=("GET",))
    def skeletons(self, request: Request, user: int, pid: int) -> Any:
        return [r[0] for r in self.db.read("SELECT id FROM class_instance WHERE project_id = ? AND kind = 'skeleton' ORDER BY id", (pid,))]

    @route("/<int:pid>/neurons/", drf=True, methods=("GET",))
    def neurons(self, request: Request, user: int, pid: int) -> Any:
        return [r[0] for r in self.db.read("SELECT id FROM class_instance WHERE project_id = ? AND kind = 'neuron' ORDER BY id", (pid,))]

    @route("/<int:pid>/neurons/from-models", drf=True, methods=("POST",))
    def from_models(self, request: Request, user: int, pid: int) -> Any:
        return {str(k): v for k, v in self.neuron_of(req_list(request.form, "model_ids", int)).items()}

    @route("/<int:pid>/neuron/<int:nid>/get-all-skeletons", drf=True, methods=("GET",))
    def all_skeletons(self, request: Request, user: int, pid: int, nid: int) -> Any:
        return [r[0] for r in self.db.read("SELECT skeleton_id FROM model_of WHERE neuron_id = ?", (nid,))]

    @route("/<int:pid>/skeletons/import", drf=True, methods=("POST",))
    def import_skeleton(self, request: Request, user: int, pid: int) -> Any:
        if len(request.files) != 1:
            raise PlainResponse(Response("No file received.", status=400, content_type="text/html"))
        upload = next(iter(request.files.values()))
        extension = (upload.filename or "").rsplit(".", 1)[-1].strip().lower()
        if extension not in ("swc", "eswc"):
            raise PlainResponse(Response(f'File type "{extension}" not understood. Known file types: swc',
                                         status=415, content_type="text/html"))
        rows = []
        for line in upload.read().decode("utf-8", "replace").splitlines():
            if line.startswith("#") or not line.strip():
                continue
            parts = line.strip().split()
            if len(parts) != 7:
                raise ValueError(f"SWC has a malformed line: {line}")
            rows.append((int(parts[0]), float(parts[2]), float(parts[3]), float(parts[4]), float(parts[5]), int(parts[6])))
        if not rows:
            raise ValueError("SWC has no nodes")
        ids = {r[0] for r in rows}
        roots = [r[0] for r in rows if r[5] == -1 or r[5] not in ids]
        if len(roots) != 1:
            raise ValueError("SWC skeleton is malformed: it must have exactly one root")
        parent = {r[0]: r[5] for r in rows}
        for start in parent:  # cycle check: every node must reach the root
            seen, node = set(), start
            while node != -1 and node in parent:
                if node in seen:
                    raise ValueError("SWC skeleton is malformed: it contains a cycle.")
                seen.add(node)
                node = parent[node]
        form = request.form
        name = form.get("name")
        annotations = req_list(form, "annotations", str, default=["Import"])
        t = iso_ms()
        with self.db.transaction() as cur:
            skid, nid = next_ids(cur, "ci", 2)
            cur.execute("INSERT INTO class_instance VALUES (?, ?, 'skeleton', ?, ?, ?, ?)", (skid, pid, name or f"skeleton {skid}", user, t, t))
            cur.execute("INSERT INTO class_instance VALUES (?, ?, 'neuron', ?, ?, ?, ?)", (nid, pid, name or f"neuron {nid}", user, t, t))
            cur.execute("INSERT INTO model_of VALUES (?, ?)", (skid, nid))
            new_ids = next_ids(cur, "location", len(rows))
            mapping = {r[0]: i for r, i in zip(rows, new_ids)}
            treenodes = [(mapping[r[0]], pid, skid, mapping.get(r[5]), user, r[1], r[2], r[3], r[4], t, t) for r in rows]
            cur.executemany("INSERT INTO treenode VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 5, ?, ?)", treenodes)
            cur.execute("INSERT INTO skeleton_nodes_json VALUES (?, ?)",
                        (skid, orjson.dumps([[n[0], n[3], user, n[5], n[6], n[7], n[8], 5] for n in treenodes])))
            if annotations:
                self.annotate(cur, pid, user, [nid], annotations)
        return {"neuron_id": nid, "skeleton_id": skid, "node_id_map": {str(k): v for k, v in mapping.items()}}

    @route("/<int:pid>/skeleton/<int:skid>/swc", drf=True, methods=("GET",))
    def swc(self, request: Request, user: int, pid: int, skid: int) -> Any:
        rows = self.db.read("SELECT id, x, y, z, radius, parent_id FROM treenode WHERE skeleton_id = ? ORDER BY id", (skid,))
        if not rows:
            raise Http404("No skeleton")
        text = "".join(f"{i} 0 {x} {y} {z} {r} {p if p is not None else -1}\n" for i, x, y, z, r, p in rows)
        return Response(text, content_type="text/plain")

    def _rename(self, cur: Any, nid: int, name: str) -> str:
        if "|" in name:
            raise ValueError("New name should not contain pipe character")
        row = cur.execute("SELECT name FROM class_instance WHERE id = ? AND kind = 'neuron'", (nid,)).fetchone()
        if row is None:
            raise ObjectDoesNotExist(f"Could not find neuron #{nid}")
        cur.execute("UPDATE class_instance SET name = ?, edition_time = ? WHERE id = ?", (name, iso_ms(), nid))
        return row[0]

    @route("/<int:pid>/neurons/<int:nid>/rename", drf=True, methods=("POST",))
    def rename(self, request: Request, user: int, pid: int, nid: int) -> Any:
        with self.db.transaction() as cur:
            old = self._rename(cur, nid, request.form["name"])
        return {"success": True, "renamed_neuron": nid, "old_name": old}

    @route("/<int:pid>/neurons/rename", drf=True, methods=("POST",))
    def rename_many(self, request: Request, user: int, pid: int) -> Any:
        pairs = [(int(r[0]), r[1]) for r in req_rows(request.form, "names")]
        renamed, old_names = [], []
        with self.db.transaction() as cur:
            for nid, name in sorted(pairs):
                if cur.execute("SELECT 1 FROM class_instance WHERE id = ? AND kind = 'neuron'", (nid,)).fetchone():
                    old_names.append(self._rename(cur, nid, name))
                    renamed.append(nid)
        return {"success": True, "renamed_neurons": renamed, "old_names": old_names}

    @route("/<int:pid>/neuron/<int:nid>/delete")
    def delete_neuron(self, request: Request, user: int, pid: int, nid: int) -> Any:
        with self.db.transaction() as cur:
            if not cur.execute("SELECT 1 FROM class_instance WHERE id = ? AND kind = 'neuron'", (nid,)).fetchone():
                raise ObjectDoesNotExist(f"Could not find neuron #{nid}")
            skids = [r[0] for r in cur.execute("SELECT skeleton_id FROM model_of WHERE neuron_id = ?", (nid,))]
            used = [r[0] for r in cur.execute("SELECT annotation_id FROM annotated_with WHERE entity_id = ?", (nid,))]
            for skid in skids:
                cur.execute("DELETE FROM label WHERE node_id IN (SELECT id FROM treenode WHERE skeleton_id = ?)", (skid,))
                cur.execute("DELETE FROM treenode_connector WHERE skeleton_id = ?", (skid,))
                cur.execute("DELETE FROM treenode WHERE skeleton_id = ?", (skid,))
                cur.execute("DELETE FROM class_instance WHERE id = ?", (skid,))
                cur.execute("DELETE FROM model_of WHERE skeleton_id = ?", (skid,))
            self.forget_nodes(cur, skids)
            cur.execute("DELETE FROM annotated_with WHERE entity_id = ?", (nid,))
            cur.execute("DELETE FROM class_instance WHERE id = ?", (nid,))
            self.drop_unused_annotations(cur, used)
        return {"skeleton_ids": skids, "success": f"Deleted neuron #{nid} as well as its skeletons and annotations."}

    # -- annotations ----------------------------------------------------------------------------------------
    @route("/<int:pid>/annotations/add")
    def annotations_add(self, request: Request, user: int, pid: int) -> Any:
        form = request.form
        names = req_list(form, "annotations")
        metas = req_list(form, "meta_annotations")
        entities = req_list(form, "entity_ids", int)
        skids = req_list(form, "skeleton_ids", int)
        if skids:
            mapping = self.neuron_of(skids)
            entities += [mapping[s] for s in skids if s in mapping]
        with self.db.transaction() as cur:
            ids, new, existing = self.annotate(cur, pid, user, entities, names)
            result = [{"name": n, "id": ids[n], "entities": sorted(entities, reverse=True)} for n in names]
            if metas:
                mids, mnew, mexisting = self.annotate(cur, pid, user, sorted(ids.values()), metas)
                new += mnew
                existing += mexisting
                result += [{"name": m, "id": mids[m], "entities": sorted(ids.values())} for m in metas]
        return {"message": "success", "annotations": result, "new_annotations": new, "existing_annotations": existing}

    @route("/<int:pid>/annotations/remove")
    def annotations_remove(self, request: Request, user: int, pid: int) -> Any:
        aids = req_list(request.form, "annotation_ids", int)
        entities = req_list(request.form, "entity_ids", int)
        deleted: dict[str, Any] = {}
        links: list[int] = []
        left: dict[str, int] = {}
        with self.db.transaction() as cur:
            for aid in aids:
                rows = cur.execute(
                    f"SELECT id, entity_id FROM annotated_with WHERE annotation_id = ? AND entity_id IN ({placeholders(entities)})",
                    (aid, *entities)).fetchall()
                links += [r[0] for r in rows]
                if rows:
                    deleted[str(aid)] = {"targetIds": [r[1] for r in rows]}
                cur.executemany("DELETE FROM annotated_with WHERE id = ?", [(r[0],) for r in rows])
                (count,) = cur.execute("SELECT COUNT(*) FROM annotated_with WHERE annotation_id = ?", (aid,)).fetchone()
                left[str(aid)] = count
            self.drop_unused_annotations(cur, aids)
        return {"deleted_annotations": deleted, "deleted_links": links, "left_uses": left}

    @route("/<int:pid>/annotations/<int:aid>/remove")
    def annotation_remove(self, request: Request, user: int, pid: int, aid: int) -> Any:
        entities = req_list(request.form, "entity_ids", int)
        with self.db.transaction() as cur:
            cur.executemany("DELETE FROM annotated_with WHERE annotation_id = ? AND entity_id = ?", [(aid, e) for e in entities])
            (left,) = cur.execute("SELECT COUNT(*) FROM annotated_with WHERE annotation_id = ?", (aid,)).fetchone()
            gone = bool(self.drop_unused_annotations(cur, [aid]))
        message = f"Removed annotation from {len(entities)} entities."
        if gone:
            message += " Also removed annotation instance, because it isn't used anywhere else."
        return {"message": message, "deleted_annotation": gone, "left_uses": left}

    @route("/<int:pid>/annotations/", drf=True, methods=("GET", "POST"))
    def annotations(self, request: Request, user: int, pid: int) -> Any:
        values = request.values
        sql = "SELECT c.id, c.name FROM class_instance c WHERE c.project_id = ? AND c.kind = 'annotation'"
        params: list[Any] = [pid]
        entity = values.get("neuron_id") or None
        if values.get("skeleton_id"):
            entity = self.neuron_of([int(values["skeleton_id"])]).get(int(values["skeleton_id"]), -1)
        if entity is not None:
            sql += " AND c.id IN (SELECT annotation_id FROM annotated_with WHERE entity_id = ?)"
            params.append(int(entity))
        rows = self.db.read(sql + " ORDER BY c.id", params)
        if req_bool(values, "simple"):
            return {"annotations": [{"id": i, "name": n} for i, n in rows]}
        users = {}
        for aid, uid, login in self.db.read(
            "SELECT DISTINCT aw.annotation_id, u.id, u.login FROM annotated_with aw JOIN auth_user u ON u.id = aw.user_id"):
            users.setdefault(aid, []).append({"id": uid, "name": login})
        return {"annotations": [{"name": n, "id": i, "users": users.get(i, [])} for i, n in rows]}

    @route("/<int:pid>/annotations/query-targets", drf=True, methods=("GET", "POST"))
    def query_targets(self, request: Request, user: int, pid: int) -> Any:
        values = request.values
        types = req_list(values, "types", default=["neuron", "annotation"])
        by_name = values.get("annotation_reference") == "name"
        sql = "SELECT c.id, c.name, c.kind FROM class_instance c WHERE c.project_id = ? AND c.kind IN (SELECT value FROM json_each(?))"
        params: list[Any] = [pid, json.dumps(types)]
        for key in sorted(k for k in values.keys() if k.startswith("annotated_with")):
            group = [v.strip() for v in values.get(key, "").split(",") if v.strip()]
            if by_name:
                group = [str(r[0]) for r in self.db.read(
                    "SELECT id FROM class_instance WHERE project_id = ? AND kind = 'annotation' AND name IN "
                    f"({placeholders(group)})", (pid, *group))] or ["-1"]
            ids = [int(v) for v in group]
            sql += " AND c.id IN (SELECT entity_id FROM annotated_with WHERE annotation_id IN (SELECT value FROM json_each(?)))"
            params.append(json.dumps(ids))
        name = values.get("name")
        if name:
            if req_bool(values, "name_exact"):
                sql += " AND c.name = ?" if req_bool(values, "name_case_sensitive") else " AND lower(c.name) = lower(?)"
                params.append(name)
            else:
                sql += " AND instr(lower(c.name), lower(?)) > 0"
                params.append(name)
        sort = values.get("sort_by", "id")
        sort = sort if sort in ("id", "name") else "id"
        direction = "DESC" if values.get("sort_dir", "asc").lower() == "desc" else "ASC"
        sql += f" ORDER BY c.{sort} {direction}"
        rows = self.db.read(sql, params)
        total = len(rows)
        if values.get("range_start") is not None and values.get("range_length") is not None:
            start, length = int(values["range_start"]), int(values["range_length"])
            rows = rows[start : start + length]
        ids = [r[0] for r in rows]
        skeletons: dict[int, list[int]] = {}
        for skid, nid in self.db.read(
            "SELECT skeleton_id, neuron_id FROM model_of WHERE neuron_id IN (SELECT value FROM json_each(?))", (as_json_list(ids),)):
            skeletons.setdefault(nid, []).append(skid)
        annotations: dict[int, list[Any]] = {}
        if req_bool(values, "with_annotations"):
            for eid, aid, aname, uid in self.db.read(
                "SELECT aw.entity_id, aw.annotation_id, c.name, aw.user_id FROM annotated_with aw JOIN class_instance c "
                "ON c.id = aw.annotation_id WHERE aw.entity_id IN (SELECT value FROM json_each(?)) ORDER BY aw.id",
                (as_json_list(ids),)):
                annotations.setdefault(eid, []).append({"id": aid, "name": aname, "uid": uid})
        entities = []
        for eid, ename, kind in rows:
            entity: dict[str, Any] = {"id": eid, "name": ename, "type": kind}
            if kind == "neuron":
                entity["skeleton_ids"] = skeletons.get(eid, [])
            if req_bool(values, "with_annotations"):
                entity["annotations"] = annotations.get(eid, [])
            entities.append(entity)
        return {"entities": entities, "totalRecords": total}

    @route("/<int:pid>/annotations/forskeletons", drf=True, methods=("POST",))
    def for_skeletons(self, request: Request, user: int, pid: int) -> Any:
        skids = req_list(request.form, "skeleton_ids", int)
        skeletons: dict[str, list[Any]] = {}
        names: dict[str, str] = {}
        for skid, aid, uid, aname in self.db.read(
            "SELECT m.skeleton_id, aw.annotation_id, aw.user_id, c.name FROM model_of m "
            "JOIN annotated_with aw ON aw.entity_id = m.neuron_id JOIN class_instance c ON c.id = aw.annotation_id "
            "WHERE m.skeleton_id IN (SELECT value FROM json_each(?)) ORDER BY aw.annotation_id", (as_json_list(skids),)):
            skeletons.setdefault(str(skid), []).append({"id": aid, "uid": uid})
            names[str(aid)] = aname
        return {"skeletons": skeletons, "annotations": names}

    @route("/<int:pid>/skeleton/annotationlist")
    def annotation_list(self, request: Request, user: int, pid: int) -> Any:
        form = request.form
        skids = [int(v) for k, v in form.items() if k.startswith("skeleton_ids[")]
        if not skids:
            raise ValueError("No skeleton IDs provided")
        mapping = self.neuron_of(skids)
        back = {n: s for s, n in mapping.items()}
        skeletons: dict[str, Any] = {}
        names: dict[str, str] = {}
        for nid, aid, uid, aname in self.db.read(
            "SELECT aw.entity_id, aw.annotation_id, aw.user_id, c.name FROM annotated_with aw JOIN class_instance c "
            "ON c.id = aw.annotation_id WHERE aw.entity_id IN (SELECT value FROM json_each(?))", (as_json_list(list(back)),)):
            skeletons.setdefault(str(back[nid]), {"annotations": []})["annotations"].append({"uid": uid, "id": aid})
            names[str(aid)] = aname
        result: dict[str, Any] = {"skeletons": skeletons, "annotations": names}
        if form.get("neuronnames", "0") == "1":
            result["neuronnames"] = {str(back[i]): n for i, n in self.db.read(
                "SELECT id, name FROM class_instance WHERE id IN (SELECT value FROM json_each(?))", (as_json_list(list(back)),))}
        if form.get("metaannotations", "0") == "1":
            meta: dict[str, Any] = {}
            for aid, maid, uid, mname in self.db.read(
                "SELECT aw.entity_id, aw.annotation_id, aw.user_id, c.name FROM annotated_with aw JOIN class_instance c "
                "ON c.id = aw.annotation_id WHERE aw.entity_id IN (SELECT value FROM json_each(?))",
                (as_json_list([int(a) for a in names]),)):
                meta.setdefault(str(aid), {"annotations": []})["annotations"].append({"uid": uid, "id": maid})
                names[str(maid)] = mname
            result["metaannotations"] = meta
        return result

    @route("/<int:pid>/annotations/query", drf=True, methods=("POST",))
    def annotations_query(self, request: Request, user: int, pid: int) -> Any:
        objects = req_list(request.form, "object_ids", int)
        entities: dict[str, list[Any]] = {}
        names: dict[str, str] = {}
        for eid, aid, uid, aname in self.db.read(
            "SELECT aw.entity_id, aw.annotation_id, aw.user_id, c.name FROM annotated_with aw JOIN class_instance c "
            "ON c.id = aw.annotation_id WHERE aw.entity_id IN (SELECT value FROM json_each(?)) ORDER BY aw.annotation_id",
            (as_json_list(objects),)):
            entities.setdefault(str(eid), []).append({"id": aid, "uid": uid})
            names[str(aid)] = aname
        return {"entities": entities, "annotations": names}

    # -- tags -----------------------------------------------------------------------------------------
    def _node(self, cur: Any, node: int) -> None:
        if not cur.execute("SELECT 1 FROM treenode WHERE id = ?", (node,)).fetchone():
            raise ValueError(f"Could not find node #{node}")

    @route("/<int:pid>/label/treenode/<int:node>/update")
    def label_update(self, request: Request, user: int, pid: int, node: int) -> Any:
        tags = [t.strip() for t in request.form.get("tags", "").split(",") if t.strip()]
        replace = req_bool(request.form, "delete_existing", True)
        with self.db.transaction() as cur:
            self._node(cur, node)
            if replace:
                cur.execute("DELETE FROM label WHERE node_id = ?", (node,))
            cur.executemany("INSERT OR IGNORE INTO label VALUES (?, ?)", [(node, t) for t in tags])
        return {"message": "success"}

    @route("/<int:pid>/label/treenode/<int:node>/remove")
    def label_remove(self, request: Request, user: int, pid: int, node: int) -> Any:
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM label WHERE node_id = ? AND tag = ?", (node, request.form.get("tag")))
        return {"message": "success"}

    @route("/<int:pid>/labels/treenode/<int:node>/", drf=True, methods=("GET",))
    def labels(self, request: Request, user: int, pid: int, node: int) -> Any:
        return [r[0] for r in self.db.read("SELECT tag FROM label WHERE node_id = ? ORDER BY tag", (node,))]

    # -- connectors --------------------------------------------------------------------------------------
    def relations(self, pid: int) -> dict[str, int]:
        return {n: i for i, n in self.db.read("SELECT id, name FROM relation WHERE project_id = ?", (pid,))}

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
        treenodes = [[int(r[0])] + [float(v) for v in r[1:4]] for r in req_rows(form, "t")]
        connectors = [[int(r[0])] + [float(v) for v in r[1:4]] for r in req_rows(form, "c")]
        t = iso_ms()
        with self.db.transaction() as cur:
            current: dict[int, str] = {}
            for table, rows in (("treenode", treenodes), ("connector", connectors)):
                for r in rows:
                    row = cur.execute(f"SELECT edition_time FROM {table} WHERE id = ?", (r[0],)).fetchone()
                    if row is None:
                        raise ValueError(f"Could not find {table} #{r[0]}")
                    current[r[0]] = row[0]
            self.check_state(cur, form.get("state"), current)
            old: dict[str, Any] = {"treenode": None, "connector": None}
            for table, rows in (("treenode", treenodes), ("connector", connectors)):
                if rows:
                    old[table] = []
                for r in rows:
                    if table == "treenode":
                        self.forget_nodes(cur, [r[0] for r in cur.execute("SELECT skeleton_id FROM treenode WHERE id = ?", (r[0],))])
                    x0, y0, z0 = cur.execute(f"SELECT x, y, z FROM {table} WHERE id = ?", (r[0],)).fetchone()
                    cur.execute(f"UPDATE {table} SET x = ?, y = ?, z = ?, edition_time = ? WHERE id = ?", (r[1], r[2], r[3], t, r[0]))
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
        iso = lambda t: store.parse_iso(t).isoformat()  # noqa: E731
        return {"links": [[*r[:8], iso(r[8]), iso(r[9])] for r in rows], "tags": {}}

    @route("/<int:pid>/connector/skeletons")
    def connector_skeletons(self, request: Request, user: int, pid: int) -> Any:
        cids = req_list(request.form, "connector_ids", int)
        names = {i: n for n, i in self.relations(pid).items()}
        result = []
        for cid in cids:
            entry: dict[str, Any] = {"presynaptic_to": None, "postsynaptic_to": [], "presynaptic_to_node": None, "postsynaptic_to_node": []}
            for node, skid, rel in self.db.read(
                    "SELECT treenode_id, skeleton_id, relation_id FROM treenode_connector WHERE connector_id = ?", (cid,)):
                if names.get(rel) == "presynaptic_to":
                    entry["presynaptic_to"], entry["presynaptic_to_node"] = skid, node
                elif names.get(rel) == "postsynaptic_to":
                    entry["postsynaptic_to"].append(skid)
                    entry["postsynaptic_to_node"].append(node)
            result.append([cid, entry])
        return result

    # -- volumes ------------------------------------------------------------------------------------------
    @route("/<int:pid>/volumes/", drf=True, methods=("GET",))
    def volumes(self, request: Request, user: int, pid: int) -> Any:
        columns = ["id", "name", "comment", "user_id", "editor_id", "project_id", "creation_time", "edition_time",
                   "annotations", "area", "volume", "watertight", "meta_computed"]
        rows = self.db.read("SELECT id, name, comment, user_id, project_id, creation_time, edition_time FROM volume "
                            "WHERE project_id = ? ORDER BY id", (pid,))
        return {"columns": columns,
                "data": [[i, n, c, u, u, p, ct, et, None, None, None, None, False] for i, n, c, u, p, ct, et in rows]}

    @staticmethod
    def _mesh(data: Any) -> tuple[str, str]:
        kind = data.get("type")
        if kind == "box":
            lo = [float(data[f"min_{a}"]) for a in "xyz"]
            hi = [float(data[f"max_{a}"]) for a in "xyz"]
            vertices = [[(lo, hi)[(i >> k) & 1][k] for k in range(3)] for i in range(8)]
            faces = [[0, 2, 1], [1, 2, 3], [4, 5, 6], [5, 7, 6], [0, 1, 4], [1, 5, 4],
                     [2, 6, 3], [3, 6, 7], [0, 4, 2], [2, 4, 6], [1, 3, 5], [3, 7, 5]]
        elif kind == "trimesh":
            mesh = data.get("mesh")
            mesh = json.loads(mesh) if isinstance(mesh, str) else mesh
            vertices, faces = mesh
            if len(vertices) < 3 or len(faces) < 1:
                raise ValueError("A trimesh needs at least three points and one face")
        else:
            raise ValueError(f"Unknown volume type: {kind}")
        return json.dumps([[float(v) for v in p] for p in vertices]), json.dumps([[int(i) for i in f] for f in faces])

    @staticmethod
    def _data(request: Request) -> Any:
        if request.is_json:
            return request.get_json()
        return request.form

    @route("/<int:pid>/volumes/add", drf=True, methods=("POST",))
    def volume_add(self, request: Request, user: int, pid: int) -> Any:
        data = self._data(request)
        vertices, faces = self._mesh(data)
        t = iso_ms()
        with self.db.transaction() as cur:
            cur.execute("INSERT INTO volume (project_id, name, comment, user_id, creation_time, edition_time, vertices, faces) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (pid, data.get("title"), data.get("comment") or None, user, t, t, vertices, faces))
            vid = cur.execute("SELECT last_insert_rowid()").fetchone()[0]
        return {"success": True, "volume_id": vid}

    @route("/<int:pid>/volumes/<int:vid>/", drf=True, methods=("GET", "POST", "DELETE"))
    def volume(self, request: Request, user: int, pid: int, vid: int) -> Any:
        if request.method == "DELETE":
            with self.db.transaction() as cur:
                if not cur.execute("SELECT 1 FROM volume WHERE id = ?", (vid,)).fetchone():
                    raise ValueError(f"Could not find volume with ID {vid}")
                cur.execute("DELETE FROM volume WHERE id = ?", (vid,))
            return {"success": True, "volume_id": str(vid)}
        if request.method == "POST":
            data = self._data(request)
            with self.db.transaction() as cur:
                if not cur.execute("SELECT 1 FROM volume WHERE id = ?", (vid,)).fetchone():
                    raise ValueError(f"Could not find volume with ID {vid}")
                if "title" in data:
                    cur.execute("UPDATE volume SET name = ? WHERE id = ?", (data["title"], vid))
                if "comment" in data:
                    cur.execute("UPDATE volume SET comment = ? WHERE id = ?", (data["comment"], vid))
                if "type" in data:
                    cur.execute("UPDATE volume SET vertices = ?, faces = ? WHERE id = ?", (*self._mesh(data), vid))
                cur.execute("UPDATE volume SET edition_time = ? WHERE id = ?", (iso_ms(), vid))
            return {"success": True, "volume_id": vid}
        rows = self.db.read("SELECT id, project_id, name, comment, user_id, creation_time, edition_time, vertices, faces "
                            "FROM volume WHERE id = ? AND project_id = ?", (vid, pid))
        if not rows:
            raise Http404("No volume")
        i, p, name, comment, u, ct, et, vertices, faces = rows[0]
        v, f = json.loads(vertices), json.loads(faces)
        lo = [min(p[k] for p in v) for k in range(3)]
        hi = [max(p[k] for p in v) for k in range(3)]
        micro = lambda t: store.parse_iso(t).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # noqa: E731
        return {"id": i, "project_id": p, "name": name, "comment": comment, "user_id": u, "editor_id": u,
                "creation_time": micro(ct), "edition_time": micro(et),
                "bbox": {"min": dict(zip("xyz", lo)), "max": dict(zip("xyz", hi))},
                "mesh": to_indexed_triangle_set(v, f)}
