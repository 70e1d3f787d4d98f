"""Volumes: list, add (box, trimesh), detail, update, delete."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from werkzeug.wrappers import Request

from ....formats.x3d import to_indexed_triangle_set
from .. import store
from ..base import CatmaidBase, route
from ..store import iso_ms
from ..wire import Http404


def mesh_measures(vertices: list[list[float]], faces: list[list[int]]) -> tuple[float, float, bool]:
    """Surface area, enclosed volume and whether every edge is shared by exactly two faces."""
    v, f = np.asarray(vertices, dtype=float), np.asarray(faces, dtype=int)
    a, b, c = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
    area = float(np.linalg.norm(np.cross(b - a, c - a), axis=1).sum() / 2)
    volume = float(abs(np.einsum("ij,ij->i", a, np.cross(b, c)).sum()) / 6)
    edges = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    return area, volume, bool(np.all(counts == 2))


class VolumeViews(CatmaidBase):
    @route("/<int:pid>/volumes/", drf=True, methods=("GET",))
    def volumes(self, request: Request, user: int, pid: int) -> Any:
        columns = ["id", "name", "comment", "user_id", "editor_id", "project_id", "creation_time", "edition_time",
                   "annotations", "area", "volume", "watertight", "meta_computed"]
        rows = self.db.read("SELECT id, name, comment, user_id, project_id, creation_time, edition_time, vertices, faces FROM volume "
                            "WHERE project_id = ? ORDER BY id", (pid,))
        return {"columns": columns,
                "data": [[i, n, c, u, u, p, ct, et, None, *mesh_measures(json.loads(vs), json.loads(fs)), True]
                         for i, n, c, u, p, ct, et, vs, fs in rows]}

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

        def micro(t: str) -> str:
            return store.parse_iso(t).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

        return {"id": i, "project_id": p, "name": name, "comment": comment, "user_id": u, "editor_id": u,
                "creation_time": micro(ct), "edition_time": micro(et),
                "bbox": {"min": dict(zip("xyz", lo)), "max": dict(zip("xyz", hi))},
                "mesh": to_indexed_triangle_set(v, f)}
