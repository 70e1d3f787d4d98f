"""Circuit queries over many neurons at once (CATMAID): partners of a whole collection (also
through gap junctions, attachments and within a volume), n-th partners, directed paths, link
counts and the synapses between two sets.

A capability in the style of :mod:`neuromodels.core.capabilities`; the collection methods of
:class:`CircuitsMixin` call ``resource.require(Circuits)``, so a backend without it raises
:class:`~neuromodels.NotSupported` with the reason from its ``not_supported`` table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from ..core.backend import as_list, check_id, check_name
from ..core.capabilities import M, Resource, capability

if TYPE_CHECKING:
    import pandas as pd

    from ..connection import Connection

#: Kinds of partner: the direction column of ``partners()``; CATMAID's link types.
PARTNER_KINDS = ("upstream", "downstream", "gapjunction", "attachment", "abutting", "tightjunction", "desmosome",
                 "close_object")


@capability
class Circuits(Resource[M]):
    """Connectivity queries over a set of neurons (skeleton ids)."""

    operation = "query the circuits of"

    def partners_of(self, conn: "Connection", skids: Sequence[int], kinds: Sequence[str], min_synapses: int,
                    volume: Any) -> "pd.DataFrame":
        raise NotImplementedError

    def nth_partners(self, conn: "Connection", skids: Sequence[int], n: int, min_pre: int, min_post: int) -> "pd.DataFrame":
        raise NotImplementedError

    def paths(self, conn: "Connection", sources: Sequence[int], targets: Sequence[int], n_hops: int,
              min_synapses: int) -> list[list[int]]:
        raise NotImplementedError

    def link_counts(self, conn: "Connection", skids: Sequence[int], sources: Sequence[str],
                    targets: Sequence[str]) -> "pd.DataFrame":
        raise NotImplementedError

    def connectors_between(self, conn: "Connection", one: Sequence[int], two: Sequence[int],
                           directional: bool) -> "pd.DataFrame":
        raise NotImplementedError


def _count(value: Any, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{what} must be an int >= {minimum}, not {value!r}")
    return value


def _skids(models: Any, what: str) -> list[int]:
    ids = []
    items = list(models) if hasattr(models, "__iter__") and not isinstance(models, (str, bytes)) else [models]
    for m in items:
        ids.append(check_id(getattr(m, "id", m), int, what))
    if not ids:
        raise ValueError(f"no {what}s given")
    return list(dict.fromkeys(ids))


class CircuitsMixin:
    """Circuit queries on :class:`~neuromodels.NeuronCollection` (its members by id)."""

    __slots__ = ()

    if TYPE_CHECKING:  # what the collection it is mixed into provides
        def _resource(self, connection: "Connection | None") -> tuple["Connection", Resource[Any]]: ...

    def _circuits(self, connection: "Connection | None") -> tuple["Connection", Circuits[Any], list[int]]:
        conn, resource = self._resource(connection)
        circuits = resource.require(Circuits)
        members = list(self)  # type: ignore[call-overload]
        if any(m.id is None for m in members):
            raise ValueError("circuit queries need stored neurons (a member has no id; save() it first)")
        return conn, circuits, _skids(members, "skeleton id")

    def partners(self, *, kinds: Any = ("upstream", "downstream"), min_synapses: int = 1, volume: Any = None,
                 connection: "Connection | None" = None) -> "pd.DataFrame":
        """The partners of every member in one request (pymaid's ``get_partners``): one row per
        member, partner and kind: ``neuron`` (the member), ``skeleton_id`` (the partner),
        ``direction`` (one of ``kinds``: ``upstream``, ``downstream``, ``gapjunction``,
        ``attachment``, ``abutting``, ``tightjunction``, ``desmosome``, ``close_object``),
        ``n_synapses`` (links), ``name``, ``n_nodes``. With ``volume`` (id or name) only links
        at connectors inside the volume's mesh count (pymaid's ``get_partners_in_volume``).

        >>> pns = NeuronCollection(annotation="PN").fetch(nodes=False)
        >>> pns.partners(kinds=["upstream", "downstream", "gapjunction"]).columns.tolist()
        ['neuron', 'skeleton_id', 'direction', 'n_synapses', 'name', 'n_nodes']
        """
        wanted = [str(k) for k in as_list(kinds)]
        for k in wanted:
            if k not in PARTNER_KINDS:
                from ..core.capabilities import did_you_mean

                raise ValueError(f"unknown kind of partner {k!r}{did_you_mean(k, PARTNER_KINDS)}; "
                                 f"kinds are {', '.join(PARTNER_KINDS)}")
        if not wanted:
            raise ValueError("kinds must name at least one kind of partner")
        _count(min_synapses, "min_synapses", 1)
        if volume is not None and (isinstance(volume, bool) or not isinstance(volume, (str, int))):
            raise TypeError(f"volume must be a volume id or name, not {type(volume).__name__}")
        conn, circuits, skids = self._circuits(connection)
        return circuits.partners_of(conn, skids, wanted, min_synapses, volume)

    def nth_partners(self, n: int = 1, *, min_pre: int = 1, min_post: int = 1,
                     connection: "Connection | None" = None) -> "pd.DataFrame":
        """Neurons up to ``n`` synaptic hops from the members, the members left out (CATMAID's
        circles of hell, pymaid's ``get_nth_partners``): ``skeleton_id``, ``name``. A partner
        counts when it makes at least ``min_pre`` synapses onto, or receives ``min_post`` from,
        the circle before (0 turns a direction off).

        >>> NeuronCollection(annotation="PN").fetch(nodes=False).nth_partners(2).columns.tolist()
        ['skeleton_id', 'name']
        """
        _count(n, "n", 1)
        _count(min_pre, "min_pre", 0)
        _count(min_post, "min_post", 0)
        if not (min_pre or min_post):
            raise ValueError("min_pre and min_post cannot both be 0: no partner could count")
        conn, circuits, skids = self._circuits(connection)
        return circuits.nth_partners(conn, skids, n, min_pre, min_post)

    def paths_to(self, targets: Any, *, n_hops: int = 2, min_synapses: int = 1,
                 connection: "Connection | None" = None) -> list[list[int]]:
        """Directed synaptic paths from the members to ``targets`` (neurons or skeleton ids) of
        at most ``n_hops`` connections, each edge with at least ``min_synapses`` synapses
        (pymaid's ``get_paths``): lists of skeleton ids, source first.

        >>> pns = NeuronCollection(annotation="PN").fetch(nodes=False)
        >>> pns[:1].paths_to(pns[1:])
        []
        """
        _count(n_hops, "n_hops", 1)
        _count(min_synapses, "min_synapses", 1)
        ends = _skids(targets, "target skeleton id")
        conn, circuits, skids = self._circuits(connection)
        return circuits.paths(conn, skids, ends, n_hops, min_synapses)

    def connectivity_counts(self, *, source_relations: Any = ("presynaptic_to",),
                            target_relations: Any = ("postsynaptic_to",),
                            connection: "Connection | None" = None) -> "pd.DataFrame":
        """Per member and relation of its own links, how many links of ``target_relations`` face
        them on the same connectors (pymaid's ``get_connectivity_counts``): rows the members,
        columns the source relations, 0 where none.

        >>> NeuronCollection(annotation="PN").fetch(nodes=False).connectivity_counts().columns.tolist()
        ['presynaptic_to']
        """
        sources = [str(r) for r in as_list(source_relations)]
        targets = [str(r) for r in as_list(target_relations)]
        for r in sources + targets:
            check_name(r, "a relation")
        if not sources or not targets:
            raise ValueError("source_relations and target_relations need at least one relation each")
        conn, circuits, skids = self._circuits(connection)
        return circuits.link_counts(conn, skids, sources, targets)

    def connectors_between(self, others: Any, *, directional: bool = True,
                           connection: "Connection | None" = None) -> "pd.DataFrame":
        """The synapses from the members onto ``others`` (neurons or skeleton ids), one row per
        pre/post link pair (pymaid's ``get_connectors_between``); ``directional=False`` adds
        those from ``others`` onto the members. Columns ``connector_id``, ``connector_x/y/z``,
        then ``node1_id``, ``skeleton1_id``, ``confidence1``, ``creator1_id``, ``node1_x/y/z``
        (presynaptic side) and the same with 2 (postsynaptic side).

        >>> pns = NeuronCollection(annotation="PN").fetch(nodes=False)
        >>> len(pns[:1].connectors_between(pns[1:]))
        0
        """
        if not isinstance(directional, bool):
            raise TypeError(f"directional must be True or False, not {directional!r}")
        two = _skids(others, "skeleton id")
        conn, circuits, skids = self._circuits(connection)
        return circuits.connectors_between(conn, skids, two, directional)
