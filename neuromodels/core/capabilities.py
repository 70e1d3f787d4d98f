"""What a resource is and what it can do.

A resource maps one shared model onto one backend. It is its class line plus declarations::

    class CytomineTerm(CommandFetch[Term], CommandList[Term], CommandCreate[Term], CommandUpdate[Term],
                       CommandDelete[Term]):
        route = key = "term"
        filters = {"ontology": Filter("ontology", INT, "terms of this ontology id")}

The class line says what the server can do: one mixin per capability (:class:`Fetch`,
:class:`List`, :class:`Count`, :class:`Create`, :class:`Update`, :class:`Delete` and their bulk
forms), each generic in the model the resource maps, so that its methods take and return that
model (``create(conn, model: Term, ...)``) rather than ``Any``. A capability that is absent
raises :class:`~neuromodels.NotSupported` with the reason
from ``not_supported``; that table is the only place reasons live, and it never names a
capability that is present (a meta-test checks both).

A mixin asks for the primitive a server offers (``fetch_one``, ``pages``, ``create_chunk`` ...).
The rules of the contract around them — ids kept in order and missing ones reported, ``limit``,
``count`` falling back to paging, fetch options checked, chunk errors fanned out to their items,
a repeated page refused — are written once, in :mod:`neuromodels.core.operations`.
"""

from __future__ import annotations

import difflib
import numbers
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Iterator, Mapping, Sequence, TypeVar


from .errors import NotFound, NotSupported, UnknownFilter
from .backend import ConnectionState as ConnectionState  # re-exported: backends declare theirs from here
from .backend import Filter
from .paging import Page, Paging, SinglePage, Window, read_pages
from .partitions import LongTable, PartitionBy
from .routes import Route
from .state import Settlement as Settlement  # re-exported: what Settle answers

if TYPE_CHECKING:
    from ..connection import Connection
    from .model import Model

#: The model a resource maps (its class line names it: ``Fetch[Connector]``).
M = TypeVar("M", bound="Model")
R = TypeVar("R", bound="Resource[Any]")

#: Per model on a batch write: None (stored) or the error.
Errors = list["BaseException | None"]


