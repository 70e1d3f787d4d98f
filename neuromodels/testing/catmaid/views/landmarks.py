"""Landmarks, landmark groups and samplers (Django REST framework views: ``landmarks/``,
``landmarks/groups/``, ``samplers/``; the slash-less forms redirect with a 301 as in CATMAID)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from .. import store
from ..base import CatmaidBase, route
from ..store import next_ids
from ..wire import Http404, as_json_list, req_bool, req_list

SCHEMA = """
CREATE TABLE IF NOT EXISTS point (
    id INTEGER PRIMARY KEY, project_id INTEGER, x REAL, y REAL, z REAL, user_id INTEGER, creation_time TEXT);
CREATE TABLE IF NOT EXISTS landmark_location (
    id INTEGER PRIMARY KEY AUTOINCREMENT, landmark_id INTEGER, point_id INTEGER, UNIQUE(landmark_id, point_id));
CREATE TABLE IF NOT EXISTS group_member (group_id INTEGER, landmark_id INTEGER, UNIQUE(group_id, landmark_id));
CREATE TABLE IF NOT EXISTS group_location (group_id INTEGER, point_id INTEGER, UNIQUE(group_id, point_id));
CREATE TABLE IF NOT EXISTS sampler (
    id INTEGER PRIMARY KEY AUTOINCREMENT, project_id INTEGER, skeleton_id INTEGER, interval_length REAL,
    interval_error REAL, leaf_segment_handling TEXT, merge_limit REAL, review_required INTEGER,
    create_interval_boundaries INTEGER, state_id INTEGER, user_id INTEGER, creation_time TEXT, edition_time TEXT);
CREATE TABLE IF NOT EXISTS sampler_domain (
    id INTEGER PRIMARY KEY AUTOINCREMENT, sampler_id INTEGER, start_node_id INTEGER, type_id INTEGER,
    parent_interval_id INTEGER, user_id INTEGER, creation_time TEXT, edition_time TEXT);
