"""A CATMAID neuron's partners, reviews and DataFrame rows (capabilities of neurons)."""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from ...connection import Connection
from ...formats.swc import cable_length
from ...core.backend import check_id
from ...models import Neuron
from ..tracing import Connectivity, Reviews
from . import api, converter as cv, replies
from .converter import form_list


class NeuronCircuitsAndTables(Connectivity[Neuron], Reviews[Neuron]):
    # connectivity and reviews ----------------------------------------------------------------------
    def partners(self, conn: Connection, model: Neuron, min_synapses: int) -> pd.DataFrame:
        form = form_list("source_skeleton_ids", [model.id]) + [("boolean_op", "OR"), ("with_nodes", "false")]
        table = api.read(conn, "/skeletons/connectivity", form, lambda body: cv.partners_frame(body, int(model.id)))
        table = table[table["n_synapses"] >= min_synapses].reset_index(drop=True)
        names = api.neuron_names(conn, table["skeleton_id"].tolist())
        table["name"] = [names.get(int(s)) for s in table["skeleton_id"]]
        result: pd.DataFrame = table[["skeleton_id", "direction", "n_synapses", "name", "n_nodes"]]
        return result

    def adjacency(self, conn: Connection, models: Sequence[Neuron]) -> pd.DataFrame:
        skids = list(dict.fromkeys(int(m.id) for m in models))
        form = form_list("rows", skids) + form_list("columns", skids) + [("with_locations", "false")]
        frame: pd.DataFrame = api.read(conn, "/skeleton/connectivity_matrix", form,
                                       lambda body: cv.adjacency_frame(body, skids))
        return frame

    def reviews(self, conn: Connection, model: Neuron) -> pd.DataFrame:
        frame: pd.DataFrame = api.get(conn, f"/skeleton/{int(model.id)}/reviewed-nodes", shape=cv.reviews_frame)
        return frame

    def mark_reviewed(self, conn: Connection, model: Neuron, node_ids: Sequence[int]) -> pd.DataFrame:
        nodes = [check_id(n, int, "node id") for n in node_ids]
        answers = conn.transport.map_values(lambda n: api.write(conn, f"/node/{n}/reviewed", shape=replies.reviewed), nodes,
                                            desc="marking reviewed")
        return cv.reviews_frame({str(n): [[a["reviewer_id"], a["review_time"]]] for n, a in zip(nodes, answers)})

    # tables ---------------------------------------------------------------------------------------
    def rows(self, conn: Connection | None, models: Sequence[Neuron]) -> list[dict[str, Any]]:
        """``id`` (skeleton id), ``neuron_id``, ``name``, ``annotations``; when any member has
        its nodes loaded also ``n_nodes``, ``n_connectors``, ``cable_length`` (in the
        project's units, nm) and ``soma`` (the node tagged "soma", else None)."""
        loaded = any(m.nodes is not None for m in models)
        result = []
        for m in models:
            row: dict[str, Any] = {"id": m.id, "neuron_id": m.neuron_id, "name": m.name,
                                   "annotations": list(m.annotations or [])}
            if loaded:
                has = m.nodes is not None
                row["n_nodes"] = len(m.nodes) if m.nodes is not None else None
                row["n_connectors"] = len(m.connectors) if m.connectors is not None else None
                row["cable_length"] = cable_length(m.nodes) if has else None
                soma = (m.tags or {}).get("soma") or []
                row["soma"] = int(soma[0]) if soma else None
            result.append(row)
        return result
