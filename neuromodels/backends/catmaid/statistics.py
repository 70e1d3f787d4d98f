"""CATMAID authorship of skeletons: contributor statistics, time invested (estimated from the
times of nodes, reviews and links as pymaid does), annotation details and sampler counts."""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from ...connection import Connection
from ...core.errors import ProtocolError
from ...models import Neuron
from ..history import NeuronStatistics
from . import api
from .api import chunks, pid
from .compact import neurons_from_compact_many
from .converter import form_list
from .provenance import stamp, utc

CONTRIBUTION_KEYS = {"nodes": "node_contributors", "presynapses": "pre_contributors",
                     "postsynapses": "post_contributors", "reviews": "review_contributors"}
#: The relations whose links count as a user's actions in ``time_invested``.
LINK_RELATIONS = ("presynaptic_to", "postsynaptic_to", "gapjunction_with", "abutting", "attached_to")


def contributor_rows(body: Mapping[str, Any], skeleton_id: int | None = None) -> list[dict[str, Any]]:
    if not isinstance(body, Mapping):
        raise ProtocolError(f"contributor_statistics_multiple answered {type(body).__name__}, not an object")
    users = sorted({int(u) for key in CONTRIBUTION_KEYS.values() for u in (body.get(key) or {})})
    rows = []
    for user in users:
        row: dict[str, Any] = {} if skeleton_id is None else {"skeleton_id": skeleton_id}
        row["user_id"] = user
        for column, key in CONTRIBUTION_KEYS.items():
            row[column] = int((body.get(key) or {}).get(str(user), 0))
        rows.append(row)
    return rows


def minutes(actions: Iterable[tuple[int, str, float]], interval: int, minimum: int) -> pd.DataFrame:
    """Per user: ``interval``-minute bins holding at least ``minimum`` actions, times the
    interval, for all actions (``total``) and per kind."""
    frame = pd.DataFrame(list(actions), columns=["user_id", "kind", "time"])
    kinds = ["creation", "edition", "review"]
    columns = ["user_id", "total", *kinds]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame["bin"] = (frame["time"] // (interval * 60)).astype("int64")

    def busy(part: pd.DataFrame) -> pd.Series:
        counts = part.groupby(["user_id", "bin"]).size()
        kept: pd.Series = (counts[counts >= minimum].groupby(level="user_id").size() * interval)
        return kept

    result = pd.DataFrame({"total": busy(frame)})
    for kind in kinds:
        result[kind] = busy(frame[frame["kind"] == kind])
    result = result.reindex(sorted(frame["user_id"].unique())).fillna(0).astype("int64")
    result.index.name = "user_id"
    return result.reset_index()[columns]


class CatmaidNeuronStatistics(NeuronStatistics[Neuron]):
    def contributors(self, conn: Connection, skeleton_ids: Sequence[int], per_neuron: bool) -> pd.DataFrame:
        def ask(skids: Sequence[int]) -> Any:
            return api.read(conn, "/skeleton/contributor_statistics_multiple", form_list("skids", skids))

        columns = ["user_id", *CONTRIBUTION_KEYS]
        if not skeleton_ids:
            return pd.DataFrame(columns=(["skeleton_id"] if per_neuron else []) + columns)
        if not per_neuron:
            return pd.DataFrame(contributor_rows(ask(skeleton_ids)), columns=columns)
        bodies = conn.transport.map_values(lambda s: ask([s]), list(skeleton_ids), desc="contributors")
        rows = [row for skid, body in zip(skeleton_ids, bodies) for row in contributor_rows(body, int(skid))]
        return pd.DataFrame(rows, columns=["skeleton_id", *columns])

    def time_invested(self, conn: Connection, skeleton_ids: Sequence[int], interval: int,
                      minimum_actions: int) -> pd.DataFrame:
        if not skeleton_ids:
            return minutes([], interval, minimum_actions)
        form = form_list("skeleton_ids", skeleton_ids) + [("with_connectors", "false"), ("with_tags", "false")]
        found = conn.transport.request("POST", f"/{pid(conn)}/skeletons/compact-detail", data=form, read=True,
                                       parse=lambda r: neurons_from_compact_many(r.content))
        node_ids = [int(n) for neuron in found.values() if neuron.nodes is not None for n in neuron.nodes["node_id"]]
        actions: list[tuple[int, str, float]] = []
        parts = conn.transport.map_values(
            lambda part: api.read(conn, "/node/user-info", form_list("node_ids", part)), list(chunks(node_ids, 2000)),
            desc="node details")
        for body in parts:
            for info in body.values():
                created, edited = stamp(info["creation_time"]), stamp(info["edition_time"])
                actions.append((int(info["user"]), "creation", created))
                if not math.isclose(edited, created):
                    actions.append((int(info.get("editor") or info["user"]), "edition", edited))
                for reviewer, when in zip(info.get("reviewers") or [], info.get("review_times") or []):
                    actions.append((int(reviewer), "review", stamp(when)))
        query: dict[str, Any] = dict(form_list("skeleton_ids", skeleton_ids))
        for body in conn.transport.map_values(
                lambda rel: api.get(conn, "/connectors/links/", relation_type=rel, **query), list(LINK_RELATIONS)):
            for link in body.get("links") or []:  # [skid, connector, x, y, z, confidence, user, node, created, edited]
                actions.append((int(link[6]), "creation", stamp(link[8])))
        return minutes(actions, interval, minimum_actions)

    def annotation_details(self, conn: Connection, skeleton_ids: Sequence[int]) -> pd.DataFrame:
        neurons = api.require_neuron_ids(conn, skeleton_ids)
        bodies = conn.transport.map_values(
            lambda s: api.read(conn, "/annotations/table-list", {"neuron_id": str(neurons[s])}), list(skeleton_ids),
            desc="annotation details")
        rows = []
        for skid, body in zip(skeleton_ids, bodies):
            for name, time, _uses, user, aid in body.get("data", body.get("aaData")) or []:
                rows.append({"skeleton_id": int(skid), "annotation": name, "annotation_id": int(aid),
                             "user_id": int(user), "time": time})
        frame = pd.DataFrame(rows, columns=["skeleton_id", "annotation", "annotation_id", "user_id", "time"])
        frame["time"] = utc(frame["time"]) if len(frame) else pd.Series(dtype="datetime64[ns, UTC]")
        return frame

    def sampler_counts(self, conn: Connection, skeleton_ids: Sequence[int]) -> pd.Series:
        body = api.read(conn, "/skeletons/sampler-count", form_list("skeleton_ids", skeleton_ids)) if skeleton_ids else {}
        counts: pd.Series = pd.Series([int(body.get(str(s), 0)) for s in skeleton_ids], dtype="int64",
                                      index=pd.Index(list(skeleton_ids), name="skeleton_id"), name="n_samplers")
        return counts