CREATE TABLE IF NOT EXISTS sampler_domain_end (id INTEGER PRIMARY KEY AUTOINCREMENT, domain_id INTEGER, node_id INTEGER);
"""


def iso_z(text: str) -> str:
    """A stored time as DRF's serializer writes it (microseconds and Z)."""
    return store.parse_iso(text).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LandmarkViews(CatmaidBase):
    # -- landmarks ------------------------------------------------------------------------------------
    def _instances(self, pid: int, kind: str, ids: list[int] | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, name, user_id, creation_time, edition_time FROM class_instance WHERE project_id = ? AND kind = ?"
        params: list[Any] = [pid, kind]
        if ids is not None:
            sql += " AND id IN (SELECT value FROM json_each(?))"
            params.append(as_json_list(ids))
        return [{"id": i, "name": n, "user": u, "project": pid, "creation_time": iso_z(c), "edition_time": iso_z(e)}
                for i, n, u, c, e in self.db.read(sql + " ORDER BY id", params)]

    def _one(self, pid: int, kind: str, iid: int) -> dict[str, Any]:
        found = self._instances(pid, kind, [iid])
        if not found:
            raise Http404(f"No {kind} {iid}")
        return found[0]

    def _points(self, table: str, key: str, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        result: dict[int, list[dict[str, Any]]] = {}
        for owner, pt, x, y, z in self.db.read(
                f"SELECT l.{key}, p.id, p.x, p.y, p.z FROM {table} l JOIN point p ON p.id = l.point_id "
                f"WHERE l.{key} IN (SELECT value FROM json_each(?)) ORDER BY p.id", (as_json_list(ids),)):
            result.setdefault(owner, []).append({"id": pt, "x": x, "y": y, "z": z})
        return result

    def _create(self, pid: int, user: int, kind: str, name: str | None) -> dict[str, Any]:
        if not name:
            raise ValueError("Need name")
        t = store.iso_ms()
        with self.db.transaction() as cur:
            (iid,) = next_ids(cur, "ci")
            cur.execute("INSERT INTO class_instance VALUES (?, ?, ?, ?, ?, ?, ?)", (iid, pid, kind, name, user, t, t))
        return self._one(pid, kind, iid)

    @route("/<int:pid>/landmarks/", drf=True, methods=("GET", "PUT", "DELETE", "HEAD"))
    def landmarks(self, request: Request, user: int, pid: int) -> Any:
        if request.method == "PUT":
            return self._create(pid, user, "landmark", request.form.get("name"))
        rows = self._instances(pid, "landmark")
        if req_bool(request.args, "with_locations"):
            points = self._points("landmark_location", "landmark_id", [r["id"] for r in rows])
            for r in rows:
                r["locations"] = points.get(r["id"], [])
        return rows

    @route("/<int:pid>/landmarks/<int:lid>/", drf=True, methods=("GET", "POST", "DELETE"))
    def landmark(self, request: Request, user: int, pid: int, lid: int) -> Any:
        found = self._one(pid, "landmark", lid)
        if request.method == "POST" and request.form.get("name"):
            with self.db.transaction() as cur:
                cur.execute("UPDATE class_instance SET name = ?, edition_time = ? WHERE id = ?",
                            (request.form["name"], store.iso_ms(), lid))
            return self._one(pid, "landmark", lid)
        if request.method == "DELETE":
            with self.db.transaction() as cur:
                points = [r[0] for r in cur.execute("SELECT point_id FROM landmark_location WHERE landmark_id = ?", (lid,))]
                cur.execute("DELETE FROM landmark_location WHERE landmark_id = ?", (lid,))
                cur.execute("DELETE FROM group_member WHERE landmark_id = ?", (lid,))
                cur.executemany("DELETE FROM point WHERE id = ?", [(p,) for p in points])
                cur.executemany("DELETE FROM group_location WHERE point_id = ?", [(p,) for p in points])
                cur.execute("DELETE FROM class_instance WHERE id = ?", (lid,))
        return found

    @route("/<int:pid>/landmarks/<int:lid>/locations/", drf=True, methods=("PUT",))
    def landmark_locations(self, request: Request, user: int, pid: int, lid: int) -> Any:
        self._one(pid, "landmark", lid)
        form = request.form
        x, y, z = float(form["x"]), float(form["y"]), float(form["z"])
        with self.db.transaction() as cur:
            (point,) = next_ids(cur, "location")
            cur.execute("INSERT INTO point VALUES (?, ?, ?, ?, ?, ?, ?)", (point, pid, x, y, z, user, store.iso_ms()))
            cur.execute("INSERT INTO landmark_location (landmark_id, point_id) VALUES (?, ?)", (lid, point))
            link = cur.execute("SELECT last_insert_rowid()").fetchone()[0]
        return {"link_id": link, "point_id": point, "landmark_id": lid}

    @route("/<int:pid>/landmarks/<int:lid>/locations/<int:point>/", drf=True, methods=("DELETE",))
    def landmark_location(self, request: Request, user: int, pid: int, lid: int, point: int) -> Any:
        with self.db.transaction() as cur:
            gone = cur.execute("DELETE FROM landmark_location WHERE landmark_id = ? AND point_id = ?", (lid, point)).rowcount
            if not gone:
                raise ValueError(f"Could not find link between landmark {lid} and point {point}")
            cur.execute("DELETE FROM point WHERE id = ?", (point,))
            cur.execute("DELETE FROM group_location WHERE point_id = ?", (point,))
        return {"deleted_point": True, "landmark_id": lid, "point_id": point}

    # -- groups -----------------------------------------------------------------------------------------
    def _group_rows(self, pid: int, ids: list[int] | None, members: bool, locations: bool) -> list[dict[str, Any]]:
        rows = self._instances(pid, "landmarkgroup", ids)
        keys = [r["id"] for r in rows]
        if members:
            found: dict[int, list[int]] = {}
            for g, lm in self.db.read("SELECT group_id, landmark_id FROM group_member WHERE group_id IN "
                                      "(SELECT value FROM json_each(?)) ORDER BY landmark_id", (as_json_list(keys),)):
                found.setdefault(g, []).append(lm)
            for r in rows:
                r["members"] = found.get(r["id"], [])
        if locations:
            points = self._points("group_location", "group_id", keys)
            for r in rows:
                r["locations"] = points.get(r["id"], [])
        return rows

    @route("/<int:pid>/landmarks/groups/", drf=True, methods=("GET", "PUT", "HEAD"))
    def landmark_groups(self, request: Request, user: int, pid: int) -> Any:
        if request.method == "PUT":
            return self._create(pid, user, "landmarkgroup", request.form.get("name"))
        return self._group_rows(pid, None, req_bool(request.args, "with_members"), req_bool(request.args, "with_locations"))

    @route("/<int:pid>/landmarks/groups/<int:gid>/", drf=True, methods=("GET", "POST", "DELETE"))
    def landmark_group(self, request: Request, user: int, pid: int, gid: int) -> Any:
        found = self._one(pid, "landmarkgroup", gid)
        if request.method == "GET":
            args = request.args
            return self._group_rows(pid, [gid], req_bool(args, "with_members"), req_bool(args, "with_locations"))[0]
        with self.db.transaction() as cur:
            if request.method == "DELETE":
                cur.execute("DELETE FROM group_member WHERE group_id = ?", (gid,))
                cur.execute("DELETE FROM group_location WHERE group_id = ?", (gid,))
                cur.execute("DELETE FROM class_instance WHERE id = ?", (gid,))
                return found
            form = request.form
            if form.get("name"):
                cur.execute("UPDATE class_instance SET name = ?, edition_time = ? WHERE id = ?", (form["name"], store.iso_ms(), gid))
            if form.get("members") == "none" or any(k.startswith("members") for k in form.keys()):
                members = [] if form.get("members") == "none" else req_list(form, "members", int)
                if not req_bool(form, "append_members"):
                    cur.execute("DELETE FROM group_member WHERE group_id = ?", (gid,))
                cur.executemany("INSERT OR IGNORE INTO group_member VALUES (?, ?)", [(gid, m) for m in members])
        return self._one(pid, "landmarkgroup", gid)

    @route("/<int:pid>/landmarks/groups/<int:gid>/locations/<int:point>/", drf=True, methods=("PUT", "DELETE"))
    def landmark_group_location(self, request: Request, user: int, pid: int, gid: int, point: int) -> Any:
        self._one(pid, "landmarkgroup", gid)
        with self.db.transaction() as cur:
            if request.method == "DELETE":
                cur.execute("DELETE FROM group_location WHERE group_id = ? AND point_id = ?", (gid, point))
            else:
                cur.execute("INSERT OR IGNORE INTO group_location VALUES (?, ?)", (gid, point))
        return {"group_id": gid, "location_id": point}

    # -- samplers ---------------------------------------------------------------------------------------
    def _samplers(self, pid: int, skids: list[int] | None, sid: int | None = None) -> list[dict[str, Any]]:
        sql = ("SELECT id, creation_time, edition_time, interval_length, interval_error, leaf_segment_handling, "
               "merge_limit, review_required, create_interval_boundaries, state_id, skeleton_id, user_id FROM sampler "
               "WHERE project_id = ?")
        params: list[Any] = [pid]
        if skids:
            sql += " AND skeleton_id IN (SELECT value FROM json_each(?))"
            params.append(as_json_list(skids))
        if sid is not None:
            sql += " AND id = ?"
            params.append(sid)
        return [{"id": i, "creation_time": store.epoch(c), "edition_time": store.epoch(e), "interval_length": il,
                 "interval_error": ie, "leaf_segment_handling": lsh, "merge_limit": ml, "review_required": bool(rr),
                 "create_interval_boundaries": bool(cib), "state_id": st, "skeleton_id": sk, "user_id": u}
                for i, c, e, il, ie, lsh, ml, rr, cib, st, sk, u in self.db.read(sql + " ORDER BY id", params)]

    @route("/<int:pid>/samplers/", drf=True, methods=("GET",))
    def samplers(self, request: Request, user: int, pid: int) -> Any:
        return self._samplers(pid, req_list(request.args, "skeleton_ids", int))

    @route("/<int:pid>/samplers/<int:sid>/", drf=True, methods=("GET",))
    def sampler(self, request: Request, user: int, pid: int, sid: int) -> Any:
        found = self._samplers(pid, None, sid)
        if not found:
            raise Http404("No sampler")
        return found[0]

    @route("/<int:pid>/samplers/add", drf=True, methods=("POST",))
    def sampler_add(self, request: Request, user: int, pid: int) -> Any:
        form = request.form
        for name in ("skeleton_id", "interval_length", "review_required", "create_interval_boundaries"):
            if not form.get(name):
                raise ValueError(f"Need {name} parameter")
        leaf = form.get("leaf_segment_handling") or "ignore"
        if leaf not in ("ignore", "merge", "short-interval"):
            raise ValueError("The leaf_segment_handling parameter needs to be one of 'ignore', 'merge' or 'short-interval'")
        merge = float(form.get("merge_limit") or 0)
        if not 0 <= merge <= 1:
            raise ValueError("Merge limit needs to be between 0 and 1")
        t = store.iso_ms()
        values = (pid, int(form["skeleton_id"]), int(form["interval_length"]), float(form.get("interval_error") or 250.0),
                  leaf, merge, form["review_required"] == "true", form["create_interval_boundaries"] == "true", 1, user, t, t)
        with self.db.transaction() as cur:
            cur.execute("INSERT INTO sampler (project_id, skeleton_id, interval_length, interval_error, leaf_segment_handling, "
                        "merge_limit, review_required, create_interval_boundaries, state_id, user_id, creation_time, "
                        "edition_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
            sid = cur.execute("SELECT last_insert_rowid()").fetchone()[0]
        return {"id": sid, "skeleton_id": values[1], "interval_length": values[2], "interval_error": values[3],
                "leaf_segment_handling": leaf, "merge_limit": merge, "review_required": values[6],
                "create_interval_boundaries": values[7], "sampler_state": 1, "user_id": user, "project_id": pid}

    @route("/<int:pid>/samplers/<int:sid>/delete", drf=True, methods=("POST",))
    def sampler_delete(self, request: Request, user: int, pid: int, sid: int) -> Any:
        with self.db.transaction() as cur:
            if not cur.execute("DELETE FROM sampler WHERE id = ? AND project_id = ?", (sid, pid)).rowcount:
                raise Http404("No sampler")
            domains = [r[0] for r in cur.execute("SELECT id FROM sampler_domain WHERE sampler_id = ?", (sid,))]
            cur.executemany("DELETE FROM sampler_domain_end WHERE domain_id = ?", [(d,) for d in domains])
            cur.execute("DELETE FROM sampler_domain WHERE sampler_id = ?", (sid,))
        return {"deleted_sampler_id": sid, "deleted_interval_nodes": 0}

    @route("/<int:pid>/samplers/<int:sid>/domains/", drf=True, methods=("GET",))
    def sampler_domains(self, request: Request, user: int, pid: int, sid: int) -> Any:
        ends: dict[int, list[dict[str, int]]] = {}
        for eid, domain, node in self.db.read("SELECT e.id, e.domain_id, e.node_id FROM sampler_domain_end e JOIN "
                                              "sampler_domain d ON d.id = e.domain_id WHERE d.sampler_id = ? ORDER BY e.id", (sid,)):
            ends.setdefault(domain, []).append({"id": eid, "node_id": node})
        return [{"id": i, "creation_time": store.epoch(c), "edition_time": store.epoch(e), "parent_interval_id": p,
                 "start_node_id": start, "type_id": kind, "user_id": u, "ends": ends.get(i, [])}
                for i, c, e, p, start, kind, u in self.db.read(
                    "SELECT id, creation_time, edition_time, parent_interval_id, start_node_id, type_id, user_id "
                    "FROM sampler_domain WHERE sampler_id = ? ORDER BY id", (sid,))]

    @route("/<int:pid>/samplers/<int:sid>/domains/add", drf=True, methods=("POST",))
    def sampler_domain_add(self, request: Request, user: int, pid: int, sid: int) -> Any:
        form = request.form
        if not self._samplers(pid, None, sid):
            raise Http404("No sampler")
        start, ends = int(form["start_node_id"]), req_list(form, "end_node_ids", int)
        parent = int(form["parent_interval_id"]) if form.get("parent_interval_id") else None
        t = store.iso_ms()
        with self.db.transaction() as cur:
            cur.execute("INSERT INTO sampler_domain (sampler_id, start_node_id, type_id, parent_interval_id, user_id, "
                        "creation_time, edition_time) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (sid, start, int(form.get("domain_type", 1)), parent, user, t, t))
            did = cur.execute("SELECT last_insert_rowid()").fetchone()[0]
            cur.executemany("INSERT INTO sampler_domain_end (domain_id, node_id) VALUES (?, ?)", [(did, e) for e in ends])
        return {"id": did, "sampler_id": sid, "type_id": int(form.get("domain_type", 1)), "start_node_id": start,
                "parent_interval_id": parent, "user_id": user, "project_id": pid}

    @route("/<int:pid>/skeletons/sampler-count", drf=True, methods=("POST",))
    def sampler_count(self, request: Request, user: int, pid: int) -> Any:
        skids = req_list(request.form, "skeleton_ids", int)
        counts = dict(self.db.read("SELECT skeleton_id, COUNT(*) FROM sampler WHERE skeleton_id IN "
                                   "(SELECT value FROM json_each(?)) GROUP BY skeleton_id", (as_json_list(skids),)))
        return {str(s): counts.get(s, 0) for s in skids}
