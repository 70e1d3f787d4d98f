"""CATMAID's skeleton join, split and reroot (one transaction each on the server).

The node must belong to the neuron named: checked against the server before the write, so a
node id of another skeleton is a ``ValueError`` and nothing is sent. The states sent are what
CATMAID's web client sends (this CATMAID version does not check them for these three).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd

from ...connection import Connection
from ...core.backend import required
from ...core.errors import NotFound
from ...core.model import SaveState
from ...models import Neuron
from ..proofreading import Proofreading
from . import api, edits
from .common import _check_neuron_name


def _times(conn: Connection, nodes: list[int]) -> dict[int, dict[str, Any]]:
    """``node/user-info`` of ``nodes`` (edition times), keyed by node id."""
    body = api.read(conn, "/node/user-info", [(f"node_ids[{k}]", str(n)) for k, n in enumerate(nodes)])
    return {int(k): v for k, v in body.items()}


def _skeletons_of(conn: Connection, nodes: list[int]) -> dict[int, int]:
    """Node id -> skeleton id in one request (``treenodes/compact-detail`` by node id)."""
    rows = api.read(conn, "/treenodes/compact-detail", [(f"treenode_ids[{k}]", str(n)) for k, n in enumerate(nodes)])
    return {int(r[0]): int(r[7]) for r in rows}


def _require_in(conn: Connection, pairs: list[tuple[int, Any]]) -> None:
    """Each (node, neuron) pair: the node belongs to that neuron's skeleton, on the server."""
    found = _skeletons_of(conn, [n for n, _ in pairs])
    for node, neuron in pairs:
        if node not in found:
            raise NotFound(f"no node {node} on the server", missing=[node])
        if found[node] != int(neuron.id):
            raise ValueError(f"node {node} belongs to skeleton {found[node]}, not to neuron {neuron.id}")


def _load(resource: CatmaidProofreading, conn: Connection, skid: int) -> Neuron:
    """One neuron with its nodes (the neuron resource's bulk load)."""
    return resource.load(conn, [skid])[skid]


def _reload(conn: Connection, resource: CatmaidProofreading, model: Neuron) -> None:
    fresh = _load(resource, conn, int(model.id))
    model.assign(fresh)
    model.mark_clean()
    model.bind(conn)


class CatmaidProofreading(Proofreading[Neuron]):
    """Mixed into :class:`~neuromodels.backends.catmaid.neurons.CatmaidNeuron`, which provides these:"""

    if TYPE_CHECKING:
        def load(self, conn: Connection, skids: Sequence[int], *, nodes: bool = True) -> dict[int, Neuron]: ...

    def join(self, conn: Connection, model: Neuron, other: Neuron, at: int, other_at: int | None) -> None:
        if other_at is None:
            other_at = self._nearest(conn, other, at)
        _require_in(conn, [(at, model), (other_at, other)])
        times = _times(conn, [at, other_at])
        state = [[at, times[at]["edition_time"]], [other_at, times[other_at]["edition_time"]]]
        api.write(conn, "/skeleton/join", {"from_id": str(at), "to_id": str(other_at), "state": api.state(state)})
        _reload(conn, self, model)
        other.set_state(SaveState.DELETED)

    def _nearest(self, conn: Connection, other: Neuron, at: int) -> int:
        """The node of ``other`` nearest to node ``at`` (both read from the server)."""
        where = api.read(conn, "/nodes/location", [("node_ids[0]", str(at))])
        if not where:
            raise NotFound(f"no node {at} on the server", missing=[at])
        nodes = required(other.nodes if other.nodes is not None else _load(self, conn, int(other.id)).nodes, "its nodes")
        xyz = nodes[["x", "y", "z"]].to_numpy(dtype=float)
        distance = np.linalg.norm(xyz - np.asarray(where[0][1:4], dtype=float), axis=1)
        return int(nodes["node_id"].iloc[int(np.argmin(distance))])

    def split(self, conn: Connection, model: Neuron, at: int, name: str | None) -> Neuron:
        if name is not None:
            _check_neuron_name(name)
        _require_in(conn, [(at, model)])
        rows = api.read(conn, "/treenodes/compact-detail", [("treenode_ids[0]", str(at))])
        if rows[0][1] is None:
            raise ValueError(f"node {at} is the root of neuron {model.id}; a split needs a node below the root")
        body = api.write(conn, "/skeleton/split", {"treenode_id": str(at), "state": api.state(None)})
        new_skid = int(body["new_skeleton_id"])
        part = _load(self, conn, new_skid)
        if name is not None:
            api.write(conn, f"/neurons/{part.neuron_id}/rename", {"name": name})
            part.name = name
        part.mark_clean()
        part.bind(conn)
        _reload(conn, self, model)
        return part

    def reroot(self, conn: Connection, model: Neuron, at: int) -> None:
        if model.nodes is None or int(at) not in set(model.nodes["node_id"].astype("int64").tolist()):
            _reload(conn, self, model)
        nodes: pd.DataFrame = model.original("nodes")
        if int(at) not in set(nodes["node_id"].astype("int64").tolist()):
            raise ValueError(f"node {at} is not a node of neuron {model.id}")
        if int(nodes.loc[nodes["node_id"] == at, "parent_id"].iloc[0]) != -1:
            edits._reroot(conn, model, nodes, int(at), int(model.id))
        _reload(conn, self, model)

