"""Node tags (labels)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from ..base import CatmaidBase, route
from ..wire import req_bool


class TagViews(CatmaidBase):
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