def did_you_mean(name: str, choices: Iterator[str] | Sequence[str] | Mapping[str, Any]) -> str:
    """`` (did you mean 'x'?)`` for the close matches of a misspelt name, else ``""``."""
    close = difflib.get_close_matches(name, list(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"


class Resource(Generic[M]):
    """How one model maps onto one backend: declarations, plus the capabilities mixed in.

    Every operation receives the connection; a resource never stores it.
    """

    #: The id type of this resource on this backend (int, or str for names).
    id_type: ClassVar[type] = int
    #: Collection filters this backend offers for the model.
    filters: ClassVar[Mapping[str, Filter]] = {}
    #: Options ``Model.fetch`` accepts, with their defaults.
    fetch_options: ClassVar[Mapping[str, Any]] = {}
    #: Those of them that name the object instead of its id (NeuroMorpho's ``name``): an
    #: instance refreshed with one is looked up by it, not by the id it holds.
    lookup_options: ClassVar[frozenset[str]] = frozenset()
    #: Options ``Collection.fetch`` / ``iterator`` accept, with their defaults.
    list_options: ClassVar[Mapping[str, Any]] = {}
    #: Modifiers that say how to read or write (Clio's ``version``), not which objects match.
    context_modifiers: ClassVar[frozenset[str]] = frozenset()
    #: Fields an update can change; None: every tracked field.
    writable: ClassVar[frozenset[str] | None] = None
    #: Fields a create stores; None: the same as ``writable``.
    creatable: ClassVar[frozenset[str] | None] = None
    #: Why a capability is absent, by operation name ("create", "update", "delete", ...; "*" for
    #: every operation not named; "field <name>" for a field it cannot store).
    not_supported: ClassVar[Mapping[str, str]] = {}
    #: The request behind each operation the code sends with :meth:`send` (by operation name;
    #: :mod:`neuromodels.core.routes`); the docs' endpoint tables print the same values.
    requests: ClassVar[Mapping[str, Route]] = {}
    #: What ``requests`` cannot say, in prose for the docs: operations made of several requests,
    #: listings whose path depends on the filters.
    endpoints: ClassVar[Mapping[str, str]] = {}
    #: Set by :class:`~neuromodels.core.backend.Backend` on the instance it makes.
    backend_name: str = ""
    model_name: str = ""
    #: The operation a capability mixin provides ("" on the base).
    operation: ClassVar[str] = ""
    #: Where copies of this resource can come from (``copy_to``): source backend name -> the copier,
    #: as ``"module:function"`` (imported when a copy runs). Why one cannot: ``not_supported["copy"]``.
    copies_from: ClassVar[Mapping[str, str]] = {}
    #: A text field where a generic copy records its origin (``copied from <source>#<kind>/<id>``).
    copy_marker_field: ClassVar[str | None] = None
    #: How ``to_dask`` splits a listing when the server cannot fetch by ids (None: by ids).
    partition_by: ClassVar[PartitionBy | None] = None
    #: Long tables ``to_dask(table=...)`` can build from the fetched objects, by name.
    tables: ClassVar[Mapping[str, LongTable]] = {}
    #: Bulk forms: the most objects per request, and whether a batch is split into smaller
    #: chunks so that every parallel worker gets one (False: as few requests as possible).
    batch_size: ClassVar[int] = 100
    spread_chunks: ClassVar[bool] = True

    def refuse(self, operation: str) -> NotSupported:
        reason = (self.not_supported.get(operation) or self.not_supported.get("*")
                  or f"this server has no way to {operation} it")
        return NotSupported(f"{self.backend_name} cannot {operation} {self.model_name}: {reason}")

    def require(self, capability: type[R]) -> R:
        """This resource as ``capability``, or :class:`NotSupported` with the declared reason."""
        if not isinstance(self, capability):
            raise self.refuse(capability.operation)
        return self

    def can(self, capability: type["Resource[Any]"]) -> bool:
        return isinstance(self, capability)

    def send(self, conn: "Connection", operation: str, values: Mapping[str, Any] | None = None,
             **request: Any) -> Any:
        """The request declared for ``operation`` in ``requests``, its path filled from
        ``values`` (``{project}``: the connection's unless given); ``request``: the transport's
        keywords (``parse=``, ``json=`` …)."""
        route = self.requests[operation]
        filled = {"project": conn.project, **(values or {})}
        if route.reads:
            request.setdefault("read", True)
        return conn.transport.request(route.method, route.path_for(**filled), **request)

    # -- declarations read by the core -------------------------------------------------------
    def allowed_filters(self, conn: "Connection") -> Mapping[str, Filter]:
        """The filters a collection may use (servers that list their own fields override this)."""
        return self.filters

    def check_filter_name(self, conn: "Connection", name: str) -> Filter:
        """The filter called ``name``, or :class:`~neuromodels.core.errors.UnknownFilter` naming the
        close ones (the one check for ``where()``, attributes, ``fetch()`` and ``count()``)."""
        allowed = self.allowed_filters(conn)
        spec = allowed.get(name)
        if spec is None and name == "ids" and isinstance(self, Fetch):
            # Every resource that fetches by id answers ids=[...] (the core reads them, in order).
            return Filter("ids", (str,) if self.id_type is str else (numbers.Integral,), "ids, results in the order given",
                          many=True, check=None)
        if spec is None:
            names = ", ".join(sorted(allowed)) or "none"
            raise UnknownFilter(f"unknown filter {name!r} for {self.model_name} on {self.backend_name}"
                                f"{did_you_mean(name, allowed)}; allowed: {names}")
        return spec

    def accepts_ids(self, conn: "Connection") -> bool:
        """``ids=[...]`` is a filter here: declared, or answered by the core through Fetch."""
        return "ids" in self.allowed_filters(conn) or isinstance(self, Fetch)

    def check_modifiers(self, conn: "Connection", modifiers: Mapping[str, Any]) -> None:
        """Refuse unknown filters and wrong value types before any request."""
        for name, value in modifiers.items():
            self.check_filter_name(conn, name).validate(value)

    def validate(self, model: M, operation: str) -> None:
        """Check a model before any request is sent; raise ValueError/TypeError."""

    def rows(self, conn: "Connection | None", models: Sequence[M]) -> list[dict[str, Any]]:
        """One dict per model for ``to_dataframe()``: this backend's own metadata as typed
        columns, and no column that is always empty on this backend. ``conn`` is None when no
        connection is current (then only what the models hold is used)."""
        return [m.to_row() for m in models]

    def prepare(self, conn: "Connection", models: Sequence[M], operation: str) -> None:
        """Called once before a batch of ``operation`` ("update", "delete") is sent: resolve in
        bulk what every item's request needs (CATMAID maps skeleton ids to neuron ids here)."""


# -- reading -----------------------------------------------------------------------------------------
class Fetch(Resource[M]):
    """Reads one object by id: implement :meth:`fetch_one`."""

    operation = "fetch"

    def fetch_one(self, conn: "Connection", id: Any, **options: Any) -> M:
        """The object with ``id`` as a new model; :class:`NotFound` when there is none."""
        raise NotImplementedError

    def fetch_many(self, conn: "Connection", ids: Sequence[Any], context: Mapping[str, Any],
                   **options: Any) -> dict[Any, M]:
        """The objects found among ``ids`` (absent ones are left out), one request each, in
        parallel; ``context``: the collection's context modifiers. Servers with a bulk read mix
        in :class:`BulkFetch` instead."""
        outcomes = conn.transport.map(lambda i: self.fetch_one(conn, i, **options), ids, desc="fetching")
        found: dict[Any, M] = {}
        for i, outcome in zip(ids, outcomes):
            if outcome.error is None:
                found[i] = outcome.value
            elif not isinstance(outcome.error, NotFound):
                raise outcome.error
        return found


class BulkFetch(Fetch[M]):
    """Reads many objects by id in few requests: implement :meth:`fetch_many`."""

    def fetch_many(self, conn: "Connection", ids: Sequence[Any], context: Mapping[str, Any],
                   **options: Any) -> dict[Any, M]:
        raise NotImplementedError

    def fetch_one(self, conn: "Connection", id: Any, **options: Any) -> M:
        found = self.fetch_many(conn, [id], {}, **options)
        if id not in found:
            where = f" in project {conn.project!r}" if conn.project is not None else ""
            raise NotFound(f"no {self.model_name} {id!r}{where} on this {self.backend_name} server", missing=[id])
        return found[id]


class List(Resource[M]):
    """Lists objects matching filters: declare ``paging`` and implement :meth:`read_page` (the
    core reads the pages, :mod:`neuromodels.core.paging`), or implement :meth:`pages` whole."""

    operation = "list"
    #: How the server splits a listing (its page size included).
    paging: ClassVar[Paging] = SinglePage()

    def pages(self, conn: "Connection", modifiers: Mapping[str, Any], limit: int | None,
              **options: Any) -> Iterator[Sequence[M]]:
        """Yield pages of models until complete; ``limit`` is a hint for page sizes (the core
        stops at it). ``ids`` never reaches here: the core answers it through :class:`Fetch`."""
        return read_pages(conn, self.paging, lambda window: self.read_page(conn, modifiers, window, **options),
                          limit, desc=f"listing {self.model_name}s")

    def read_page(self, conn: "Connection", modifiers: Mapping[str, Any], window: Window,
                  **options: Any) -> Page[M]:
        """One page of the listing: the rows in ``window`` (``self.paging.params(window)`` says
        what the request carries) and the total where the server tells it."""
        raise NotImplementedError

    def match_ids(self, conn: "Connection", modifiers: Mapping[str, Any]) -> set[Any]:
        """Ids of the objects matching ``modifiers``, to narrow an ``ids=`` list by other filters."""
        return {m.id for page in self.pages(conn, modifiers, None) for m in page}


class Count(Resource[M]):
    """Asks the server how many objects match (without it the core counts the pages)."""

    operation = "count"

    def count(self, conn: "Connection", modifiers: Mapping[str, Any]) -> int:
        raise NotImplementedError


# -- writing ------------------------------------------------------------------------------------------
class Create(Resource[M]):
    """Creates one object: implement :meth:`create` (it sets ``model.id``)."""

    operation = "create"

    def create(self, conn: "Connection", model: M, modifiers: Mapping[str, Any]) -> None:
        raise NotImplementedError


class BulkCreate(Create[M]):
    """Creates a chunk of objects per request: implement :meth:`create_chunk`."""

    def create_chunk(self, conn: "Connection", chunk: Sequence[M], modifiers: Mapping[str, Any]) -> Errors:
        """Create ``chunk``; per model None (stored, id set) or its error."""
        raise NotImplementedError

    def create(self, conn: "Connection", model: M, modifiers: Mapping[str, Any]) -> None:
        """One model: a chunk of one, unless the server has a request of its own for it."""
        _raise_first(self.create_chunk(conn, [model], modifiers))


class Update(Resource[M]):
    """Sends one object's changes: implement :meth:`update`."""

    operation = "update"

    def update(self, conn: "Connection", model: M, changes: Mapping[str, Any],
               modifiers: Mapping[str, Any]) -> None:
        raise NotImplementedError


class BulkUpdate(Update[M]):
    """Sends the changes of a chunk of objects per request: implement :meth:`update_chunk`."""

    def update_chunk(self, conn: "Connection", chunk: Sequence[M], modifiers: Mapping[str, Any]) -> Errors:
        raise NotImplementedError

    def update(self, conn: "Connection", model: M, changes: Mapping[str, Any],
               modifiers: Mapping[str, Any]) -> None:
        _raise_first(self.update_chunk(conn, [model], modifiers))


class Delete(Resource[M]):
    """Deletes one object: implement :meth:`delete`."""

    operation = "delete"

    def delete(self, conn: "Connection", model: M) -> None:
        raise NotImplementedError


class BulkDelete(Delete[M]):
    """Deletes a chunk of objects per request: implement :meth:`delete_chunk`."""

    def delete_chunk(self, conn: "Connection", chunk: Sequence[M]) -> Errors:
        raise NotImplementedError

    def delete(self, conn: "Connection", model: M) -> None:
        _raise_first(self.delete_chunk(conn, [model]))


def _raise_first(errors: Errors) -> None:
    for error in errors:
        if error is not None:
            raise error


class Settle(Resource[M]):
    """Finds out what became of creates whose reply was lost: implement :meth:`settle`."""

    operation = "settle"
    #: ``settle`` also tells whether a lost *update* arrived (it compares the values); without it
    #: a lost update is sent again.
    settles_updates: ClassVar[bool] = False

    def settle(self, conn: "Connection", models: Sequence[M]) -> list[Settlement]:
        raise NotImplementedError


# -- what some servers add ----------------------------------------------------------------------------
class LoadNodes(Resource[M]):
    """Loads the node tables of many neurons in one parallel step."""

    operation = "load nodes of"

    def load_nodes(self, conn: "Connection", neurons: Sequence[M]) -> None:
        raise NotImplementedError


class Download(Resource[M]):
    """Downloads an image's original file."""

    operation = "download"

    def download(self, conn: "Connection", model: M, path: str) -> str:
        raise NotImplementedError


class Thumbnail(Resource[M]):
    """Renders a thumbnail of an image."""

    operation = "make a thumbnail of"

    def thumbnail(self, conn: "Connection", model: M, max_size: int) -> bytes:
        raise NotImplementedError


class Morphometry(Resource[M]):
    """The server's morphometry of a neuron."""

    operation = "measure"

    def morphometry(self, conn: "Connection", model: M) -> dict[str, Any]:
        raise NotImplementedError


#: Every capability mixin, for the meta-tests and the generated docs (capabilities declared in
#: other modules register themselves with :func:`capability`).
CAPABILITIES: tuple[type[Resource[Any]], ...] = (
    Fetch, List, Count, Create, Update, Delete, Settle, LoadNodes, Download, Thumbnail, Morphometry,
)


def capability(cls: type[R]) -> type[R]:
    """Register a capability mixin defined outside this module (tags, attachments ...), so the
    docs' tables and the meta-tests know it."""
    global CAPABILITIES
    if cls not in CAPABILITIES:
        CAPABILITIES = (*CAPABILITIES, cls)
    return cls
#: The operation names every resource answers for (reasons are declared for the absent ones).
BASIC_OPERATIONS = ("fetch", "list", "count", "create", "update", "delete")


def absent(reason: str) -> type[Resource[Any]]:
    """A declaration for a model the server does not hold: every operation is NotSupported."""

    class Absent(Resource[Any]):
        not_supported = {"*": reason, **{op: reason for op in BASIC_OPERATIONS}}

    return Absent

