"""CATMAID history and provenance of skeletons: change history, the time machine (a neuron as it
was at a past time, from compact-detail ``with_history``), import origins and import info."""

from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ...connection import Connection
from ...formats.times import parse_iso
from ...core.errors import ProtocolError
from ...models import Neuron
from ..history import NeuronHistory
from . import api
from .compact import CONNECTOR_COLUMNS, NODE_COLUMNS
from .converter import form_list

RELATIONS = {0: "presynaptic_to", 1: "postsynaptic_to", 2: "gapjunction_with", 3: "desmosome_with"}


def moment(value: Any) -> dt.datetime:
    """A CATMAID time (ISO with ``T`` or PostgreSQL's space, ``Z`` or ``+00:00``) -> an aware datetime."""
    try:
        return parse_iso(value)
    except ValueError:
        raise ProtocolError(f"CATMAID sent {value!r} where a time was expected") from None


def stamp(value: Any) -> float:
    """A CATMAID time -> epoch seconds."""
    return moment(value).timestamp()


def utc(values: Any) -> pd.Series:
    """CATMAID times -> a UTC datetime Series (to the microsecond)."""
    return pd.Series(pd.to_datetime([moment(v) for v in values], utc=True), dtype="datetime64[ns, UTC]")


def history_frame(rows: Any) -> pd.DataFrame:
    """change-history rows ``[[skeleton ids, oldest first], n_nodes, present, n_live]``."""
    if not isinstance(rows, list):
        raise ProtocolError(f"skeletons/change-history answered {type(rows).__name__}, not a list")
    try:
        records = [{"skeleton_ids": [int(s) for s in r[0]], "n_nodes": int(r[1]), "changed": int(r[2]) >= 0,
                    "n_live": int(r[3])} for r in rows]
    except (TypeError, ValueError, IndexError) as e:
        raise ProtocolError(f"skeletons/change-history row not understood: {e}") from None
    return pd.DataFrame(records, columns=["skeleton_ids", "n_nodes", "changed", "n_live"])


def _valid(start: float, end: float | None, t: float) -> bool:
    return start <= t and (end is None or t < end)


def nodes_at(rows: Sequence[Sequence[Any]], t: float) -> pd.DataFrame:
    """Node rows with history ``[id, parent, user, x, y, z, radius, confidence, a, b, ordering]``:
    live rows (ordering 1) carry (edition, creation) and are valid from their edition time;
    past versions (2) carry their validity (from, to). Versions of nodes while they belonged to
    a skeleton merged in later (3) are left out: then they were not part of this neuron."""
    chosen: dict[int, Sequence[Any]] = {}
    for r in rows:
        if len(r) < 11:
            raise ProtocolError("compact-detail with_history sent a node row without its validity")
        if int(r[10]) == 3:
            continue
        live = int(r[10]) == 1
        if (live and _valid(stamp(r[8]), None, t)) or (not live and _valid(stamp(r[8]), stamp(r[9]), t)):
            chosen[int(r[0])] = r
    ids = set(chosen)
    table = pd.DataFrame(
        [[int(r[0]), int(r[1]) if r[1] is not None and int(r[1]) in ids else -1, int(r[2]), float(r[3]), float(r[4]),
          float(r[5]), float(r[6]), int(r[7])] for _, r in sorted(chosen.items())],
        columns=NODE_COLUMNS)
    return table.astype({"node_id": "int64", "parent_id": "int64", "creator_id": "int64", "confidence": "int64"})


