"""History and provenance: skeleton change history, transactions (recorded for every write as
CATMAID's transaction log labels them), import origins and import info."""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import urlsplit, urlunsplit

from werkzeug.wrappers import Request, Response

from ..base import CatmaidBase, route
from ..store import iso_ms, iso_us, parse_iso
from ..wire import as_json_list, req_bool, req_list

SCHEMA = """
CREATE TABLE IF NOT EXISTS transaction_info (
    id INTEGER PRIMARY KEY AUTOINCREMENT, project_id INTEGER, user_id INTEGER, label TEXT,
    change_type TEXT, execution_time TEXT);
CREATE TABLE IF NOT EXISTS data_source (
    id INTEGER PRIMARY KEY AUTOINCREMENT, project_id INTEGER, name TEXT, url TEXT, source_project_id INTEGER);
CREATE TABLE IF NOT EXISTS skeleton_origin (
    skeleton_id INTEGER PRIMARY KEY, project_id INTEGER, source_id INTEGER, data_source_id INTEGER, source_type TEXT);
CREATE TABLE IF NOT EXISTS imported_node (node_id INTEGER PRIMARY KEY, project_id INTEGER);
"""

#: The transaction label CATMAID records for each write view (catmaid_transaction_info.label).
TRANSACTION_LABELS = {
    "import_skeleton": "skeletons.import", "rename": "neurons.rename", "rename_many": "neurons.rename",
    "delete_neuron": "neurons.remove", "annotations_add": "annotations.add", "annotations_remove": "annotations.remove",
    "annotation_remove": "annotations.remove", "node_update": "nodes.update_location",
    "reviewed": "nodes.add_or_update_review", "skeleton_split": "skeletons.split", "skeleton_join": "skeletons.merge",
    "skeleton_reroot": "skeletons.reroot", "treenode_create": "treenodes.create", "treenode_insert": "treenodes.insert",
    "treenode_delete": "treenodes.remove", "radius": "treenodes.update_radius", "radii": "treenodes.update_radius",
    "confidence": "treenodes.update_confidence", "parent": "treenodes.update_parent",
    "connector_create": "connectors.create", "connector_delete": "connectors.remove", "link_create": "links.create",
    "link_delete": "links.remove", "label_update": "labels.update", "label_remove": "labels.remove",
    "volume_add": "volumes.create", "sampler_add": "samplers.create", "sampler_delete": "samplers.remove",
    "landmarks": "landmarks.create", "landmark": "landmarks.update", "landmark_locations": "landmarks.add_location",
    "landmark_groups": "landmarkgroups.create", "landmark_group": "landmarkgroups.update",
}


def normalize_source_url(url: str) -> str:
    """CATMAID keeps source URLs without a trailing slash and with a lower-case scheme and host."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))


def record_import(cur: Any, pid: int, skid: int, node_ids: list[int], form: Mapping[str, str]) -> None:
    """What an SWC import leaves for provenance: its nodes count as imported, and a source
    (``source_id``, ``source_url``, ``source_project_id``) becomes the skeleton's origin."""
    cur.executemany("INSERT OR IGNORE INTO imported_node VALUES (?, ?)", [(n, pid) for n in node_ids])
    source_id, url, project = form.get("source_id"), form.get("source_url"), form.get("source_project_id")
    if source_id is None or not url or project is None:
        return
    url = normalize_source_url(url)
    row = cur.execute("SELECT id FROM data_source WHERE project_id = ? AND url = ? AND source_project_id = ?",
                      (pid, url, int(project))).fetchone()
    if row is None:
        cur.execute("INSERT INTO data_source (project_id, name, url, source_project_id) VALUES (?, NULL, ?, ?)",
                    (pid, url, int(project)))
        row = (cur.execute("SELECT last_insert_rowid()").fetchone()[0],)
    cur.execute("INSERT OR REPLACE INTO skeleton_origin VALUES (?, ?, ?, ?, ?)",
                (skid, pid, int(source_id), row[0], form.get("source_type", "skeleton")))


