"""Capabilities of servers that keep the history and the authorship of traced neurons (CATMAID):
change history, past states, import origins, contributions, the project's activity.

Each is a mixin in the style of :mod:`neuromodels.core.capabilities`: the public methods (on
``Neuron``, ``NeuronCollection`` and ``Project``, from :mod:`neuromodels.provenance`) call
``resource.require(...)``, so a backend without it raises :class:`~neuromodels.NotSupported`
with the reason from its ``not_supported`` table.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Sequence

from ..core.capabilities import M, Resource, capability

if TYPE_CHECKING:
    import pandas as pd

    from ..connection import Connection


@capability
class NeuronHistory(Resource[M]):
    """Skeleton change history, a neuron as it was at a past time, import origins."""

    operation = "read the history of"

    def history(self, conn: "Connection", skeleton_ids: Sequence[int]) -> "pd.DataFrame":
        """One row per chain of skeletons that nodes went through (merges and splits)."""
        raise NotImplementedError

    def at(self, conn: "Connection", model: M, when: dt.datetime) -> M:
        """The neuron as it was at ``when`` (UTC), as a new model that is not saved."""
        raise NotImplementedError

    def origins(self, conn: "Connection", skeleton_ids: Sequence[int]) -> "pd.DataFrame":
        """Where imported skeletons came from: source server, project and id."""
        raise NotImplementedError

    def import_info(self, conn: "Connection", skeleton_ids: Sequence[int], nodes: bool) -> "pd.DataFrame":
        """How many of each skeleton's nodes came in by an import (and which, with ``nodes``)."""
        raise NotImplementedError


@capability
class NeuronStatistics(Resource[M]):
    """Who contributed what to neurons, the time they invested, who annotated them when."""

    operation = "read the contributions to"

    def contributors(self, conn: "Connection", skeleton_ids: Sequence[int], per_neuron: bool) -> "pd.DataFrame":
        raise NotImplementedError

    def time_invested(self, conn: "Connection", skeleton_ids: Sequence[int], interval: int,
                      minimum_actions: int) -> "pd.DataFrame":
        raise NotImplementedError

    def annotation_details(self, conn: "Connection", skeleton_ids: Sequence[int]) -> "pd.DataFrame":
        raise NotImplementedError

    def sampler_counts(self, conn: "Connection", skeleton_ids: Sequence[int]) -> "pd.Series":
        raise NotImplementedError


@capability
class ProjectActivity(Resource[M]):
    """A project's operation log, transactions, per-user activity and annotation graph."""

    operation = "read the activity of"

    def logs(self, conn: "Connection", operations: Sequence[str], user: Any, search: str | None,
             limit: int | None) -> "pd.DataFrame":
        raise NotImplementedError

    def transactions(self, conn: "Connection", limit: int | None) -> "pd.DataFrame":
        raise NotImplementedError

    def user_history(self, conn: "Connection", start: dt.date, end: dt.date) -> "pd.DataFrame":
        raise NotImplementedError

    def entity_graph(self, conn: "Connection", types: Sequence[str], annotated_with: Any) -> "pd.DataFrame":
        raise NotImplementedError
