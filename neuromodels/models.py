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

from .core.collection import Collection
from .connection import Connection
from .files import open_private
from .backends.extras import AttachableMixin, Members, TaggableMixin, Tags, User
from .core.capabilities import Download, Thumbnail
from .backends.workflow import DumpCropsMixin, ImageReviewMixin, MembershipMixin, ReviewMixin
from .core.model import Model, model
from .notebook import HtmlCollectionMixin, HtmlModelMixin
from .interop import NavisConnectorsMixin, TrimeshVolumeMixin
from .imaging import AnnotationCropMixin, ImageRegionMixin
from .distributed import DaskCollectionMixin
from .transfer import CopyCollectionMixin, CopyModelMixin
from .provenance import ProjectActivityMixin
from .neurons import Neuron as Neuron, NeuronCollection as NeuronCollection  # noqa: E402 - re-exported


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