class ProvenanceViews(CatmaidBase):
    def render(self, request: Request, view: Any, result: Any) -> Response:
        response = super().render(request, view, result)
        label = TRANSACTION_LABELS.get(view.name)
        if label and request.method in ("POST", "PUT", "DELETE") and response.status_code == 200:
            head = request.path.split("/")[1]
            header = request.headers.get("X-Authorization") or request.headers.get("Authorization") or ""
            user = self.db.read("SELECT id FROM auth_user WHERE token = ?", (header[6:].strip(),))
            with self.db.transaction() as cur:
                cur.execute("INSERT INTO transaction_info (project_id, user_id, label, change_type, execution_time) "
                            "VALUES (?, ?, ?, 'Backend', ?)",
                            (int(head) if head.isdigit() else 1, user[0][0] if user else None, label, iso_ms()))
        return response

    @route("/<int:pid>/transactions/", drf=True, methods=("GET",))
    def transactions(self, request: Request, user: int, pid: int) -> Any:
        start, length = int(request.args.get("range_start", 0)), request.args.get("range_length")
        rows = self.db.read("SELECT id, execution_time, user_id, project_id, change_type, label FROM transaction_info "
                            "WHERE project_id = ? ORDER BY id DESC", (pid,))
        page = rows[start:] if length is None else rows[start : start + int(length)]
        return {"transactions": [{"transaction_id": i, "execution_time": iso_us(t), "user_id": u, "project_id": p,
                                  "change_type": c, "label": label} for i, t, u, p, c, label in page],
                "total_count": len(rows)}

    @route("/<int:pid>/skeletons/change-history", drf=True, methods=("GET",))
    def change_history(self, request: Request, user: int, pid: int) -> Any:
        """Node paths through skeletons (see CATMAID's query): versions of the query skeletons'
        nodes are the oldest (-1); later past versions (0) and live ones (1) follow."""
        skids = req_list(request.args, "skeleton_ids", int)
        where, params = ("AND skeleton_id IN (SELECT value FROM json_each(?))", [as_json_list(skids)]) if skids else ("", [])
        live = self.db.read(f"SELECT id, skeleton_id, edition_time FROM treenode WHERE project_id = ? {where}", [pid, *params])
        past = self.db.read(f"SELECT id, skeleton_id, valid_from FROM treenode_history WHERE 1 = 1 {where}", params)
        first: dict[tuple[int, int], list[Any]] = {}  # (node, skeleton) -> [min time, live]
        for rows, is_live in ((past, False), (live, True)):
            for node, skid, t in rows:
                entry = first.setdefault((node, skid), [parse_iso(t), False])
                entry[0], entry[1] = min(entry[0], parse_iso(t)), entry[1] or is_live
        nodes = sorted({n for n, _ in first})
        oldest: dict[int, list[tuple[int, Any]]] = {}
        for (node, skid), (t, _) in first.items():
            oldest.setdefault(node, []).append((skid, t))
        versions: dict[tuple[int, int], list[Any]] = {k: [-1, v[0], v[1]] for k, v in first.items()}
        if nodes:
            ids = as_json_list(nodes)
            for pos, sql in ((0, "SELECT id, skeleton_id, valid_from FROM treenode_history"),
                             (1, "SELECT id, skeleton_id, edition_time FROM treenode")):
                for node, skid, t in self.db.read(f"{sql} WHERE id IN (SELECT value FROM json_each(?))", (ids,)):
                    when = parse_iso(t)
                    if any(when > start or s != skid for s, start in oldest[node]):
                        entry = versions.setdefault((node, skid), [pos, when, pos == 1])
                        entry[0], entry[1], entry[2] = max(entry[0], pos), min(entry[1], when), entry[2] or pos == 1
        by_node: dict[int, list[tuple[int, Any, int, bool]]] = {}
        for (node, skid), (pos, t, is_live) in versions.items():
            by_node.setdefault(node, []).append((pos, t, skid, is_live))
        paths: dict[tuple[int, ...], list[int]] = {}
        for node in nodes:
            mine = sorted(by_node[node], key=lambda x: (x[0], x[1]))
            key = tuple(s for _, _, s, _ in mine)
            entry = paths.setdefault(key, [0, -1, 0])
            entry[0] += 1
            entry[1] = max(entry[1], max(p for p, _, _, _ in mine))
            entry[2] += 1 if any(is_live for _, _, _, is_live in mine) else 0
        result = [[list(k), *v] for k, v in paths.items()]
        return sorted(result, key=lambda r: -r[1])

    @route("/<int:pid>/skeletons/origin", drf=True, methods=("GET", "POST"))
    def origin(self, request: Request, user: int, pid: int) -> Any:
        skids = req_list(request.values, "skeleton_ids", int)
        if not skids:
            raise ValueError("Need at least one skeleton ID")
        rows = self.db.read("SELECT skeleton_id, source_id, data_source_id FROM skeleton_origin WHERE project_id = ? "
                            "AND skeleton_id IN (SELECT value FROM json_each(?))", (pid, as_json_list(skids)))
        sources = self.db.read("SELECT id, name, url, source_project_id FROM data_source WHERE id IN "
                               "(SELECT value FROM json_each(?))", (as_json_list([r[2] for r in rows]),))
        return {"data_sources": {str(i): {"name": n, "url": u, "source_project_id": p} for i, n, u, p in sources},
                "origins": {str(s): {"source_id": src, "data_source_id": d} for s, src, d in rows}}

    @route("/<int:pid>/skeletons/from-origin", drf=True, methods=("GET", "POST"))
    def from_origin(self, request: Request, user: int, pid: int) -> Any:
        values = request.values
        source_ids = req_list(values, "source_ids", int)
        if not source_ids:
            raise ValueError("Need at least one source ID")
        if not values.get("source_url"):
            raise ValueError("Need source_url for origin lookup")
        if values.get("source_project_id") is None:
            raise ValueError("Need source_project_id for origin lookup")
        rows = self.db.read(
            "SELECT so.source_id, so.skeleton_id FROM skeleton_origin so JOIN data_source ds ON ds.id = so.data_source_id "
            "WHERE so.project_id = ? AND ds.url = ? AND ds.source_project_id = ? AND so.source_id IN "
            "(SELECT value FROM json_each(?))",
            (pid, normalize_source_url(values["source_url"]), int(values["source_project_id"]), as_json_list(source_ids)))
        return {str(src): skid for src, skid in rows}

    @route("/<int:pid>/skeletons/import-info", drf=True, methods=("GET", "POST"))
    def import_info(self, request: Request, user: int, pid: int) -> Any:
        values = request.values
        skids = req_list(values, "skeleton_ids", int)
        if not skids:
            raise ValueError("Need at least one skeleton ID")
        with_nodes = req_bool(values, "with_treenodes")
        result: dict[str, Any] = {}
        for skid in skids:
            if not self.db.read("SELECT 1 FROM treenode WHERE skeleton_id = ? LIMIT 1", (skid,)):
                continue  # CATMAID joins its skeleton summary: skeletons without nodes are absent
            ids = [r[0] for r in self.db.read("SELECT t.id FROM treenode t JOIN imported_node i ON i.node_id = t.id "
                                              "WHERE t.skeleton_id = ? ORDER BY t.id", (skid,))]
            result[str(skid)] = {"n_imported_treenodes": len(ids), **({"imported_treenodes": ids} if with_nodes else {})}
        return result
