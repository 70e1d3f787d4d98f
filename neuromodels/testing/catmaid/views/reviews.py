"""Reviews: marking nodes reviewed, review status, review segments, reviewed nodes, contributors."""

from __future__ import annotations

from collections import Counter
from typing import Any

from werkzeug.wrappers import Request

from ..base import CatmaidBase, route
from ..store import iso_ms, iso_us, parse_iso
from ..wire import as_json_list, req_bool, req_list
from .nodes import compact


def ms_z(text: str) -> str:
    return iso_ms(parse_iso(text))


def segments(parent: dict[int, int | None], start: int | None) -> list[list[int]]:
    """The arbor (below ``start``, or all of it) cut into linear segments, longest first: each runs
    from a leaf towards the root and ends on the branch node where it meets a longer one."""
    children: dict[int, list[int]] = {}
    for node, up in parent.items():
        if up is not None:
            children.setdefault(up, []).append(node)
    root = start if start is not None else next((n for n, p in parent.items() if p is None), None)
    if root is None:
        return []
    depth = {root: 0}
    order = [root]
    for node in order:
        for child in children.get(node, []):
            depth[child] = depth[node] + 1
            order.append(child)
    leaves = sorted((n for n in order if not children.get(n)), key=lambda n: (-depth[n], n))
    seen: set[int] = set()
    result = []
    for leaf in leaves:
        path = [leaf]
        node = leaf
        while node != root and node not in seen:
            seen.add(node)
            node = parent[node]  # type: ignore[assignment]
            path.append(node)
        if node == root:
            seen.add(root)
        result.append(path)
    if not result:
        result = [[root]]
    return sorted(result, key=len, reverse=True)


class ReviewViews(CatmaidBase):
    @route("/<int:pid>/node/<int:node>/reviewed")
    def reviewed(self, request: Request, user: int, pid: int, node: int) -> Any:
        skid = self.skeleton_of(node)
        t = iso_ms()
        with self.db.transaction() as cur:
            cur.execute("INSERT OR REPLACE INTO review (project_id, treenode_id, skeleton_id, reviewer_id, review_time) "
                        "VALUES (?, ?, ?, ?, ?)", (pid, node, skid, user, t))
        return {"reviewer_id": user, "review_time": iso_us(t)}

    @route("/<int:pid>/skeletons/review-status", drf=True, methods=("POST",))
    def review_status(self, request: Request, user: int, pid: int) -> Any:
        form = request.form
        skids = req_list(form, "skeleton_ids", int)
        reviewers: list[int] | None = req_list(form, "user_ids", int) or None
        if req_bool(form, "whitelist"):
            reviewers = []  # nobody has a reviewer whitelist here
        ids = as_json_list(skids)
        counts = dict(self.db.read("SELECT skeleton_id, COUNT(*) FROM treenode WHERE skeleton_id IN (SELECT value FROM json_each(?)) "
                                   "GROUP BY skeleton_id", (ids,)))
        sql = ("SELECT skeleton_id, COUNT(DISTINCT treenode_id) FROM review WHERE skeleton_id IN (SELECT value FROM json_each(?))")
        params: list[Any] = [ids]
        if reviewers is not None:
            sql += " AND reviewer_id IN (SELECT value FROM json_each(?))"
            params.append(as_json_list(reviewers))
        done = dict(self.db.read(sql + " GROUP BY skeleton_id", params))
        return {str(s): [counts[s], done.get(s, 0)] for s in dict.fromkeys(skids) if s in counts}

    @route("/<int:pid>/skeletons/<int:skid>/review", drf=True, methods=("POST",))
    def review_segments(self, request: Request, user: int, pid: int, skid: int) -> Any:
        rows = self.db.read("SELECT id, parent_id, x, y, z, user_id FROM treenode WHERE skeleton_id = ?", (skid,))
        if not rows:
            raise ValueError(f"Skeleton #{skid} doesn't exist")
        nodes = {r[0]: r for r in rows}
        rids: dict[int, list[list[Any]]] = {}
        for node, reviewer, t in self.db.read("SELECT treenode_id, reviewer_id, review_time FROM review WHERE skeleton_id = ? "
                                              "ORDER BY id", (skid,)):
            rids.setdefault(node, []).append([reviewer, ms_z(t)])
        start = request.form.get("subarbor_node_id")
        result = []
        for k, seq in enumerate(segments({r[0]: r[1] for r in rows}, int(start) if start else None)):
            reviewed = sum(1 for n in seq if n in rids)
            result.append({"id": k, "sequence": [{"id": n, "x": nodes[n][2], "y": nodes[n][3], "z": nodes[n][4],
                                                  "rids": rids.get(n, []), "sup": [], "user_id": nodes[n][5]} for n in seq],
                           "status": f"{100.0 * reviewed / len(seq):.2f}", "nr_nodes": len(seq)})
        return result

    @route("/<int:pid>/skeleton/<int:skid>/reviewed-nodes")
    def reviewed_nodes(self, request: Request, user: int, pid: int, skid: int) -> Any:
        result: dict[str, list[list[Any]]] = {}
        for node, reviewer, t in self.db.read("SELECT treenode_id, reviewer_id, review_time FROM review WHERE skeleton_id = ? "
                                              "ORDER BY id", (skid,)):
            result.setdefault(str(node), []).append([reviewer, ms_z(t)])
        return compact(result)

    @route("/<int:pid>/skeleton/contributor_statistics_multiple")
    def contributor_statistics(self, request: Request, user: int, pid: int) -> Any:
        ids = as_json_list(req_list(request.values, "skids", int))
        nodes = Counter(dict(self.db.read("SELECT user_id, COUNT(*) FROM treenode WHERE skeleton_id IN (SELECT value FROM json_each(?)) "
                                          "GROUP BY user_id", (ids,))))
        rel = self.relations(pid)
        links: dict[str, Counter[int]] = {}
        for name in ("presynaptic_to", "postsynaptic_to"):
            links[name] = Counter(dict(self.db.read(
                "SELECT user_id, COUNT(*) FROM treenode_connector WHERE skeleton_id IN (SELECT value FROM json_each(?)) "
                "AND relation_id = ? GROUP BY user_id", (ids, rel.get(name, -1)))))
        reviews = Counter(dict(self.db.read("SELECT reviewer_id, COUNT(*) FROM review WHERE skeleton_id IN "
                                            "(SELECT value FROM json_each(?)) GROUP BY reviewer_id", (ids,))))

        def keyed(c: Counter[int]) -> dict[str, int]:
            return {str(k): v for k, v in sorted(c.items())}

        return {"construction_minutes": 1 if nodes else 0, "min_review_minutes": 0, "multiuser_review_minutes": 0,
                "n_nodes": sum(nodes.values()), "node_contributors": keyed(nodes),
                "n_pre": sum(links["presynaptic_to"].values()), "n_post": sum(links["postsynaptic_to"].values()),
                "pre_contributors": keyed(links["presynaptic_to"]), "post_contributors": keyed(links["postsynaptic_to"]),
                "review_contributors": keyed(reviews)}
