"""Annotations: add, remove, list, query targets, per-skeleton lists."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request

from .. import store
from ..base import CatmaidBase, route
from ..store import placeholders
from ..wire import as_json_list, req_bool, req_list
from .queries import expand_sub_annotations


class AnnotationViews(CatmaidBase):
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
        entity: int | None = int(values["neuron_id"]) if values.get("neuron_id") else None
        if values.get("skeleton_id"):
            entity = self.neuron_of([int(values["skeleton_id"])]).get(int(values["skeleton_id"]), -1)
        if entity is not None:
            sql += " AND c.id IN (SELECT annotation_id FROM annotated_with WHERE entity_id = ?)"
            params.append(int(entity))
        rows = self.db.read(sql + " ORDER BY c.id", params)
        if req_bool(values, "simple"):
            return {"annotations": [{"id": i, "name": n} for i, n in rows]}
        users: dict[int, list[dict[str, Any]]] = {}
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
        sub = set(req_list(values, "sub_annotated_with", int))
        for key in sorted(k for k in values.keys() if k.startswith("annotated_with")):
            group = [v.strip() for v in values.get(key, "").split(",") if v.strip()]
            if by_name:
                group = [str(r[0]) for r in self.db.read(
                    "SELECT id FROM class_instance WHERE project_id = ? AND kind = 'annotation' AND name IN "
                    f"({placeholders(group)})", (pid, *group))] or ["-1"]
            ids = expand_sub_annotations(self.db, [int(v) for v in group], sub) if sub else [int(v) for v in group]
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
            "ON c.id = aw.annotation_id WHERE aw.entity_id IN (SELECT value FROM json_each(?)) ORDER BY aw.entity_id DESC, aw.id",
            (as_json_list(list(back)),)):
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

    @route("/<int:pid>/annotations/table-list")
    def table_list(self, request: Request, user: int, pid: int) -> Any:
        """DataTables rows [name, last use (ISO), uses, user, id] of annotations on a neuron or by a user."""
        values = request.values
        sql = ("SELECT c.name, MAX(aw.creation_time), COUNT(*), aw.user_id, c.id FROM annotated_with aw "
               "JOIN class_instance c ON c.id = aw.annotation_id WHERE aw.project_id = ?")
        params: list[Any] = [pid]
        if values.get("neuron_id"):
            sql += " AND aw.entity_id = ?"
            params.append(int(values["neuron_id"]))
        if values.get("user_id"):
            sql += " AND aw.user_id = ?"
            params.append(int(values["user_id"]))
        rows = self.db.read(sql + " GROUP BY c.id, aw.user_id ORDER BY MIN(aw.id)", params)
        start, length = int(values.get("iDisplayStart", 0) or 0), int(values.get("iDisplayLength", -1) or -1)
        page = rows[start:] if length < 0 else rows[start : start + length]
        data = [[n, store.iso_us(t) if t else None, k, u, i] for n, t, k, u, i in page]
        return {"recordsTotal": len(rows), "recordsFiltered": len(rows), "data": data}
