"""Connectivity between skeletons: partners, adjacency matrix, edges, paths, synapses between sets."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from werkzeug.wrappers import Request

from ..base import CatmaidBase, route
from ..wire import as_json_list, req_bool, req_list

#: link_types[i] of skeletons/connectivity -> (answer key, this side's relation, partner's relation).
#: CATMAID answers each link type under its own name (its "partner_reference"), with
#: "<name>_reviewers" beside it; names it does not know are skipped.
LINK_TYPES = {
    "incoming": ("incoming", "postsynaptic_to", "presynaptic_to"),
    "outgoing": ("outgoing", "presynaptic_to", "postsynaptic_to"),
    "abutting": ("abutting", "abutting", "abutting"),
    "gapjunction": ("gapjunction", "gapjunction_with", "gapjunction_with"),
    "tightjunction": ("tightjunction", "tightjunction_with", "tightjunction_with"),
    "desmosome": ("desmosome", "desmosome_with", "desmosome_with"),
    "attachment": ("attachment", "attached_to", "close_to"),
    "close_object": ("close_object", "close_to", "close_to"),
}


class ConnectivityViews(CatmaidBase):
    def synapses(self, skids: list[int] | None, mine: str, theirs: str, pid: int) -> list[tuple[Any, ...]]:
        """(my skeleton, partner skeleton, confidence, my node, partner node, connector) per synapse:
        a pair of links on one connector, ``mine`` on my side and ``theirs`` on the partner's."""
        rel = self.relations(pid)
        sql = ("SELECT a.skeleton_id, b.skeleton_id, MIN(a.confidence, b.confidence), a.treenode_id, b.treenode_id, a.connector_id "
               "FROM treenode_connector a JOIN treenode_connector b ON b.connector_id = a.connector_id AND b.id != a.id "
               "WHERE a.relation_id = ? AND b.relation_id = ?")
        params: list[Any] = [rel.get(mine, -1), rel.get(theirs, -1)]
        if skids is not None:
            sql += " AND a.skeleton_id IN (SELECT value FROM json_each(?))"
            params.append(as_json_list(skids))
        return self.db.read(sql + " ORDER BY a.connector_id, b.id", params)

    def node_counts(self, skids: set[int]) -> dict[int, int]:
        return dict(self.db.read("SELECT skeleton_id, COUNT(*) FROM treenode WHERE skeleton_id IN (SELECT value FROM json_each(?)) "
                                 "GROUP BY skeleton_id", (as_json_list(sorted(skids)),)))

    @route("/<int:pid>/skeletons/connectivity", drf=True, methods=("POST",))
    def connectivity(self, request: Request, user: int, pid: int) -> Any:
        form = request.form
        sources = req_list(form, "source_skeleton_ids", int)
        both = form.get("boolean_op", "OR").upper().endswith("AND")
        with_nodes = req_bool(form, "with_nodes")
        kinds = req_list(form, "link_types") or ["incoming", "outgoing"]
        result: dict[str, Any] = {}
        for kind in [k for k in LINK_TYPES if k in kinds]:  # in CATMAID's order
            key, mine, theirs = LINK_TYPES[kind]
            partners: dict[int, dict[str, Any]] = {}
            for source, partner, confidence, my_node, their_node, cid in self.synapses(sources, mine, theirs, pid):
                entry = partners.setdefault(partner, {"skids": {}, "links": []})
                counts = entry["skids"].setdefault(str(source), [0, 0, 0, 0, 0])
                counts[max(1, min(5, confidence)) - 1] += 1
                entry["links"].append([my_node, their_node, source, cid])
            if both:
                partners = {p: e for p, e in partners.items() if len(e["skids"]) == len(set(sources))}
            counts = self.node_counts(set(partners))
            body: dict[str, Any] = {}
            for partner, entry in partners.items():
                body[str(partner)] = {"num_nodes": counts.get(partner, 0), "skids": entry["skids"]}
                if with_nodes:
                    body[str(partner)]["links"] = entry["links"]
            result[key] = body
            result[f"{key}_reviewers"] = [r[0] for r in self.db.read(
                "SELECT DISTINCT reviewer_id FROM review WHERE skeleton_id IN (SELECT value FROM json_each(?)) ORDER BY reviewer_id",
                (as_json_list(list(partners)),))]
        return result

    @route("/<int:pid>/skeleton/connectivity_matrix", drf=True, methods=("GET", "POST"))
    def connectivity_matrix(self, request: Request, user: int, pid: int) -> Any:
        values = request.values
        rows, columns = req_list(values, "rows", int), set(req_list(values, "columns", int))
        locations = req_bool(values, "with_locations")
        where = {c: (x, y, z) for c, x, y, z in self.db.read("SELECT id, x, y, z FROM connector WHERE project_id = ?", (pid,))} \
            if locations else {}
        matrix: dict[str, dict[str, Any]] = {}
        for pre, post, _, _, _, cid in self.synapses(rows, "presynaptic_to", "postsynaptic_to", pid):
            if post not in columns:
                continue
            cell = matrix.setdefault(str(pre), {})
            if not locations:
                cell[str(post)] = cell.get(str(post), 0) + 1
                continue
            entry = cell.setdefault(str(post), {"count": 0, "locations": {}})
            entry["count"] += 1
            spot = entry["locations"].setdefault(str(cid), {"pos": list(where[cid]), "count": 0})
            spot["count"] += 1
        return matrix

    def edges(self, skids: list[int] | None, pid: int) -> dict[tuple[int, int], list[int]]:
        edges: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
        for pre, post, confidence, _, _, _ in self.synapses(skids, "presynaptic_to", "postsynaptic_to", pid):
            if skids is None or post in skids:
                edges[(pre, post)][max(1, min(5, confidence)) - 1] += 1
        return edges

    @route("/<int:pid>/skeletons/confidence-compartment-subgraph", drf=True, methods=("POST",))
    def confidence_subgraph(self, request: Request, user: int, pid: int) -> Any:
        skids = req_list(request.form, "skeleton_ids", int)
        threshold = int(request.form.get("confidence_threshold", 0) or 0)
        edges = []
        for (pre, post), counts in sorted(self.edges(skids, pid).items()):
            if threshold:
                counts = [c if i + 1 >= threshold else 0 for i, c in enumerate(counts)]
            if any(counts):
                edges.append([pre, post, counts])
        return {"edges": edges}

    @route("/<int:pid>/graph/dps")
    def directed_paths(self, request: Request, user: int, pid: int) -> Any:
        form = request.values
        sources, targets = req_list(form, "sources", int), req_list(form, "targets", int)
        hops = int(form.get("n_hops", 2))
        minimum = int(form.get("min_synapses", 1))
        forward: dict[int, set[int]] = defaultdict(set)
        backward: dict[int, set[int]] = defaultdict(set)
        for (pre, post), counts in self.edges(None, pid).items():
            if sum(counts) >= minimum and pre != post:
                forward[pre].add(post)
                backward[post].add(pre)

        def distances(starts: list[int], graph: dict[int, set[int]]) -> dict[int, int]:
            seen = {s: 0 for s in starts}
            frontier = list(starts)
            for step in range(1, hops + 1):
                frontier = [n for f in frontier for n in graph[f] if n not in seen]
                for n in frontier:
                    seen.setdefault(n, step)
            return seen

        there, back = distances(sources, forward), distances(targets, backward)
        return [n for n in there if n in back and there[n] + back[n] <= hops]

    @route("/<int:pid>/connector/list/many_to_many")
    def many_to_many(self, request: Request, user: int, pid: int) -> Any:
        form = request.values
        one, two = req_list(form, "skids1", int), set(req_list(form, "skids2", int))
        relation = form.get("relation", "presynaptic_to")
        partner = {"presynaptic_to": "postsynaptic_to", "postsynaptic_to": "presynaptic_to"}.get(relation, relation)
        synapses = [s for s in self.synapses(one, relation, partner, pid) if s[1] in two]
        ids = {n for s in synapses for n in (s[3], s[4])}
        nodes = {i: [x, y, z] for i, x, y, z in self.db.read(
            "SELECT id, x, y, z FROM treenode WHERE id IN (SELECT value FROM json_each(?))", (as_json_list(sorted(ids)),))}
        links = {(c, n): (conf, u) for c, n, conf, u in self.db.read(
            "SELECT connector_id, treenode_id, confidence, user_id FROM treenode_connector "
            "WHERE connector_id IN (SELECT value FROM json_each(?))", (as_json_list(sorted({s[5] for s in synapses})),))}
        where = {c: [x, y, z] for c, x, y, z in self.db.read(
            "SELECT id, x, y, z FROM connector WHERE id IN (SELECT value FROM json_each(?))",
            (as_json_list(sorted({s[5] for s in synapses})),))}
        return [[cid, where[cid], a, sa, *links[(cid, a)], nodes[a], b, sb, *links[(cid, b)], nodes[b]]
                for sa, sb, _, a, b, cid in synapses]
