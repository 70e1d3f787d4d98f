"""The shared models and their collections. Fields only: wire formats live in the backends.

>>> from neuromodels import Neuron, Connector, Link
>>> n = Neuron.from_swc("1 1 0 0 0 1 -1\\n2 3 10 0 0 1 1\\n", name="demo")
>>> len(n.nodes), n.name
(2, 'demo')
>>> Connector(x=1.0, y=2.0, z=3.0, links=[(5, "presynaptic_to")]).links[0].relation
'presynaptic_to'
"""

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
from .backends.extras import AttachableMixin, Members, TaggableMixin, Tags, User
from .core.capabilities import Download, LoadNodes, Morphometry, Thumbnail
from .backends.circuits import CircuitsMixin
from .backends.proofreading import ProofreadingMixin
from .backends.tracing import Connectivity, Reviews
from .backends.workflow import DumpCropsMixin, ImageReviewMixin, MembershipMixin, ReviewMixin
from .core.model import Model, model
from .notebook import HtmlCollectionMixin, HtmlModelMixin
from .interop import NavisCollectionMixin, NavisConnectorsMixin, NavisNeuronMixin, TrimeshVolumeMixin
from .imaging import AnnotationCropMixin, ImageRegionMixin
from .distributed import DaskCollectionMixin
from .transfer import CopyCollectionMixin, CopyModelMixin
from .provenance import NeuronCollectionProvenanceMixin, NeuronProvenanceMixin, ProjectActivityMixin


def _opt_array(dtype: Any) -> Any:
    def convert(value: Any) -> Any:
        if value is None:
            return None
        array = np.asarray(value, dtype=dtype)
        if array.size == 0:
            array = array.reshape(0, 3)
        return array

    return convert


@attrs.frozen
class Link:
    """One link between a connector and a neuron's node (a value, not a savable model)."""

    node_id: int
    relation: str
    skeleton_id: int | None = None
    confidence: int | None = None


def _links(value: Any) -> Any:
    if value is None:
        return None
    links = []
    for item in value:
        if isinstance(item, Link):
            links.append(item)
        elif isinstance(item, dict):
            links.append(Link(**item))
        elif isinstance(item, (tuple, list)) and len(item) in (2, 3, 4):
            links.append(Link(*item))
        else:
            raise TypeError(f"a link is a Link, a dict or a (node_id, relation) pair, not {item!r}")
    return links


def _wkt(value: Any) -> Any:
    """A geometry given as WKT text (``"POINT (5 5)"``), as a shapely geometry."""
    if isinstance(value, str):
        import shapely.errors
        import shapely.wkt

        try:
            return shapely.wkt.loads(value)
        except shapely.errors.ShapelyError as e:
            raise ValueError(f"the geometry is not valid WKT ({e}): {value[:80]!r}") from None
    return value


@model
class Project(CopyModelMixin, ProjectActivityMixin, MembershipMixin, TaggableMixin, AttachableMixin, HtmlModelMixin, Model):
    """A project (CATMAID project, Cytomine project, Clio dataset).

    On Cytomine a project also has members (:meth:`members`), tags and attached files.

    >>> Project.fetch(conn.project).name              # conn: the current connection (CATMAID here)
    'neuromodels local project'
    """

    name: str | None = None
    description: str | None = None
    #: The project's ontology id (Cytomine); None elsewhere.
    ontology: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    def members(self, *, managers: bool = False, connection: Connection | None = None) -> list[User]:
        """The users of this project (``managers=True``: only its managers), as
        :class:`~neuromodels.backends.extras.User` records (id, username, name, email). On
        CATMAID: every user of the server (its user list is not scoped by project).

        >>> me = Project.current_user()
        >>> me.id in [u.id for u in Project.fetch(conn.project).members()]
        True
        """
        if not isinstance(managers, bool):
            raise TypeError(f"managers must be True or False, not {managers!r}")
        conn, resource = self._resource(connection)
        return resource.require(Members).members(conn, self, managers)

    @classmethod
    def current_user(cls, *, connection: Connection | None = None) -> User:
        """The user the connection acts as (Cytomine: the owner of the keys), read once per
        connection; its keys are never kept in the record.

        >>> Project.current_user().username
        'admin'
        """
        conn, resource = cls._resource(connection)
        return resource.require(Members).current_user(conn)


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


