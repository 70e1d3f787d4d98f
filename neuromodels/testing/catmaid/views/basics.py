"""Version, projects, stacks and users."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

from .. import store
from ..base import CatmaidBase, route
from ..wire import DoesNotExist


class BasicViews(CatmaidBase):
    mirrors: Any  # the stack's tile sources (views/tiles.py)

    @route("/version", public=True)
    def version(self, request: Request, user: int) -> Any:
        return {"SERVER_VERSION": "2021.12.21.dev305+neuromodels.local"}

    @route("/projects/", drf=True, methods=("GET",), public=True)
    def projects(self, request: Request, user: int) -> Any:
        if user == store.ANONYMOUS_ID:
            return []
        result: list[dict[str, Any]] = [{"comment": None, "id": -1, "stackgroups": [], "stacks": [], "title": "Classification dummy project"}]
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
                "downsample_factors": None, "metadata": None, "mirrors": self.mirrors(request, sid), "num_zoom_levels": -1,
                "orientation": 0, "pid": pid, "placeholder_color": {"a": 1.0, "b": 0.0, "g": 0.0, "r": 0.0},
                "ptitle": ptitle, "resolution": {"x": rx, "y": ry, "z": rz}, "sid": sid, "stitle": title,
                "translation": {"x": 0.0, "y": 0.0, "z": 0.0}}
        return Response(json.dumps(info, indent=4), content_type="application/json")