def links_at(rows: Sequence[Sequence[Any]], nodes: set[int], t: float) -> pd.DataFrame:
    """Link rows ``[node, connector, relation, x, y, z, a, b]``: a live link carries (edition,
    creation), a past one its validity (from, to), so a < b means a past version."""
    kept = []
    for r in rows:
        a, b = stamp(r[6]), stamp(r[7])
        valid = _valid(a, b, t) if a < b else b <= t
        if valid and int(r[0]) in nodes:
            kept.append([int(r[0]), int(r[1]), RELATIONS.get(int(r[2]), str(r[2])), float(r[3]), float(r[4]), float(r[5])])
    frame = pd.DataFrame(kept, columns=CONNECTOR_COLUMNS) if kept else pd.DataFrame(
        {c: pd.Series(dtype=d) for c, d in zip(CONNECTOR_COLUMNS, ["int64", "int64", object, float, float, float])})
    return frame.drop_duplicates().reset_index(drop=True)


class CatmaidNeuronHistory(NeuronHistory[Neuron]):
    def history(self, conn: Connection, skeleton_ids: Sequence[int]) -> pd.DataFrame:
        if not skeleton_ids:  # no skeleton ids means every skeleton of the project to CATMAID
            return history_frame([])
        query: dict[str, Any] = dict(form_list("skeleton_ids", skeleton_ids))
        return history_frame(api.get(conn, "/skeletons/change-history", **query))

    def at(self, conn: Connection, model: Neuron, when: dt.datetime) -> Neuron:
        body = api.get(conn, f"/skeletons/{int(model.id)}/compact-detail", with_history="true",
                       with_merge_history="true", with_connectors="true", with_tags="true")
        if not isinstance(body, list) or len(body) < 3:
            raise ProtocolError("compact-detail with_history did not answer [nodes, connectors, tags, ...]")
        t = when.timestamp()
        nodes = nodes_at(body[0], t)
        live = set(nodes["node_id"].tolist())
        tags: dict[str, list[int]] = {}
        for tag, entries in (body[2] or {}).items():
            if not all(isinstance(e, list) and len(e) >= 2 for e in entries):
                raise ProtocolError("compact-detail with_history sent tags without their times")
            kept = sorted({int(e[0]) for e in entries if int(e[0]) in live and stamp(e[1]) <= t})
            if kept:
                tags[tag] = kept
        past = Neuron(id=model.id, neuron_id=model.neuron_id, name=model.name, nodes=nodes,
                      connectors=links_at(body[1] or [], live, t), tags=tags,
                      annotations=list(model.annotations) if model.annotations is not None else None)
        past.extra["at"] = when
        return past

    def origins(self, conn: Connection, skeleton_ids: Sequence[int]) -> pd.DataFrame:
        body = {} if not skeleton_ids else api.read(conn, "/skeletons/origin", form_list("skeleton_ids", skeleton_ids))
        sources = body.get("data_sources") or {}
        rows = []
        for skid, origin in sorted((body.get("origins") or {}).items(), key=lambda p: int(p[0])):
            source = sources.get(str(origin.get("data_source_id"))) or {}
            rows.append({"skeleton_id": int(skid), "source_id": int(origin["source_id"]), "source_url": source.get("url"),
                         "source_project": source.get("source_project_id"), "source_name": source.get("name")})
        return pd.DataFrame(rows, columns=["skeleton_id", "source_id", "source_url", "source_project", "source_name"])

    def import_info(self, conn: Connection, skeleton_ids: Sequence[int], nodes: bool) -> pd.DataFrame:
        form = form_list("skeleton_ids", skeleton_ids) + [("with_treenodes", "true" if nodes else "false")]
        body = api.read(conn, "/skeletons/import-info", form) if skeleton_ids else {}
        columns = ["skeleton_id", "n_imported_nodes"] + (["imported_nodes"] if nodes else [])
        rows = []
        for skid in skeleton_ids:
            info = body.get(str(skid))
            if info is None:
                continue
            row: dict[str, Any] = {"skeleton_id": int(skid), "n_imported_nodes": int(info.get("n_imported_treenodes", 0))}
            if nodes:
                row["imported_nodes"] = np.asarray(sorted(int(n) for n in info.get("imported_treenodes") or []), dtype="int64")
            rows.append(row)
        return pd.DataFrame(rows, columns=columns)