@model
class Annotation(CopyModelMixin, ReviewMixin, AnnotationCropMixin, TaggableMixin, AttachableMixin, HtmlModelMixin, Model):
    """An annotation: a CATMAID text annotation, a Cytomine geometry, or a Clio body's fields.

    On Cytomine, ``properties`` are its key-value properties (text values): read by
    ``Annotation.fetch`` (``properties=False`` skips them; a listing leaves them None unless
    ``fetch(properties=True)``), and
    written by ``save()``/``update()`` like any field — new keys are created, changed ones
    changed, keys removed from a loaded dict (or set to None) deleted. Cytomine annotations
    also take tags (:meth:`tag`) and attached files (:meth:`attach`).

    On CATMAID, saving an annotation annotates its targets (neurons by skeleton id):

    >>> pns = NeuronCollection(annotation="PN").fetch(nodes=False)
    >>> left = Annotation(name="left side", targets=[pns[0].id]).save()
    >>> left.targets == [pns[0].id], left.id is not None
    (True, True)
    >>> left.delete()                                 # removed from its targets
    """

    name: str | None = None
    geometry: Any = attrs.field(default=None, converter=_wkt)
    image: int | None = None
    project: Any = None
    terms: list[int] | None = None
    targets: list[Any] | None = None
    properties: dict[str, Any] | None = None
    meta: list[str] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@model
class ImageInstance(CopyModelMixin, ImageReviewMixin, ImageRegionMixin, TaggableMixin, AttachableMixin, HtmlModelMixin, Model):
    """An image (CATMAID stack, Cytomine image instance). Cytomine images take tags and
    attached files.

    >>> images = ImageInstanceCollection(project=conn.project).fetch()          # Cytomine here
    >>> sorted((i.name, i.width, i.height) for i in images)
    [('CMU-1.svs', 46000, 32914), ('CMU-2.svs', 40000, 30000)]
    """

    name: str | None = None
    width: int | None = None
    height: int | None = None
    depth: int | None = None
    resolution: tuple[float | None, float | None, float | None] | None = None
    project: Any = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    def download(self, path: str | os.PathLike[str], *, connection: Connection | None = None) -> str:
        """Download the original image file to ``path``; returns the path.

        >>> import os, tempfile
        >>> image = ImageInstanceCollection().fetch_with_filter("project", conn.project)[0]
        >>> path = image.download(os.path.join(tempfile.mkdtemp(), "slide.svs"))
        >>> os.path.getsize(path) > 0
        True
        """
        conn, resource = self._resource(connection)
        return resource.require(Download).download(conn, self, str(path))

    def thumbnail(self, path: str | os.PathLike[str] | None = None, *, max_size: int = 512,
                  connection: Connection | None = None) -> bytes:
        """A PNG thumbnail (bytes); also written to ``path`` when given.

        >>> image = ImageInstanceCollection().fetch_with_filter("project", conn.project)[0]
        >>> image.thumbnail(max_size=256)[:8]
        b'\\x89PNG\\r\\n\\x1a\\n'
        """
        if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size <= 0:
            raise ValueError(f"max_size must be a positive int, not {max_size!r}")
        conn, resource = self._resource(connection)
        data = resource.require(Thumbnail).thumbnail(conn, self, max_size)
        if path is not None:
            with open_private(path, "wb") as fh:
                fh.write(data)
        return data


