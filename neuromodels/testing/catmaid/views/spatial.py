"""Spatial queries: connectors and skeletons in a bounding box, volume intersection and innervation."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from werkzeug.wrappers import Request

from ..base import CatmaidBase, route
from ..store import iso_ms, parse_iso
from ..wire import Http404, as_json_list, req_bool, req_list


def edges_in_box(a: np.ndarray, b: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Which segments a[i]-b[i] intersect the box [lo, hi] (slab test)."""
    d = b - a
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (lo - a) / d
        t2 = (hi - a) / d
    flat = d == 0
    inside = (a >= lo) & (a <= hi)
    tmin = np.where(flat, np.where(inside, -np.inf, np.inf), np.minimum(t1, t2))
    tmax = np.where(flat, np.where(inside, np.inf, -np.inf), np.maximum(t1, t2))
    enter = np.max(tmin, axis=1)
    leave = np.min(tmax, axis=1)
    hit: np.ndarray = (enter <= leave) & (leave >= 0) & (enter <= 1)
    return hit


class SpatialViews(CatmaidBase):
    def box(self, values: Any, pid: int) -> tuple[np.ndarray, np.ndarray]:
        if values.get("volume_id"):
            rows = self.db.read("SELECT vertices FROM volume WHERE id = ? AND project_id = ?", (int(values["volume_id"]), pid))
            if not rows:
                raise Http404("No volume")
            v = np.array(json.loads(rows[0][0]), dtype=float)
            return v.min(axis=0), v.max(axis=0)
        lo = np.array([float(values[f"min{a}"]) for a in "xyz"])
        hi = np.array([float(values[f"max{a}"]) for a in "xyz"])
        return lo, hi

    def skeletons_in(self, pid: int, lo: np.ndarray, hi: np.ndarray, skids: list[int] | None) -> dict[int, tuple[int, float]]:
        """Skeletons with a node or an edge in the box -> (node count, cable length)."""
        sql = ("SELECT t.skeleton_id, t.x, t.y, t.z, COALESCE(p.x, t.x), COALESCE(p.y, t.y), COALESCE(p.z, t.z) "
               "FROM treenode t LEFT JOIN treenode p ON p.id = t.parent_id WHERE t.project_id = ?")
        params: list[Any] = [pid]
        if skids:
            sql += " AND t.skeleton_id IN (SELECT value FROM json_each(?))"
            params.append(as_json_list(skids))
        rows = self.db.read(sql, params)
        if not rows:
            return {}
        data = np.array(rows, dtype=float)
        hits = edges_in_box(data[:, 1:4], data[:, 4:7], lo, hi)
        found = sorted({int(s) for s in data[hits, 0]})
        result = {}
        for skid in found:
            mine = data[data[:, 0] == skid]
            result[skid] = (len(mine), float(np.linalg.norm(mine[:, 1:4] - mine[:, 4:7], axis=1).sum()))
        return result

    @route("/<int:pid>/skeletons/in-bounding-box", drf=True, methods=("GET", "POST"))
    def skeletons_in_box(self, request: Request, user: int, pid: int) -> Any:
        values = request.values
        lo, hi = self.box(values, pid)
        found = self.skeletons_in(pid, lo, hi, req_list(values, "skeleton_ids", int) or None)
        min_nodes, min_cable = int(values.get("min_nodes", 0) or 0), float(values.get("min_cable", 0) or 0)
        skids = [s for s, (n, cable) in found.items() if n >= min_nodes and cable >= min_cable]
        limit = int(values.get("limit", 0) or 0)
        return skids[:limit] if limit else skids

    @route("/<int:pid>/connectors/in-bounding-box", drf=True, methods=("GET", "POST"))
    def connectors_in_box(self, request: Request, user: int, pid: int) -> Any:
        values = request.values
        lo, hi = self.box(values, pid)
        sql = ("SELECT c.id, c.x, c.y, c.z FROM connector c WHERE c.project_id = ? AND c.x BETWEEN ? AND ? "
               "AND c.y BETWEEN ? AND ? AND c.z BETWEEN ? AND ?")
        params: list[Any] = [pid, lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]]
        skids = req_list(values, "skeleton_ids", int)
        if skids:
            sql += " AND c.id IN (SELECT connector_id FROM treenode_connector WHERE skeleton_id IN (SELECT value FROM json_each(?)))"
            params.append(as_json_list(skids))
        if req_bool(values, "only_linked"):
            sql += " AND c.id IN (SELECT connector_id FROM treenode_connector)"
        limit = int(values.get("limit", 0) or 0)
        rows = self.db.read(sql + " ORDER BY c.id" + (f" LIMIT {limit}" if limit else ""), params)
        locations = req_bool(values, "with_locations")
        if not req_bool(values, "with_links"):
            return [[r[0], r[1], r[2], r[3]] if locations else [r[0]] for r in rows]
        where = {r[0]: r[1:] for r in rows}
        result = []
        linked: set[int] = set()
        for cid, skid, conf, uid, node, ct, et, rel in self.db.read(
                "SELECT connector_id, skeleton_id, confidence, user_id, treenode_id, creation_time, edition_time, relation_id "
                "FROM treenode_connector WHERE connector_id IN (SELECT value FROM json_each(?)) ORDER BY connector_id, id",
                (as_json_list(list(where)),)):
            at = list(where[cid]) if locations else []
            result.append([cid, *at, skid, conf, uid, node, iso_ms(parse_iso(ct)), iso_ms(parse_iso(et)), rel])
            linked.add(cid)
        # CATMAID left-joins the links: a connector without any is one row of nulls after it.
        result += [[cid, *(list(at) if locations else []), *[None] * 7] for cid, at in where.items() if cid not in linked]
        result.sort(key=lambda row: row[0])
        return result

    @route("/<int:pid>/volumes/<int:vid>/intersect", drf=True, methods=("GET",))
    def volume_intersect(self, request: Request, user: int, pid: int, vid: int) -> Any:
        lo, hi = self.box({"volume_id": vid}, pid)
        point = np.array([float(request.args[a]) for a in "xyz"])
        return {"intersects": bool(np.all(point >= lo) and np.all(point <= hi))}

    @route("/<int:pid>/volumes/skeleton-innervations", drf=True, methods=("POST",))
    def innervations(self, request: Request, user: int, pid: int) -> Any:
        form = request.form
        skids = req_list(form, "skeleton_ids", int)
        if not skids:
            raise ValueError("Need skeleton IDs")
        min_nodes, min_cable = int(form.get("min_nodes", 0) or 0), float(form.get("min_cable", 0) or 0)
        hits: dict[int, list[int]] = {}
        for (vid,) in self.db.read("SELECT id FROM volume WHERE project_id = ? ORDER BY id", (pid,)):
            lo, hi = self.box({"volume_id": vid}, pid)
            for skid, (n, cable) in self.skeletons_in(pid, lo, hi, skids).items():
                if n >= min_nodes and cable >= min_cable:
                    hits.setdefault(skid, []).append(vid)
        return [{"skeleton_id": s, "volume_ids": hits[s]} for s in skids if s in hits]
