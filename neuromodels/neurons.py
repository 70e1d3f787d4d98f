"""The Neuron model and its collection: nodes, connectors, tags and annotations of a reconstruction,
what every backend that holds neurons maps them onto (exported from :mod:`neuromodels.models`)."""

from __future__ import annotations

import os
from typing import Any

import attrs
import numpy as np
import pandas as pd

from .core.collection import Collection
from .connection import Connection
from .files import open_private
from .formats import nodediff, swc
from .core.backend import check_name
from .core.capabilities import LoadNodes, Morphometry
from .backends.circuits import CircuitsMixin
from .backends.proofreading import ProofreadingMixin
from .backends.tracing import Connectivity, Reviews
from .core.model import Model, model
from .notebook import HtmlCollectionMixin, HtmlModelMixin
from .interop import NavisCollectionMixin, NavisNeuronMixin
from .distributed import DaskCollectionMixin
from .transfer import CopyCollectionMixin, CopyModelMixin
from .provenance import NeuronCollectionProvenanceMixin, NeuronProvenanceMixin




@model
class Neuron(CopyModelMixin, ProofreadingMixin, NeuronProvenanceMixin, NavisNeuronMixin, HtmlModelMixin, Model):
    """A neuron reconstruction. ``id`` is the id users know it by (CATMAID: the skeleton id).

    On CATMAID ``nodes`` is editable: move, add or drop rows, change ``radius``,
    ``confidence`` or ``parent_id``, and ``update()`` sends the difference through the node
    endpoints (a change someone else made since is ``Conflict``, and the edit stays pending).

    >>> n = NeuronCollection(name="PN VA6 right").fetch()[0]
    >>> n.name, len(n.nodes), n.annotations
    ('PN VA6 right', 3, ['PN'])
    >>> tip = n.nodes.node_id.max()
    >>> n.nodes.loc[n.nodes.node_id == tip, "radius"] = 6.0
    >>> float(n.update().nodes.set_index("node_id").loc[tip, "radius"])
    6.0
    """

    neuron_id: int | None = None
    name: str | None = None
    nodes: pd.DataFrame | None = attrs.field(default=None, repr=False)
    connectors: pd.DataFrame | None = attrs.field(default=None, repr=False)
    tags: dict[str, list[int]] | None = attrs.field(default=None, repr=False)
    annotations: list[str] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    @classmethod
    def from_swc(cls, source: Any, name: str | None = None, **fields: Any) -> "Neuron":
        """A new neuron from an SWC file path, text, bytes or file object (a UTF-8 byte order
        mark and CRLF line ends are fine; malformed lines are :class:`~neuromodels.formats.swc.SWCError`
        naming the line). Without ``name``, a file's name is used.

        >>> n = Neuron.from_swc("1 1 0 0 0 1 -1\\n2 3 10 0 0 1 1\\n", name="imported")
        >>> n.nodes[["node_id", "parent_id"]].values.tolist()
        [[1, -1], [2, 1]]
        >>> n.save().id is not None
        True
        >>> n.delete()
        """
        if name is not None:
            check_name(name, "name")  # the rule every name follows, before the file is read
        nodes = swc.parse_swc(source)
        if name is None and isinstance(source, (str, os.PathLike)) and os.path.exists(str(source)):
            name = os.path.splitext(os.path.basename(str(source)))[0]
        return cls(name=name, nodes=nodes, **fields)

    def to_swc(self, path: str | os.PathLike[str] | None = None) -> str | None:
        """SWC text of the nodes; written to ``path`` when given (then returns None).

        A table with a ``type`` column (NeuroMorpho) keeps its types; otherwise (CATMAID) the
        node tagged "soma" — or the root when none is — gets type 1 (soma) and every other node
        0 (undefined).

        >>> print(Neuron.from_swc("1 1 0 0 0 1 -1\\n2 3 10 0 0 1 1\\n", name="cell").to_swc(), end="")
        # cell (id None)
        1 1 0 0 0 1 -1
        2 3 10 0 0 1 1
        >>> n = NeuronCollection(name="PN VA6 left").fetch()[0]
        >>> [line.split()[1] for line in n.to_swc().splitlines()[1:]]
        ['1', '0', '0']
        """
        if self.nodes is None:
            raise ValueError("this neuron has no nodes loaded")
        soma = (self.tags or {}).get("soma")
        text = swc.to_swc(self.nodes, header=f"{self.name or 'neuron'} (id {self.id})", soma=soma)
        if path is None:
            return text
        with open_private(path, "w") as fh:  # server data: owner-only (neuromodels.files)
            fh.write(text)
        return None

    def morphometry(self, *, connection: Connection | None = None) -> dict[str, Any]:
        """The server's morphometry of this neuron (NeuroMorpho.org's L-Measure values).

        >>> Neuron.fetch(1000).morphometry()["length"]
        1140.0
        """
        conn, resource = self._resource(connection)
        return resource.require(Morphometry).morphometry(conn, self)

    def changes(self) -> dict[str, Any]:
        """Fields that differ from the loaded state; edited ``nodes`` show as the node edits an
        :meth:`update` sends (one row per change: ``change``, ``node_id``, ``parent_id``, ``x``,
        ``y``, ``z``, ``radius``, ``confidence``), not as the whole table. A dropped inner node
        is a ``delete``: its children move up to its parent, as on CATMAID.

        >>> n = NeuronCollection(name="PN VA6 left").fetch()[0]
        >>> middle = n.nodes.node_id.sort_values().iloc[1]
        >>> n.nodes = n.nodes[n.nodes.node_id != middle]
        >>> n.changes()["nodes"][["change", "node_id"]].values.tolist() == [["delete", middle]]
        True
        """
        result = super().changes()
        old = self.original("nodes")
        new = result.get("nodes")
        if isinstance(old, pd.DataFrame) and isinstance(new, pd.DataFrame):
            try:
                edits = nodediff.changes_frame(old, new)
            except (KeyError, ValueError, TypeError):
                return result  # a table the update will refuse: shown as it is
            if len(edits):
                result["nodes"] = edits
            else:
                del result["nodes"]  # only order or types differ: nothing to send
        return result

    @property
    def n_nodes(self) -> int:
        return 0 if self.nodes is None else len(self.nodes)

    @property
    def cable_length(self) -> float:
        """Summed length of the edges between nodes and their parents, in the units of the node
        coordinates (:attr:`cable_length_unit`): nanometres on CATMAID, micrometres on
        NeuroMorpho.org.

        >>> Neuron.from_swc("1 1 0 0 0 1 -1\\n2 3 3 4 0 1 1\\n").cable_length
        5.0
        """
        if self.nodes is None:
            raise ValueError("this neuron has no nodes loaded (fetch() it or load_nodes() its collection)")
        return swc.cable_length(self.nodes)

    @property
    def cable_length_unit(self) -> str | None:
        """The unit of :attr:`cable_length` and of the coordinates: those the neuron came with
        (``extra["units"]``, e.g. from navis), else the current connection's server's
        (``"nanometer"`` on CATMAID, ``"micrometer"`` on NeuroMorpho.org), else None.

        >>> NeuronCollection(name="PN VA6 right").fetch()[0].cable_length_unit
        'nanometer'
        """
        from .interop.units import unit_name

        return unit_name(self)

    def partners(self, *, min_synapses: int = 1, connection: Connection | None = None) -> pd.DataFrame:
        """Synaptic partners from the server's bulk connectivity (CATMAID): one row per
        partner and direction, most synapses first. Columns: ``skeleton_id``, ``direction``
        (``"downstream"``: this neuron is presynaptic; ``"upstream"``: the partner is),
        ``n_synapses`` (all confidences), ``name``, ``n_nodes`` (the partner's).

        >>> n = Neuron.from_swc("1 1 0 0 0 1 -1\\n2 3 10 0 0 1 1\\n", name="lonely").save()
        >>> n.partners().columns.tolist()
        ['skeleton_id', 'direction', 'n_synapses', 'name', 'n_nodes']
        >>> n.delete()
        """
        if isinstance(min_synapses, bool) or not isinstance(min_synapses, int) or min_synapses < 1:
            raise ValueError(f"min_synapses must be an int >= 1, not {min_synapses!r}")
        conn, resource = self._resource(connection)
        self._require_id("partners")
        return resource.require(Connectivity).partners(conn, self, min_synapses)

    def reviews(self, *, connection: Connection | None = None) -> pd.DataFrame:
        """Who reviewed which node (CATMAID): ``node_id``, ``reviewer_id``, ``review_time``
        (UTC), one row per node and reviewer; unreviewed nodes are absent.

        >>> n = Neuron.from_swc("1 1 0 0 0 1 -1\\n2 3 10 0 0 1 1\\n", name="reviewed").save()
        >>> len(n.reviews())
        0
        >>> n.mark_reviewed(n.nodes.node_id).node_id.tolist() == sorted(n.nodes.node_id)
        True
        >>> len(n.reviews())
        2
        >>> n.delete()
        """
        conn, resource = self._resource(connection)
        self._require_id("reviews")
        return resource.require(Reviews).reviews(conn, self)

    def mark_reviewed(self, node_ids: Any, *, connection: Connection | None = None) -> pd.DataFrame:
        """Mark these nodes reviewed by the connection's user (a review does not change the
        nodes); returns the new review rows as :meth:`reviews` does. Moving a node later
        deletes its reviews (CATMAID's rule)."""
        ids = [int(i) for i in np.asarray(list(node_ids) if not np.isscalar(node_ids) else [node_ids]).tolist()]
        conn, resource = self._resource(connection)
        self._require_id("mark_reviewed")
        return resource.require(Reviews).mark_reviewed(conn, self, ids)

    def _require_id(self, what: str) -> None:
        if self.id is None:
            raise ValueError(f"{what}() needs a stored neuron (this one has no id; save() it first)")