@model
class Connector(CopyModelMixin, HtmlModelMixin, Model):
    """A connector (synapse) with its links to neurons' nodes.

    >>> pn = NeuronCollection(name="PN VA6 right").fetch()[0]
    >>> c = Connector(x=5100, y=6100, z=900, links=[(pn.nodes.node_id[0], "presynaptic_to")]).save()
    >>> [(link.skeleton_id == pn.id, link.relation) for link in Connector.fetch(c.id).links]
    [(True, 'presynaptic_to')]
    >>> c.delete()
    """

    x: float | None = None
    y: float | None = None
    z: float | None = None
    confidence: int | None = None
    links: list[Link] | None = attrs.field(default=None, converter=_links)
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@model
class Volume(CopyModelMixin, TrimeshVolumeMixin, HtmlModelMixin, Model):
    """A triangle mesh. A round trip keeps the mesh, not the vertex order.

    >>> box = Volume(name="doc box", vertices=[[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]],
    ...              faces=[[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]]).save()
    >>> again = Volume.fetch(box.id)
    >>> again.name, again.vertices.shape, again.faces.shape
    ('doc box', (4, 3), (4, 3))
    >>> box.delete()
    """

    name: str | None = None
    comment: str | None = None
    vertices: np.ndarray | None = attrs.field(default=None, converter=_opt_array(np.float64), repr=False)
    faces: np.ndarray | None = attrs.field(default=None, converter=_opt_array(np.int64), repr=False)
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@model
class Ontology(CopyModelMixin, HtmlModelMixin, Model):
    """An ontology: the vocabulary of terms a project's annotations use (Cytomine).

    >>> project = Project.fetch(conn.project)          # Cytomine here
    >>> Ontology.fetch(project.ontology).name
    'Demo ontology'
    """

    name: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@model
class Term(CopyModelMixin, HtmlModelMixin, Model):
    """A term of an ontology (Cytomine), e.g. "Tumor".

    >>> ontology = Project.fetch(conn.project).ontology          # Cytomine here
    >>> necrosis = Term(name="Necrosis", ontology=ontology, color="#9E9E9E").save()
    >>> sorted(t.name for t in TermCollection(ontology=ontology).fetch())
    ['Necrosis', 'Stroma', 'Tumor']
    >>> necrosis.delete()
    """

    name: str | None = None
    ontology: int | None = None
    color: str | None = None
    parent: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


class ProjectCollection(CopyCollectionMixin, DaskCollectionMixin, HtmlCollectionMixin, Collection[Project]):
    """Projects visible to the connection's user."""

    model = Project


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
        conn, resource = self._resource(connection)
        loader = resource.require(LoadNodes)
        missing = [n for n in self._items if n.nodes is None]
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
        conn, resource = self._resource(connection)
        connectivity = resource.require(Connectivity)
        if any(n.id is None for n in self._items):
            raise ValueError("adjacency() needs stored neurons (a member has no id; save() it first)")
        return connectivity.adjacency(conn, list(self._items))

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
        units = {n.cable_length_unit for n in self._items}
        unit = units.pop() if len(units) == 1 else None
        lengths: pd.Series = pd.Series([n.cable_length for n in self._items], dtype=float, name=series_name(unit),
                                        index=pd.Index([n.id for n in self._items], name="neuron"))
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
        if any(n.nodes is None for n in self._items):
            self.load_nodes(connection=connection)

    def _combined(self, field: str, connection: Connection | None) -> pd.DataFrame:
        self._ensure_nodes(connection)
        parts = []
        for n in self._items:
            table = getattr(n, field)
            if table is None:
                continue
            part = table.copy()
            part.insert(0, "neuron", n.id)
            parts.append(part)
        combined: pd.DataFrame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["neuron"])
        return combined


def _tag_all(collection: Collection[Any], names: tuple[str, ...], connection: Connection | None) -> None:
    conn, resource = collection._resource(connection)
    resource.require(Tags).add_tags(conn, list(collection), list(names))


