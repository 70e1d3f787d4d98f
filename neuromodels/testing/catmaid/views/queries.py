"""Queries shared by several views: meta-annotation expansion (``sub_annotated_with``) and the
skeleton list's filters (``skeletons/?created_by=&reviewed_by=&from=&to=&nodecount_gt=``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Mapping

from ...harness import Database
from ..wire import as_json_list


def expand_sub_annotations(db: Database, ids: Iterable[int], sub: set[int]) -> list[int]:
    """``ids`` plus, for each of them named in ``sub``, every annotation it annotates directly or
    through further annotations (CATMAID follows meta-annotations transitively)."""
    result = list(dict.fromkeys(int(i) for i in ids))
    frontier = [i for i in result if i in sub]
    seen = set(result)
    while frontier:
        rows = db.read(
            "SELECT DISTINCT aw.entity_id FROM annotated_with aw JOIN class_instance c ON c.id = aw.entity_id "
            "WHERE c.kind = 'annotation' AND aw.annotation_id IN (SELECT value FROM json_each(?))", (as_json_list(frontier),))
        frontier = [r[0] for r in rows if r[0] not in seen]
        seen.update(frontier)
        result += frontier
    return result


def _day(text: str) -> str:
    """``YYYYMMDD`` (CATMAID's form for these parameters) -> an ISO date."""
    return dt.datetime.strptime(text, "%Y%m%d").date().isoformat()


def list_skeletons(db: Database, pid: int, args: Mapping[str, str]) -> list[int]:
    """Skeletons with nodes created by a user, or reviewed by one, in a date window, with more
    nodes than a threshold (criteria AND-ed; creator and reviewer exclude each other)."""
    created_by, reviewed_by = args.get("created_by"), args.get("reviewed_by")
    start = _day(args["from"]) if args.get("from") else None
    end = (dt.date.fromisoformat(_day(args["to"])) + dt.timedelta(days=1)).isoformat() if args.get("to") else None
    threshold = int(args.get("nodecount_gt") or 0)
    if created_by and reviewed_by:
        raise ValueError("Please specify node creator or node reviewer")
    params: list[Any] = [pid]
    if reviewed_by:
        sql = "SELECT DISTINCT r.skeleton_id FROM review r WHERE r.project_id = ? AND r.reviewer_id = ?"
        params.append(int(reviewed_by))
        column = "r.review_time"
    else:
        sql = "SELECT DISTINCT t.skeleton_id FROM treenode t WHERE t.project_id = ?"
        column = "t.creation_time"
        if created_by:
            sql += " AND t.user_id = ?"
            params.append(int(created_by))
    if created_by or reviewed_by:  # the dates only count with a user, as in CATMAID
        if start:
            sql += f" AND {column} >= ?"
            params.append(start)
        if end:
            sql += f" AND {column} < ?"
            params.append(end)
    if threshold > 0:
        sql = (f"SELECT q.skeleton_id FROM ({sql}) q JOIN treenode t ON t.skeleton_id = q.skeleton_id "
               "GROUP BY q.skeleton_id HAVING COUNT(*) > ?")
        params.append(threshold)
    return [int(r[0]) for r in db.read(sql, params)]
