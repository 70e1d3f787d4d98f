"""Graph queries over synapses: circles of hell (n-th partners) and link counts per skeleton."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from werkzeug.wrappers import Request

from ..base import CatmaidBase, route
from ..wire import as_json_list, req_list


class GraphViews(CatmaidBase):
    @route("/<int:pid>/graph/circlesofhell", drf=True, methods=("POST",))
    def circles_of_hell(self, request: Request, user: int, pid: int) -> Any:
        form = request.form
        circles = int(form.get("n_circles", 1))
        if circles < 1:
            raise ValueError("Requires at least one circle.")
        first = set(req_list(form, "skeleton_ids", int))
        if not first:
            raise ValueError("No skeletons were provided.")
        min_pre, min_post = int(form.get("min_pre", -1)), int(form.get("min_post", -1))
        if min_pre == -1 and min_post == -1:
            raise ValueError("Can't grow: not retrieving any pre or post.")
        rel = self.relations(pid)
        pre, post = rel.get("presynaptic_to", -1), rel.get("postsynaptic_to", -1)
        # Inverted, as CATMAID does: a partner postsynaptic to the set needs min_post links.
        minimum = {pre: float("inf") if min_post == -1 else min_post, post: float("inf") if min_pre == -1 else min_pre}
        allowed = req_list(form, "allowed_connector_ids", int)
        current, seen = set(first), set(first)
        while circles > 0 and current:
            circles -= 1
            sql = ("SELECT a.skeleton_id, a.relation_id, b.skeleton_id FROM treenode_connector a JOIN treenode_connector b "
                   "ON b.connector_id = a.connector_id WHERE a.skeleton_id IN (SELECT value FROM json_each(?)) "
                   "AND a.skeleton_id != b.skeleton_id AND a.relation_id != b.relation_id "
                   "AND a.relation_id IN (?, ?) AND b.relation_id IN (?, ?)")
            params: list[Any] = [as_json_list(sorted(current)), pre, post, pre, post]
            if allowed:
                sql += " AND a.connector_id IN (SELECT value FROM json_each(?))"
                params.append(as_json_list(allowed))
            counts: dict[tuple[int, int, int], int] = defaultdict(int)
            for mine, relation, theirs in self.db.read(sql, params):
                counts[(mine, relation, theirs)] += 1
            found = {theirs for (mine, relation, theirs), n in counts.items() if n >= minimum[relation]}
            current = found - seen
            seen |= found
        skids = sorted(seen - first)
        names = {str(s): n for s, n in self.db.read(
            "SELECT m.skeleton_id, c.name FROM model_of m JOIN class_instance c ON c.id = m.neuron_id "
            "WHERE m.skeleton_id IN (SELECT value FROM json_each(?))", (as_json_list(skids),))}
        return [skids, names]

    @route("/<int:pid>/skeletons/connectivity-counts", drf=True, methods=("GET", "POST"))
    def connectivity_counts(self, request: Request, user: int, pid: int) -> Any:
        values = request.values
        skids = req_list(values, "skeleton_ids", int)
        rel = self.relations(pid)
        sources = req_list(values, "source_relations", str) or ["presynaptic_to"]
        targets = req_list(values, "target_relations", str) or ["postsynaptic_to"]
        for name in sources + targets:
            if name not in rel:
                raise ValueError(f"Unknown relation: {name}")
        source_ids, target_ids = [rel[n] for n in sources], [rel[n] for n in targets]
        rows = self.db.read(
            "SELECT a.skeleton_id, a.relation_id, COUNT(*) FROM treenode_connector a JOIN treenode_connector b "
            "ON b.connector_id = a.connector_id AND b.id != a.id WHERE a.skeleton_id IN (SELECT value FROM json_each(?)) "
            "AND a.relation_id IN (SELECT value FROM json_each(?)) AND b.relation_id IN (SELECT value FROM json_each(?)) "
            "GROUP BY a.skeleton_id, a.relation_id ORDER BY a.skeleton_id",
            (as_json_list(skids), as_json_list(source_ids), as_json_list(target_ids)))
        connectivity: dict[str, dict[str, int]] = {}
        for skid, relation, count in rows:
            connectivity.setdefault(str(skid), {})[str(relation)] = count
        # only the relations the counts use are named (none: an empty map)
        seen = {int(r) for counts in connectivity.values() for r in counts}
        return {"connectivity": connectivity, "relations": {str(i): n for n, i in rel.items() if i in seen}}
