"""Project statistics: per-user history and the operation log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from werkzeug.wrappers import Request

from ..base import CatmaidBase, route
from ..store import iso_us
from ..wire import DoesNotExist


class DayMissing(DoesNotExist):
    kind = "KeyError"


class StatsViews(CatmaidBase):
    @route("/<int:pid>/stats/user-history", drf=True, methods=("GET",))
    def user_history(self, request: Request, user: int, pid: int) -> Any:
        today = dt.datetime.now(dt.timezone.utc).date()
        start = dt.date.fromisoformat(request.args.get("start_date") or (today - dt.timedelta(days=7)).isoformat())
        end = dt.date.fromisoformat(request.args.get("end_date") or today.isoformat())
        days = [start + dt.timedelta(days=k) for k in range((end - start).days + 1)]
        keys = [d.strftime("%Y%m%d") for d in days]
        table: dict[str, dict[str, dict[str, float]]] = {
            str(u): {k: {} for k in keys} for (u,) in self.db.read("SELECT id FROM auth_user ORDER BY id")}
        counts = {
            # Imported nodes count apart from traced ones, as in CATMAID.
            "new_treenodes": "SELECT t.user_id, substr(t.creation_time, 1, 10), COUNT(*) FROM treenode t LEFT JOIN imported_node i "
                             "ON i.node_id = t.id WHERE t.project_id = ? AND i.node_id IS NULL GROUP BY 1, 2",
            "new_import_treenodes": "SELECT t.user_id, substr(t.creation_time, 1, 10), COUNT(*) FROM treenode t JOIN imported_node i "
                                    "ON i.node_id = t.id WHERE t.project_id = ? GROUP BY 1, 2",
            "new_connectors": "SELECT user_id, substr(creation_time, 1, 10), COUNT(*) FROM connector WHERE project_id = ? GROUP BY 1, 2",
            "new_reviewed_nodes": "SELECT reviewer_id, substr(review_time, 1, 10), COUNT(*) FROM review WHERE project_id = ? GROUP BY 1, 2",
        }
        for field, sql in counts.items():
            for uid, day, count in self.db.read(sql, (pid,)):
                key = day.replace("-", "")
                if key < keys[0] or str(uid) not in table:
                    continue
                if key not in table[str(uid)]:
                    # CATMAID's day table ends at end_date while some of its queries do not: a
                    # later day with data is a KeyError, answered as a 500 (pymaid-more/051).
                    raise DayMissing(repr(key))
                entry = table[str(uid)][key]
                if not entry:
                    entry.update({"new_treenodes": 0.0, "new_cable_length": 0.0, "new_connectors": 0.0,
                                  "new_reviewed_nodes": 0.0, "new_import_treenodes": 0.0, "new_import_cable_length": 0.0})
                entry[field] = float(count)
        return {"stats_table": table, "days": keys,
                "daysformatted": [d.strftime("%a %d, %b %Y") for d in days]}

    @route("/<int:pid>/logs/list")
    def logs(self, request: Request, user: int, pid: int) -> Any:
        form = request.values
        sql = "SELECT u.login, l.operation, l.time, l.x, l.y, l.z, l.text FROM log l JOIN auth_user u ON u.id = l.user_id WHERE l.project_id = ?"
        params: list[Any] = [pid]
        operation = form.get("operation_type", "-1")
        if operation not in ("-1", ""):
            sql += " AND l.operation = ?"
            params.append(operation)
        if form.get("search_freetext"):
            sql += " AND instr(lower(l.text), lower(?)) > 0"
            params.append(form["search_freetext"])
        if form.get("user_id") not in (None, "", "-1"):
            sql += " AND l.user_id = ?"
            params.append(int(form["user_id"]))
        direction = "ASC" if form.get("sSortDir_0", "desc").lower() == "asc" else "DESC"
        start, length = int(form.get("iDisplayStart", 0) or 0), int(form.get("iDisplayLength", -1) or -1)
        sql += f" ORDER BY l.id {direction} LIMIT ? OFFSET ?"
        params += [length, start]
        rows = [[login, op, iso_us(t), x, y, z, text] for login, op, t, x, y, z, text in self.db.read(sql, params)]
        return {"iTotalRecords": len(rows), "iTotalDisplayRecords": len(rows), "aaData": rows}