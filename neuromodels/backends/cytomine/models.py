"""Models only Cytomine has: where images come from (storages, uploaded files, abstract images
and slices), slices of image instances, tracks and annotation groups, saved filters, people
(user accounts, roles, representatives), their activity, and what hangs off any object
(properties, descriptions, tags, term relations).

They are exported from :mod:`neuromodels` and work like the shared models: ``fetch``,
``save``, ``update``, ``delete`` and a collection with declared filters. Wire shapes live in
:mod:`.wire_domains`, the requests in :mod:`.documents` and the modules beside it.

>>> store = Storage(name="scans").save()
>>> UploadedFile(name="slide.tif", filename="slide-1.tif", ext="tif", content_type="image/tiff",
...              storage=store.id, size=1).save().storage == store.id
True
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from ...connection import Connection
from ...core.model import Model, model


from .calls import _call


# -- images in --------------------------------------------------------------------------------------------
@model
class Storage(Model):
    """Where a user's uploaded files live (``user`` defaults to the connection's user)."""

    name: str | None = None
    user: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    def import_datasets(self, url: str, *, connection: Connection | None = None) -> Any:
        """Ask the image server (PIMS) at ``url`` to import the datasets it finds into this
        storage (``POST url?storage_id=``); returns its reply."""
        return _call(self, "import_datasets", connection, url)


@model
class UploadedFile(Model):
    """An uploaded file. :meth:`upload` sends an image to the upload server and comes back
    with the abstract images and image instances made from it in ``images``/``instances``."""

    name: str | None = None
    filename: str | None = None
    size: int | None = None
    ext: str | None = None
    content_type: str | None = None
    storage: int | None = None
    projects: list[int] | None = None
    user: int | None = None
    status: int | None = None
    parent: int | None = None
    images: list[Any] | None = attrs.field(default=None, repr=False)
    instances: list[Any] | None = attrs.field(default=None, repr=False)
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    untracked: ClassVar[frozenset[str]] = frozenset({"id", "extra", "images", "instances"})

    @classmethod
    def upload(cls, path: str, *, storage: int, project: int | None = None, properties: dict[str, Any] | None = None,
               sync: bool = False, connection: Connection | None = None) -> "UploadedFile":
        """Upload an image file (multipart ``POST /upload``) into ``storage``, placed in
        ``project`` when given; ``properties`` become key-value properties of the image.

        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "scan.tif")
        >>> with open(path, "wb") as fh:
        ...     _ = fh.write(b"II*\\x00" + bytes(60))
        >>> store = Storage(name="uploads").save()
        >>> done = UploadedFile.upload(path, storage=store.id)         # project=: placed there too
        >>> done.name, [i.name for i in done.images], done.instances
        ('scan.tif', ['scan.tif'], [])
        """
        return _call(cls, "upload", connection, str(path), storage, project, properties or {}, sync)  # type: ignore[no-any-return]


@model
class AbstractImage(Model):
    """An image file as the image server knows it, before it is placed in projects."""

    name: str | None = None
    uploaded_file: int | None = None
    width: int | None = None
    height: int | None = None
    depth: int | None = None
    duration: int | None = None
    channels: int | None = None
    magnification: int | None = None
    physical_size_x: float | None = None
    physical_size_y: float | None = None
    physical_size_z: float | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    def place(self, project: int, *, name: str | None = None, connection: Connection | None = None) -> Any:
        """Put this image in ``project``: a new image instance (with its slice instances)."""
        from ...models import ImageInstance

        return ImageInstance(project=project, name=name, extra={"baseImage": self.id}).save(connection=connection)


@model
class AbstractSlice(Model):
    """One plane (channel, z, time) of an abstract image."""

    image: int | None = None
    uploaded_file: int | None = None
    mime: str | None = None
    channel: int | None = None
    z: int | None = None
    time: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@model
class SliceInstance(Model):
    """One plane of an image instance (``channel``, ``z``, ``time`` come from its base slice)."""

    image: int | None = None
    project: int | None = None
    base_slice: int | None = None
    channel: int | None = None
    z: int | None = None
    time: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    def read_region(self, x: int, y: int, width: int, height: int, *, scale: float = 1.0,
                    connection: Connection | None = None) -> Any:
        """The pixels of a region of this slice as a numpy array (``sliceinstance/{id}/window``)."""
        from ...imaging import region

        return _call(self, "read_window", connection, region(x, y, width, height, 0, scale))


@model
class ImageGroup(Model):
    """Images of a project grouped together (the views of one specimen)."""

    name: str | None = None
    project: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@model
class ImageGroupImage(Model):
    """An image instance in an image group."""

    group: int | None = None
    image: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


# -- tracks and groups -------------------------------------------------------------------------------------
@model
class Track(Model):
    """A named, coloured track through the slices of an image (its project comes from it)."""

    name: str | None = None
    image: int | None = None
    color: str | None = None
    project: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@model
class AnnotationTrack(Model):
    """An annotation placed on a track."""

    annotation: int | None = None
    track: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@model
class AnnotationGroup(Model):
    """Annotations of an image group that show the same object (``type``: ``SAME_OBJECT``)."""

    project: int | None = None
    image_group: int | None = None
    type: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    def merge(self, other: "AnnotationGroup | int", *, connection: Connection | None = None) -> "AnnotationGroup":
        """Move the links of ``other`` into this group (the other group is deleted); returns
        this group, read again."""
        other_id = other.id if isinstance(other, AnnotationGroup) else other
        return _call(self, "merge", connection, other_id)  # type: ignore[no-any-return]


@model
class AnnotationLink(Model):
    """An annotation in an annotation group."""

    annotation: int | None = None
    group: int | None = None
    image: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@model
class AnnotationFilter(Model):
    """A saved annotation filter of a project: users and terms to show."""

    name: str | None = None
    project: int | None = None
    users: list[int] | None = None
    terms: list[int] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


# -- what hangs off any object ------------------------------------------------------------------------------
@model
class Property(Model):
    """A key-value property of any Cytomine object (project, image, annotation ...): make one
    with :meth:`on`, list them with ``PropertyCollection(project=...)`` (or ``image=``,
    ``annotation=``, ``domain=``)."""

    key: str | None = None
    value: str | None = None
    domain_class: str | None = None
    domain_id: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    @classmethod
    def on(cls, target: Model, key: str, value: Any) -> "Property":
        """A new (unsaved) property of ``target``.

        >>> project = Project.fetch(conn.project)
        >>> Property.on(project, "stain", "H&E").save().value
        'H&E'
        >>> {p.key: p.value for p in PropertyCollection(project=project.id).fetch()}["stain"]
        'H&E'
        """
        from .wire_domains import domain_of

        name, ident = domain_of(target)
        return cls(key=key, value=value, domain_class=name, domain_id=ident)


@model
class Description(Model):
    """The rich-text description of any Cytomine object: :meth:`on` makes one, :meth:`of`
    reads it.

    >>> project = Project.fetch(conn.project)
    >>> Description.on(project, "<p>about</p>").save().data
    '<p>about</p>'
    >>> Description.of(project).data
    '<p>about</p>'
    """

    data: str | None = None
    domain_class: str | None = None
    domain_id: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    @classmethod
    def on(cls, target: Model, data: str) -> "Description":
        """A new (unsaved) description of ``target``."""
        from .wire_domains import domain_of

        name, ident = domain_of(target)
        return cls(data=data, domain_class=name, domain_id=ident)

    @classmethod
    def of(cls, target: Model, *, connection: Connection | None = None) -> "Description":
        """The stored description of ``target`` (:class:`~neuromodels.NotFound` when it has none)."""
        found: Description = _call(cls, "read", connection, target)
        return found


@model
class Tag(Model):
    """A tag (the names ``tag()`` puts on objects), listed with ``TagCollection()``."""

    name: str | None = None
    user: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@model
class TermRelation(Model):
    """``parent`` is the parent term of ``child`` (Cytomine's ``parent`` relation)."""

    parent: int | None = None
    child: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


# People and their activity live in .people_models; they are Cytomine-only models too.
from .people_models import (  # noqa: E402
    AnnotationAction, ApiKeys, ImageConsultation, Position, ProjectConnection, ProjectRepresentative, Role, UserAccount,
)

__all__ = ["AbstractImage", "AbstractSlice", "AnnotationAction", "AnnotationFilter", "AnnotationGroup", "AnnotationLink",
           "AnnotationTrack", "ApiKeys", "Description", "ImageConsultation", "ImageGroup", "ImageGroupImage", "Position",
           "ProjectConnection", "ProjectRepresentative", "Property", "Role", "SliceInstance", "Storage", "Tag",
           "TermRelation", "Track", "UploadedFile", "UserAccount"]
