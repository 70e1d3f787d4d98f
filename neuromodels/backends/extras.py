"""Capabilities some servers add around their objects: tags, attached files, users.

Each is a capability mixin in the style of :mod:`neuromodels.core.capabilities`: a resource that
mixes it in implements its primitive, and the public model method calls
``resource.require(Capability)``, so a backend without it raises
:class:`~neuromodels.NotSupported` with the reason from its ``not_supported`` table.

The values they return are small frozen records (:class:`User`, :class:`AttachedFile`), not
savable models. Key-value properties need no capability of their own: they are the
``properties`` field of a model, stored like any other field where a backend declares it
writable.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING, Any, Sequence

import attrs

from ..core.capabilities import M, Resource, capability

if TYPE_CHECKING:
    from ..connection import Connection


@attrs.frozen
class User:
    """A user account as a server describes it (never with its keys).

    ``extra`` keeps what the server says beyond these fields."""

    id: int
    username: str | None = None
    name: str | None = None
    email: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class AttachedFile:
    """A file attached to a server object (``model.attach(path)``); ``download(path)`` fetches it.

    ``owner`` is the model class it hangs off, so that ``download`` finds the backend's resource.
    """

    id: int
    filename: str
    created: dt.datetime | None = None
    key: str | None = None
    owner: type | None = attrs.field(default=None, repr=False, eq=False)
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    def download(self, path: str, *, connection: "Connection | None" = None) -> str:
        """Write the file's bytes to ``path``; returns the path.

        >>> import os, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> with open(os.path.join(folder, "notes.txt"), "w") as fh:
        ...     _ = fh.write("stain: H&E")
        >>> attached = Project.fetch(conn.project).attach(os.path.join(folder, "notes.txt"))
        >>> copy = attached.download(os.path.join(folder, "copy.txt"))
        >>> open(copy).read()
        'stain: H&E'

        """
        from ..connection import Connection
        from ..core.model import Model

        conn = Connection.current(connection)
        owner = self.owner if self.owner is not None else Model
        resource = conn.backend.resource(owner)
        return resource.require(Attachments).download_attachment(conn, self, str(path))


@capability
class Tags(Resource[M]):
    """Named tags on objects (Cytomine's tags and tag-domain associations)."""

    operation = "tag"

    def tags(self, conn: "Connection", model: M) -> list[str]:
        raise NotImplementedError

    def add_tags(self, conn: "Connection", models: Sequence[M], names: Sequence[str]) -> None:
        """Tag every model with every name (tags that do not exist yet are created)."""
        raise NotImplementedError

    def remove_tags(self, conn: "Connection", model: M, names: Sequence[str]) -> None:
        raise NotImplementedError


@capability
class Attachments(Resource[M]):
    """Files attached to objects: upload, list, download."""

    operation = "attach files to"

    def attach(self, conn: "Connection", model: M, path: str, filename: str | None) -> AttachedFile:
        raise NotImplementedError

    def attachments(self, conn: "Connection", model: M) -> list[AttachedFile]:
        raise NotImplementedError

    def download_attachment(self, conn: "Connection", attachment: AttachedFile, path: str) -> str:
        raise NotImplementedError


@capability
class Members(Resource[M]):
    """The users of a project, and the user a connection acts as."""

    operation = "list the members of"

    def members(self, conn: "Connection", model: M, managers: bool) -> list[User]:
        raise NotImplementedError

    def current_user(self, conn: "Connection") -> User:
        raise NotImplementedError


# -- what models gain ------------------------------------------------------------------------------------
def _resource(model: Any, connection: "Connection | None") -> tuple["Connection", Resource[Any]]:
    """The connection a call uses and the model's resource on it (as ``Model._resource``)."""
    from ..connection import Connection

    conn = Connection.current(connection)
    return conn, conn.backend.resource(type(model))


class TaggableMixin:
    """``tags()``, ``tag(*names)`` and ``untag(*names)`` on a model (Cytomine: annotations,
    images and projects)."""

    __slots__ = ()

    def tags(self, *, connection: "Connection | None" = None) -> list[str]:
        """The names of this object's tags.

        >>> image = ImageInstanceCollection().fetch()[0]
        >>> image.tag("reviewed").tags(), image.untag("reviewed").tags()
        (['reviewed'], [])
        """
        conn, resource = _resource(self, connection)
        return resource.require(Tags).tags(conn, self)

    def tag(self, *names: str, connection: "Connection | None" = None) -> Any:
        """Tag this object with ``names`` (tags the server does not know yet are created;
        tagging twice is harmless). Returns the model."""
        conn, resource = _resource(self, connection)
        resource.require(Tags).add_tags(conn, [self], list(names))
        return self

    def untag(self, *names: str, connection: "Connection | None" = None) -> Any:
        """Remove these tags from this object (the tags themselves stay). Returns the model."""
        conn, resource = _resource(self, connection)
        resource.require(Tags).remove_tags(conn, self, list(names))
        return self


class AttachableMixin:
    """``attach(path)`` and ``attachments()`` on a model (Cytomine: annotations, images, projects)."""

    __slots__ = ()

    def attach(self, path: "str | os.PathLike[str]", *, filename: str | None = None,
               connection: "Connection | None" = None) -> AttachedFile:
        """Upload the file at ``path`` and attach it to this object; returns its record.

        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "protocol.txt")
        >>> with open(path, "w") as fh:
        ...     _ = fh.write("fixed in formalin")
        >>> project = Project.fetch(conn.project)          # conn: a current Cytomine connection
        >>> project.attach(path).filename, [f.filename for f in project.attachments()]
        ('protocol.txt', ['protocol.txt'])
        """
        conn, resource = _resource(self, connection)
        return resource.require(Attachments).attach(conn, self, os.fspath(path), filename)

    def attachments(self, *, connection: "Connection | None" = None) -> list[AttachedFile]:
        """The files attached to this object (each with ``.download(path)``)."""
        conn, resource = _resource(self, connection)
        return resource.require(Attachments).attachments(conn, self)


#: The capabilities of this module, for the meta-tests and the generated docs.
EXTRA_CAPABILITIES: tuple[type[Resource[Any]], ...] = (Tags, Attachments, Members)
