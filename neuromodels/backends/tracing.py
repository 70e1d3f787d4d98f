"""Capabilities of servers that hold traced skeletons (CATMAID): connectivity and reviews.

Each is a mixin in the style of :mod:`neuromodels.core.capabilities`: the public model method
calls ``resource.require(Connectivity)``, so a backend without it raises
:class:`~neuromodels.NotSupported` with the reason from its ``not_supported`` table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from ..core.capabilities import M, Resource, capability

if TYPE_CHECKING:
    import pandas as pd

    from ..connection import Connection


@capability
class Connectivity(Resource[M]):
    """Synaptic partners and adjacency between neurons."""

    operation = "read the connectivity of"

    def partners(self, conn: "Connection", model: M, min_synapses: int) -> "pd.DataFrame":
        """One row per partner and direction: ``skeleton_id, direction, n_synapses, name, n_nodes``."""
        raise NotImplementedError

    def adjacency(self, conn: "Connection", models: Sequence[M]) -> "pd.DataFrame":
        """Square synapse counts between ``models`` (rows presynaptic, columns postsynaptic)."""
        raise NotImplementedError


@capability
class Reviews(Resource[M]):
    """Who reviewed which node, and marking nodes reviewed."""

    operation = "read or write the reviews of"

    def reviews(self, conn: "Connection", model: M) -> "pd.DataFrame":
        """One row per reviewed node and reviewer: ``node_id, reviewer_id, review_time``."""
        raise NotImplementedError

    def mark_reviewed(self, conn: "Connection", model: M, node_ids: Sequence[int]) -> "pd.DataFrame":
        """Mark nodes reviewed by the connection's user; the new review rows."""
        raise NotImplementedError

