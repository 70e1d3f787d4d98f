"""Node tags (labels)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from ..base import CatmaidBase, route
from ..wire import as_json_list, req_bool, req_list


class TagViews(CatmaidBase):
    def _node(self, cur: Any, node: int, table: str = "treenode") -> None:
        if not cur.execute(f"SELECT 1 FROM {table} WHERE id = ?", (node,)).fetchone():
            raise ValueError(f"Could not find node #{node}")

    @route("/<int:pid>/label/treenode/<int:node>/update")
    def label_update(self, request: Request, user: int, pid: int, node: int) -> Any:
        return self._label_update(request, user, pid, node, "treenode")

    @route("/<int:pid>/label/connector/<int:node>/update")
    def connector_label_update(self, request: Request, user: int, pid: int, node: int) -> Any:
        return self._label_update(request, user, pid, node, "connector")

    def _label_update(self, request: Request, user: int, pid: int, node: int, table: str) -> Any:
        tags = list(dict.fromkeys(t.strip() for t in request.form.get("tags", "").split(",") if t.strip()))
        replace = req_bool(request.form, "delete_existing", True)
        with self.db.transaction() as cur:
            self._node(cur, node, table)
            have = [r[0] for r in cur.execute("SELECT tag FROM label WHERE node_id = ? ORDER BY id", (node,))]
            deleted = [t for t in have if t not in tags] if replace else []
            cur.executemany("DELETE FROM label WHERE node_id = ? AND tag = ?", [(node, t) for t in deleted])
            new = [t for t in tags if t not in have]
            for tag in new:
                self.label_id(cur, pid, user, tag)
            cur.executemany("INSERT INTO label (node_id, tag, user_id) VALUES (?, ?, ?)", [(node, t, user) for t in new])
            self._drop_unused_labels(cur, pid, deleted)
        return {"message": "success", "new_labels": new, "duplicate_labels": [t for t in tags if t in have],
                "deleted_labels": deleted}

    @staticmethod
    def _drop_unused_labels(cur: Any, pid: int, names: list[str]) -> None:
        for name in names:
            if not cur.execute("SELECT 1 FROM label WHERE tag = ?", (name,)).fetchone():
                cur.execute("DELETE FROM class_instance WHERE project_id = ? AND kind = 'label' AND name = ?", (pid, name))

    @route("/<int:pid>/label/treenode/<int:node>/remove")
    def label_remove(self, request: Request, user: int, pid: int, node: int) -> Any:
        tag = request.form.get("tag", "")
        with self.db.transaction() as cur:
            row = cur.execute("SELECT id FROM label WHERE node_id = ? AND tag = ?", (node, tag)).fetchone()
            if row is None:
                raise ValueError(f'Node {node} does not have a label with name "{tag}".')
            cur.execute("DELETE FROM label WHERE id = ?", (row[0],))
            self._drop_unused_labels(cur, pid, [tag])
        return {"deleted_link": row[0], "message": "success"}

    @route("/<int:pid>/labels/treenode/<int:node>/", drf=True, methods=("GET",))
    def labels(self, request: Request, user: int, pid: int, node: int) -> Any:
        return [r[0] for r in self.db.read("SELECT tag FROM label WHERE node_id = ? ORDER BY tag", (node,))]

    @route("/<int:pid>/labels-for-nodes")
    def labels_for_nodes(self, request: Request, user: int, pid: int) -> Any:
        # Both lists come comma-joined in one value (pymaid, the web client); indexed forms also work.
        nodes: list[int] = []
        for key in ("treenode_ids", "connector_ids"):
            if key in request.values:
                nodes += [int(v) for v in request.values.get(key, "").split(",") if v.strip()]
            else:
                nodes += req_list(request.values, key, int)
        result: dict[str, list[str]] = {}
        for node, tag in self.db.read("SELECT node_id, tag FROM label WHERE node_id IN (SELECT value FROM json_each(?)) ORDER BY id",
                                      (as_json_list(nodes),)):
            result.setdefault(str(node), []).append(tag)
        return result

    @route("/<int:pid>/labels/stats", drf=True, methods=("GET",))
    def labels_stats(self, request: Request, user: int, pid: int) -> Any:
        return [list(r) for r in self.db.read(
            "SELECT c.id, l.tag, t.skeleton_id, l.node_id FROM label l JOIN treenode t ON t.id = l.node_id "
            "JOIN class_instance c ON c.project_id = t.project_id AND c.kind = 'label' AND c.name = l.tag "
            "WHERE t.project_id = ? ORDER BY l.id", (pid,))]