class NeuronCollection(CopyCollectionMixin, CircuitsMixin, NeuronCollectionProvenanceMixin, DaskCollectionMixin,
                       NavisCollectionMixin, HtmlCollectionMixin, Collection[Neuron]):
    """Neurons. CATMAID loads their nodes in bulk by default; NeuroMorpho loads metadata only.

    On CATMAID an annotation that does not exist is ``NotFound`` naming close matches;
    ``"/regex"`` (pymaid's form) matches annotations by regular expression, ``"/(?i)..."``
    ignoring case. ``volume=`` (id or name) gives the neurons with nodes in the volume's
    bounding box.

    >>> pns = NeuronCollection(annotation="PN").fetch(nodes=False)
    >>> sorted(n.name for n in pns)
    ['PN VA6 left', 'PN VA6 right']
    >>> pns.load_nodes().cable_lengths().round(1).tolist()
    [83.4, 83.4]
    >>> len(NeuronCollection(annotation="/(?i)^pn$").fetch(nodes=False))
    2
    """

    model = Neuron

    def load_nodes(self, *, connection: Connection | None = None) -> "NeuronCollection":
        """Load the nodes of every member in one parallel step (visible, with a progress bar)."""
        members = self._members()
        conn, resource = self._resource(connection)
        loader = resource.require(LoadNodes)
        missing = [n for n in members if n.nodes is None]
        if missing:
            loader.load_nodes(conn, missing)
            for n in missing:
                n.mark_clean()
        return self

    def adjacency(self, *, connection: Connection | None = None) -> pd.DataFrame:
        """Synapse counts between the members (CATMAID's connectivity matrix, one request):
        a square DataFrame, rows presynaptic (``pre``), columns postsynaptic (``post``), both
        the members' ids in collection order; 0 where they make no synapse.

        >>> a = Neuron.from_swc("1 1 0 0 0 1 -1\\n", name="a").save()
        >>> b = Neuron.from_swc("1 1 9 0 0 1 -1\\n", name="b").save()
        >>> Connector(x=5, y=0, z=0, links=[(a.nodes.node_id[0], "presynaptic_to"),
        ...                                 (b.nodes.node_id[0], "postsynaptic_to")]).save().id > 0
        True
        >>> NeuronCollection([a, b]).adjacency().values.tolist()
        [[0, 1], [0, 0]]
        >>> a.delete(); b.delete()
        """
        members = self._members()
        conn, resource = self._resource(connection)
        connectivity = resource.require(Connectivity)
        if any(n.id is None for n in members):
            raise ValueError("adjacency() needs stored neurons (a member has no id; save() it first)")
        return connectivity.adjacency(conn, list(members))

    def node_table(self, *, connection: Connection | None = None) -> pd.DataFrame:
        """Every member's nodes in one DataFrame, with a ``neuron`` column (the member's id)
        first; nodes are loaded where missing.

        >>> pair = NeuronCollection([Neuron.from_swc("1 1 0 0 0 1 -1\\n", name="x", id=1),
        ...                          Neuron.from_swc("1 1 0 0 0 1 -1\\n2 3 1 0 0 1 1\\n", name="y", id=2)])
        >>> pair.node_table()[["neuron", "node_id"]].values.tolist()
        [[1, 1], [2, 1], [2, 2]]
        """
        return self._combined("nodes", connection)

    def connector_table(self, *, connection: Connection | None = None) -> pd.DataFrame:
        """Every member's connector links in one DataFrame, with a ``neuron`` column first;
        nodes (and connectors) are loaded where missing."""
        return self._combined("connectors", connection)

    def cable_lengths(self, *, connection: Connection | None = None) -> pd.Series:
        """Cable length per member (a Series indexed by id); nodes are loaded where missing.
        The Series is named after its unit where the members share a known one
        (``cable_length_nm``, ``cable_length_um``; else ``cable_length``), which
        ``lengths.attrs["unit"]`` also holds.

        >>> NeuronCollection([Neuron.from_swc("1 1 0 0 0 1 -1\\n2 3 3 4 0 1 1\\n", id=7)]).cable_lengths().to_dict()
        {7: 5.0}
        >>> NeuronCollection(annotation="PN").fetch().cable_lengths().name
        'cable_length_nm'
        """
        from .interop.units import series_name

        self._ensure_nodes(connection)
        members = self._members()
        units = {n.cable_length_unit for n in members}
        unit = units.pop() if len(units) == 1 else None
        lengths: pd.Series = pd.Series([n.cable_length for n in members], dtype=float, name=series_name(unit),
                                        index=pd.Index([n.id for n in members], name="neuron"))
        lengths.attrs["unit"] = unit
        return lengths

    @property
    def nodes(self) -> pd.DataFrame:
        """Every member's nodes in one table with a ``neuron`` column first (the member's id), as
        navis' ``NeuronList.nodes``; the same as :meth:`node_table` (nodes are loaded where
        missing, in one bulk step).

        >>> NeuronCollection(annotation="PN").fetch().nodes.groupby("neuron").size().tolist()
        [3, 3]
        """
        return self.node_table()

    @property
    def connectors(self) -> pd.DataFrame:
        """Every member's connector links in one table with a ``neuron`` column first, as navis'
        ``NeuronList.connectors``; the same as :meth:`connector_table`."""
        return self.connector_table()

    def _ensure_nodes(self, connection: Connection | None) -> None:
        if any(n.nodes is None for n in self._members()):
            self.load_nodes(connection=connection)

    def _combined(self, field: str, connection: Connection | None) -> pd.DataFrame:
        self._ensure_nodes(connection)
        parts = []
        for n in self._members():
            table = getattr(n, field)
            if table is None:
                continue
            part = table.copy()
            part.insert(0, "neuron", n.id)
            parts.append(part)
        combined: pd.DataFrame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["neuron"])
        return combined