class AnnotationCollection(CopyCollectionMixin, DumpCropsMixin, DaskCollectionMixin, HtmlCollectionMixin, Collection[Annotation]):
    """Annotations; batch ``save()`` uploads in few requests.

    >>> skid = NeuronCollection(name="PN VA6 left").fetch(nodes=False)[0].id
    >>> [a.name for a in AnnotationCollection(neuron=skid).fetch()]
    ['PN']
    """

    model = Annotation

    def tag(self, *names: str, connection: Connection | None = None) -> "AnnotationCollection":
        """Tag every member with ``names`` (Cytomine), in parallel requests. Returns the collection.

        >>> from shapely.geometry import Point
        >>> image = ImageInstanceCollection().fetch()[0]
        >>> batch = AnnotationCollection([Annotation(geometry=Point(5, 5), image=image.id),
        ...                               Annotation(geometry=Point(9, 9), image=image.id)]).save()
        >>> [a.tags() for a in batch.tag("batch-7")]
        [['batch-7'], ['batch-7']]
        """
        _tag_all(self, names, connection)
        return self


class ImageInstanceCollection(CopyCollectionMixin, DaskCollectionMixin, HtmlCollectionMixin, Collection[ImageInstance]):
    """Images of a project.

    >>> [i.name for i in ImageInstanceCollection().fetch_with_filter("project", conn.project)]
    ['Synthetic EM stack']
    """

    model = ImageInstance

    def tag(self, *names: str, connection: Connection | None = None) -> "ImageInstanceCollection":
        """Tag every member with ``names`` (Cytomine), in parallel requests. Returns the collection.

        >>> images = ImageInstanceCollection().fetch().tag("scanned")
        >>> all("scanned" in i.tags() for i in images)
        True
        """
        _tag_all(self, names, connection)
        return self


class ConnectorCollection(CopyCollectionMixin, DaskCollectionMixin, NavisConnectorsMixin, HtmlCollectionMixin, Collection[Connector]):
    """Connectors, with complete links; CATMAID also finds them in a box (``bbox=(minx, miny,
    minz, maxx, maxy, maxz)`` in nm, or pymaid's ``[[minx, maxx], [miny, maxy], [minz, maxz]]``).

    >>> pn = NeuronCollection(name="PN VA6 left").fetch()[0]
    >>> c = Connector(x=5100, y=6100, z=900, links=[(pn.nodes.node_id[1], "presynaptic_to")]).save()
    >>> c.id in [x.id for x in ConnectorCollection(neuron=pn.id, relation="presynaptic_to").fetch()]
    True
    >>> c.id in [x.id for x in ConnectorCollection(bbox=(5000, 6000, 800, 5200, 6200, 1000)).fetch()]
    True
    >>> c.delete()
    """

    model = Connector


class VolumeCollection(CopyCollectionMixin, DaskCollectionMixin, HtmlCollectionMixin, Collection[Volume]):
    """Volumes (meshes are loaded on ``Volume.fetch``).

    >>> VolumeCollection(name="neuropil").fetch()
    <VolumeCollection of 0 Volumes name='neuropil'>
    """

    model = Volume


class OntologyCollection(CopyCollectionMixin, DaskCollectionMixin, HtmlCollectionMixin, Collection[Ontology]):
    """Ontologies visible to the user (Cytomine)."""

    model = Ontology


class TermCollection(CopyCollectionMixin, DaskCollectionMixin, HtmlCollectionMixin, Collection[Term]):
    """Terms (Cytomine), e.g. ``TermCollection(ontology=6836019).fetch()``."""

    model = Term


MODELS: tuple[type[Model], ...] = (Project, Neuron, Annotation, ImageInstance, Connector, Volume)
COLLECTIONS: tuple[type[Collection[Any]], ...] = (
    ProjectCollection,
    NeuronCollection,
    AnnotationCollection,
    ImageInstanceCollection,
    ConnectorCollection,
    VolumeCollection,
)


