"""History, provenance and authorship methods of ``Neuron``, ``NeuronCollection`` and ``Project``
(CATMAID; other backends raise :class:`~neuromodels.NotSupported` with the reason).

They are mixins so that :mod:`neuromodels.models` keeps only the models' fields; each calls a
capability of :mod:`neuromodels.backends.history` on the backend's resource.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Sequence

from .backends.history import NeuronHistory, NeuronStatistics, ProjectActivity
from .formats.times import parse_iso

if TYPE_CHECKING:
    import pandas as pd

    from .connection import Connection


def when(value: Any) -> dt.datetime:
    """A point in time: a datetime (naive means UTC), a date (its start, UTC) or an ISO string."""
    if isinstance(value, str):
        try:
            value = parse_iso(value)
        except ValueError:
            raise ValueError(f"a time is a datetime, a date or an ISO string such as '2024-05-01', not {value!r}") from None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    raise TypeError(f"a time is a datetime, a date or an ISO string, not {type(value).__name__}")


def day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return when(value).date()


def _positive(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be an int >= 1, not {value!r}")
    return value


class NeuronProvenanceMixin:
    """``history()`` and ``at(time)`` on a neuron."""

    __slots__ = ()

    def history(self, *, connection: "Connection | None" = None) -> "pd.DataFrame":
        """How this skeleton's nodes moved between skeletons (CATMAID's change history): one row
        per chain, ``skeleton_ids`` oldest first, ``n_nodes`` that went that way, ``changed``
        (False: never edited since created), ``n_live`` (how many still exist).

        >>> n = Neuron.from_swc("1 1 0 0 0 1 -1\\n2 3 10 0 0 1 1\\n", name="unchanged").save()
        >>> n.history()[["skeleton_ids", "n_nodes", "changed"]].values.tolist() == [[[n.id], 2, False]]
        True
        >>> n.delete()
        """
        me: Any = self
        conn, resource = me._resource(connection)
        me._require_id("history")
        return resource.require(NeuronHistory).history(conn, [int(me.id)])

    def at(self, time: Any, *, connection: "Connection | None" = None) -> Any:
        """This neuron as it was at ``time`` (a datetime, naive means UTC; a date; or an ISO
        string): a new, unsaved ``Neuron`` with the nodes, connector links and tags valid then
        (CATMAID's history tables; a fragment merged into it counts from the merge on).

        >>> import datetime as dt
        >>> n = Neuron.from_swc("1 1 0 0 0 1 -1\\n2 3 10 0 0 1 1\\n", name="time machine").save()
        >>> before = dt.datetime.now(dt.timezone.utc)
        >>> n.nodes.loc[n.nodes.parent_id != -1, "x"] = 99.0
        >>> n = n.update()
        >>> n.at(before).nodes.x.tolist(), n.at(before).id == n.id
        ([0.0, 10.0], True)
        >>> n.delete()
        """
        me: Any = self
        conn, resource = me._resource(connection)
        me._require_id("at")
        return resource.require(NeuronHistory).at(conn, me, when(time))


class NeuronCollectionProvenanceMixin:
    """History, origins and contributions of every member, in bulk requests."""

    __slots__ = ()

    def _skeleton_ids(self, what: str) -> list[int]:
        me: Any = self
        items = list(me)
        if any(n.id is None for n in items):
            raise ValueError(f"{what}() needs stored neurons (a member has no id; save() it first)")
        return [int(n.id) for n in items]

    def _capability(self, capability: Any, connection: "Connection | None") -> tuple["Connection", Any]:
        me: Any = self
        conn, resource = me._resource(connection)
        return conn, resource.require(capability)

    def history(self, *, connection: "Connection | None" = None) -> "pd.DataFrame":
        """The change history of every member in one request (see ``Neuron.history``)."""
        conn, cap = self._capability(NeuronHistory, connection)
        return cap.history(conn, self._skeleton_ids("history"))

    def origins(self, *, connection: "Connection | None" = None) -> "pd.DataFrame":
        """Where the members were imported from (one request): ``skeleton_id``, ``source_id``
        (the skeleton id there), ``source_url``, ``source_project``, ``source_name``; members
        that were not imported with an origin are absent.

        >>> n = Neuron.from_swc("1 1 0 0 0 1 -1\\n", name="traced here").save()
        >>> NeuronCollection([n]).origins().empty
        True
        >>> n.delete()
        """
        conn, cap = self._capability(NeuronHistory, connection)
        return cap.origins(conn, self._skeleton_ids("origins"))

    def import_info(self, *, nodes: bool = False, connection: "Connection | None" = None) -> "pd.DataFrame":
        """How many of each member's nodes came in by an import: ``skeleton_id``,
        ``n_imported_nodes`` (and ``imported_nodes``, their ids, with ``nodes=True``).

        >>> n = Neuron.from_swc("1 1 0 0 0 1 -1\\n2 3 10 0 0 1 1\\n", name="imported").save()
        >>> NeuronCollection([n]).import_info().n_imported_nodes.tolist()
        [2]
        >>> n.delete()
        """
        if not isinstance(nodes, bool):
            raise TypeError(f"nodes must be True or False, not {nodes!r}")
        conn, cap = self._capability(NeuronHistory, connection)
        return cap.import_info(conn, self._skeleton_ids("import_info"), nodes)

    def contributors(self, *, per_neuron: bool = False, connection: "Connection | None" = None) -> "pd.DataFrame":
        """Who built the members: one row per user (``per_neuron=True``: per member and user,
        one request per member) with ``nodes``, ``presynapses``, ``postsynapses`` and
        ``reviews`` they contributed.

        >>> n = Neuron.from_swc("1 1 0 0 0 1 -1\\n2 3 10 0 0 1 1\\n", name="credit").save()
        >>> NeuronCollection([n]).contributors()[["user_id", "nodes", "reviews"]].values.tolist()
        [[2, 2, 0]]
        >>> n.delete()
        """
        if not isinstance(per_neuron, bool):
            raise TypeError(f"per_neuron must be True or False, not {per_neuron!r}")
        conn, cap = self._capability(NeuronStatistics, connection)
        return cap.contributors(conn, self._skeleton_ids("contributors"), per_neuron)

    def time_invested(self, *, interval: int = 3, minimum_actions: int = 1,
                      connection: "Connection | None" = None) -> "pd.DataFrame":
        """Minutes each user spent on the members, estimated as pymaid does: their actions
        (nodes created or edited, reviews, connector links) fall into ``interval``-minute
        bins, and a bin with at least ``minimum_actions`` counts as ``interval`` minutes.
        Columns: ``user_id``, ``total``, ``creation``, ``edition``, ``review`` (minutes).

        >>> n = Neuron.from_swc("1 1 0 0 0 1 -1\\n2 3 10 0 0 1 1\\n", name="effort").save()
        >>> NeuronCollection([n]).time_invested()[["user_id", "total"]].values.tolist()
        [[2, 3]]
        >>> n.delete()
        """
        _positive(interval, "interval")
        _positive(minimum_actions, "minimum_actions")
        conn, cap = self._capability(NeuronStatistics, connection)
        skids = self._skeleton_ids("time_invested")
        return cap.time_invested(conn, skids, interval, minimum_actions)

    def annotation_details(self, *, connection: "Connection | None" = None) -> "pd.DataFrame":
        """Who put which annotation on the members, and when: ``skeleton_id``, ``annotation``,
        ``annotation_id``, ``user_id``, ``time`` (UTC), one row per member and annotation.

        >>> n = Neuron.from_swc("1 1 0 0 0 1 -1\\n", name="labelled", annotations=["checked"]).save()
        >>> NeuronCollection([n]).annotation_details()[["annotation", "user_id"]].values.tolist()
        [['checked', 2]]
        >>> n.delete()
        """
        conn, cap = self._capability(NeuronStatistics, connection)
        return cap.annotation_details(conn, self._skeleton_ids("annotation_details"))

    def sampler_counts(self, *, connection: "Connection | None" = None) -> "pd.Series":
        """How many samplers each member has (a Series indexed by skeleton id, one request)."""
        conn, cap = self._capability(NeuronStatistics, connection)
        return cap.sampler_counts(conn, self._skeleton_ids("sampler_counts"))


class ProjectActivityMixin:
    """The project's operation log, transactions, per-user activity and annotation graph."""

    __slots__ = ()

    def _activity(self, connection: "Connection | None") -> tuple["Connection", ProjectActivity[Any]]:
        me: Any = self
        conn, resource = me._resource(connection)
        return conn, resource.require(ProjectActivity)

    def logs(self, *, operations: Sequence[str] | str | None = None, user: Any = None, search: str | None = None,
             limit: int | None = None, connection: "Connection | None" = None) -> "pd.DataFrame":
        """The project's operation log, newest first: ``user``, ``operation``, ``time`` (UTC),
        ``x``, ``y``, ``z``, ``text``. ``operations`` (e.g. ``"rename_neuron"``), ``user`` (id
        or login) and ``search`` (text in the entry) narrow it; ``limit`` caps the rows.

        >>> n = Neuron.from_swc("1 1 0 0 0 1 -1\\n", name="logged").save()
        >>> Project.fetch(conn.project).logs(operations="create_neuron", limit=1).text[0].startswith("Create neuron")
        True
        >>> n.delete()
        """
        ops = [operations] if isinstance(operations, str) else list(operations or [])
        if not all(isinstance(op, str) and op for op in ops):
            raise TypeError(f"operations are names such as 'rename_neuron', not {operations!r}")
        if user is not None and (isinstance(user, bool) or not isinstance(user, (int, str))):
            raise TypeError(f"user is a user id or login, not {user!r}")
        if search is not None and not isinstance(search, str):
            raise TypeError(f"search must be a str, not {type(search).__name__}")
        if limit is not None:
            _positive(limit, "limit")
        conn, cap = self._activity(connection)
        return cap.logs(conn, ops, user, search, limit)

    def transactions(self, *, limit: int | None = None, connection: "Connection | None" = None) -> "pd.DataFrame":
        """The project's write transactions, newest first: ``transaction_id``, ``time`` (UTC),
        ``user_id``, ``label`` (e.g. ``"skeletons.import"``), ``change_type``.

        >>> n = Neuron.from_swc("1 1 0 0 0 1 -1\\n", name="transacted").save()
        >>> Project.fetch(conn.project).transactions(limit=5).label.tolist()[0]
        'skeletons.import'
        >>> n.delete()
        """
        if limit is not None:
            _positive(limit, "limit")
        conn, cap = self._activity(connection)
        return cap.transactions(conn, limit)

    def user_history(self, start: Any, end: Any = None, *, connection: "Connection | None" = None) -> "pd.DataFrame":
        """What each user did per day from ``start`` to ``end`` (dates, both included; ``end``
        defaults to today): ``user_id``, ``date``, ``new_nodes``, ``new_cable_length``,
        ``new_connectors``, ``new_reviewed_nodes``, ``new_import_nodes``,
        ``new_import_cable_length``; days without activity are absent.

        >>> import datetime as dt
        >>> n = Neuron.from_swc("1 1 0 0 0 1 -1\\n2 3 10 0 0 1 1\\n", name="busy").save()
        >>> today = dt.datetime.now(dt.timezone.utc).date()
        >>> int(Project.fetch(conn.project).user_history(today).new_import_nodes.sum()) >= 2
        True
        >>> n.delete()
        """
        first = day(start)
        last = day(end) if end is not None else dt.datetime.now(dt.timezone.utc).date()
        if last < first:
            raise ValueError(f"end ({last}) is before start ({first})")
        conn, cap = self._activity(connection)
        return cap.user_history(conn, first, last)

    def entity_graph(self, *, types: Sequence[str] = ("neuron", "annotation"), annotated_with: Any = None,
                     connection: "Connection | None" = None) -> "pd.DataFrame":
        """Which entity carries which annotation: one edge per (entity, annotation) with
        ``entity_id``, ``entity_type`` (``"neuron"``, ``"annotation"``), ``entity_name``,
        ``skeleton_ids`` (neurons), ``annotation_id``, ``annotation``, ``user_id``.
        ``annotated_with`` (name or id, or a list: all of them) narrows the entities.

        >>> n = Neuron.from_swc("1 1 0 0 0 1 -1\\n", name="graphed", annotations=["node of graph"]).save()
        >>> g = Project.fetch(conn.project).entity_graph(annotated_with="node of graph")
        >>> g[["entity_name", "annotation"]].values.tolist()
        [['graphed', 'node of graph']]
        >>> n.delete()
        """
        kinds = [types] if isinstance(types, str) else list(types)
        for kind in kinds:
            if kind not in ("neuron", "annotation", "volume"):
                raise ValueError(f"types are 'neuron', 'annotation' or 'volume', not {kind!r}")
        conn, cap = self._activity(connection)
        return cap.entity_graph(conn, kinds, annotated_with)
