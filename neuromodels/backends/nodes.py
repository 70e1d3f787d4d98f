"""Project-wide node queries of tracing servers (CATMAID): which skeleton holds a node, where
nodes are, who made and reviewed them, tags, nodes in a box or volume.

A capability in the style of :mod:`neuromodels.core.capabilities`, on the backend's Neuron
resource; :mod:`neuromodels.nodes` calls ``resource.require(NodeQueries)``, so a backend without
it raises :class:`~neuromodels.NotSupported` with the reason from its ``not_supported`` table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from ..core.capabilities import M, Resource, capability

if TYPE_CHECKING:
    import pandas as pd

    from ..connection import Connection


@capability
class NodeQueries(Resource[M]):
    """Reads of single nodes across the project (see :mod:`neuromodels.nodes`)."""

    operation = "query the nodes of"

    def skeletons(self, conn: "Connection", node_ids: Sequence[int]) -> "pd.Series":
        raise NotImplementedError

    def info(self, conn: "Connection", node_ids: Sequence[int]) -> "pd.DataFrame":
        raise NotImplementedError

    def locations(self, conn: "Connection", node_ids: Sequence[int]) -> "pd.DataFrame":
        raise NotImplementedError

    def find(self, conn: "Connection", tags: Sequence[str], neurons: Sequence[int], ids: Sequence[int]) -> "pd.DataFrame":
        raise NotImplementedError

    def details(self, conn: "Connection", node_ids: Sequence[int]) -> "pd.DataFrame":
        raise NotImplementedError

    def table(self, conn: "Connection", neurons: Sequence[int]) -> "pd.DataFrame":
        raise NotImplementedError

    def labels(self, conn: "Connection") -> "pd.DataFrame":
        raise NotImplementedError

    def tags(self, conn: "Connection", node_ids: Sequence[int], connectors: bool) -> dict[int, list[str]]:
        raise NotImplementedError

    def in_box(self, conn: "Connection", box: Any) -> "pd.DataFrame":
        raise NotImplementedError

    def in_volume(self, conn: "Connection", volume: Any) -> "pd.DataFrame":
        raise NotImplementedError
