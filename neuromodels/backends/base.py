"""What a backend declares.

A backend maps the shared models onto one server's wire format. It is a set of
:class:`Resource` declarations — one per model — plus an error parser and authentication.
A resource says what it can do by the mixins on its class line, and what it accepts as data:
``id_type``, ``filters``. Whatever it does not declare raises :class:`NotSupported` with the
reason given in ``not_supported``.

Backends hold no state: everything per-connection lives on the :class:`~neuromodels.Connection`
(``conn.cache`` for things read once, such as CATMAID's relation ids).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterator, Mapping, Sequence

import attrs
import requests

from ..errors import NeuromodelsError, NotSupported

if TYPE_CHECKING:
    from ..connection import Connection
    from ..model import Model


#: What :meth:`Resource.settle` returns for a model whose fate it cannot establish.
UNSETTLED = object()


@attrs.frozen
class Filter:
    """One declared collection filter: its name, the types it accepts and what it means.

    ``many=True`` also accepts a list or tuple of such values.
    """

    name: str
    types: tuple[type, ...]
    doc: str = ""
    many: bool = False
    check: Callable[[Any], None] | None = None

    def validate(self, value: Any) -> None:
        values = as_list(value) if self.many else [value]
        if self.many and isinstance(value, (list, tuple, set)) and not value:
            raise ValueError(f"filter {self.name!r} got an empty list")
        for v in values:
            if isinstance(v, bool) and bool not in self.types:
                raise TypeError(f"filter {self.name!r} takes {self._type_names()}, not a bool")
            if not isinstance(v, self.types):
                raise TypeError(f"filter {self.name!r} takes {self._type_names()}, not {type(v).__name__}")
            if isinstance(v, float) and not math.isfinite(v):
                raise ValueError(f"filter {self.name!r} got a non-finite number {v!r}")
            if self.check is not None:
                self.check(v)

    def _type_names(self) -> str:
        names = " or ".join(t.__name__ for t in self.types)
        return names + (" (or a list of them)" if self.many else "")


def as_list(value: Any) -> list[Any]:
    """A filter value as a list: a list, tuple or set as it is, anything else as one item."""
    return list(value) if isinstance(value, (list, tuple, set)) else [value]


#: The longest name the servers keep (CATMAID and Cytomine store names as varchar(255)).
MAX_NAME = 255


def check_name(name: Any, what: str) -> None:
    """A name is a non-empty string of at most :data:`MAX_NAME` characters."""
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a str, not {type(name).__name__}")
    if not name.strip():
        raise ValueError(f"{what} must not be empty")
    if len(name) > MAX_NAME:
        raise ValueError(f"{what} is {len(name)} characters; the server keeps at most {MAX_NAME}")


def check_id(value: Any, id_type: type, what: str = "id") -> Any:
    """Check an id against the backend's id type before any request is sent."""
    if id_type is int:
        if isinstance(value, bool) or not isinstance(value, int):
            # numpy integers are ints for our purpose; strings are not, even "16".
            if hasattr(value, "__index__") and not isinstance(value, bool):
                value = int(value.__index__())
            else:
                raise TypeError(f"{what} must be an int, not {type(value).__name__} ({value!r})")
        if value < 0:
            raise ValueError(f"{what} must not be negative: {value}")
        return value
    if id_type is str:
        if not isinstance(value, str):
            raise TypeError(f"{what} must be a str, not {type(value).__name__} ({value!r})")
        if not value or "/" in value:
            raise ValueError(f"{what} must be a non-empty name without '/': {value!r}")
        return value
    if not isinstance(value, id_type):
        raise TypeError(f"{what} must be {id_type.__name__}, not {type(value).__name__}")
    return value


class Resource:
    """How one model maps onto one backend. Subclasses mix in what the server can do.

    Every operation receives the connection; a resource never stores it.
    """

    #: The id type of this resource on this backend (int, or str for names).
    id_type: ClassVar[type] = int
    #: Collection filters this backend offers for the model.
    filters: ClassVar[Mapping[str, Filter]] = {}
    #: Why an operation is not supported, by operation name ("create", "update", "delete", ...).
    not_supported: ClassVar[Mapping[str, str]] = {}
    #: The backend's name, set by :class:`Backend`.
    backend_name: ClassVar[str] = ""
    #: The model's name, for messages.
    model_name: ClassVar[str] = ""

    def refuse(self, operation: str) -> NotSupported:
        reason = self.not_supported.get(operation) or f"this server has no way to {operation} it"
        return NotSupported(f"{self.backend_name} cannot {operation} {self.model_name}: {reason}")

    # Operations. The mixins below override the ones a server has.
    def fetch(self, conn: "Connection", model: "Model", id: Any, **options: Any) -> None:
        """Fill ``model`` from the server."""
        raise self.refuse("fetch")

    def create(self, conn: "Connection", model: "Model") -> None:
        raise self.refuse("create")

    def update(self, conn: "Connection", model: "Model", changes: Mapping[str, Any]) -> None:
        raise self.refuse("update")

    def delete(self, conn: "Connection", model: "Model") -> None:
        raise self.refuse("delete")

    def allowed_filters(self, conn: "Connection") -> Mapping[str, Filter]:
        """The filters a collection may use (servers that list their own fields override this)."""
        return self.filters

    def check_modifiers(self, conn: "Connection", modifiers: Mapping[str, Any]) -> None:
        """Refuse unknown filters and wrong value types before any request."""
        allowed = self.allowed_filters(conn)
        for name, value in modifiers.items():
            spec = allowed.get(name)
            if spec is None:
                names = ", ".join(sorted(allowed)) or "none"
                raise ValueError(
                    f"unknown filter {name!r} for {self.model_name} on {self.backend_name}; allowed: {names}"
                )
            spec.validate(value)

    def pages(
        self, conn: "Connection", modifiers: Mapping[str, Any], limit: int | None, **options: Any
    ) -> Iterator[Sequence["Model"]]:
        """Yield pages of models matching ``modifiers`` until complete (or ``limit`` items)."""
        raise self.refuse("list")

    def count(self, conn: "Connection", modifiers: Mapping[str, Any]) -> int:
        raise self.refuse("count")

    # Bulk forms. The defaults do one request per item in parallel; backends with bulk
    # endpoints override them.
    def create_many(
        self, conn: "Connection", models: Sequence["Model"], modifiers: Mapping[str, Any] | None = None
    ) -> list[BaseException | None]:
        """Create every model; return per model ``None`` (stored, id set) or the error.
        ``modifiers`` are the collection's (e.g. Clio's ``version``)."""
        if "create" in self.not_supported:
            raise self.refuse("create")
        return [o.error for o in conn.transport.map(lambda m: self.create(conn, m), models, desc="saving")]

    def update_many(
        self, conn: "Connection", models: Sequence["Model"], modifiers: Mapping[str, Any] | None = None
    ) -> list[BaseException | None]:
        """Send each model's changes; return per model ``None`` (stored) or the error."""
        outcomes = conn.transport.map(lambda m: self.update(conn, m, m.changes()), models, desc="updating")
        return [o.error for o in outcomes]

    def delete_many(self, conn: "Connection", models: Sequence["Model"]) -> list[BaseException | None]:
        if "delete" in self.not_supported:
            raise self.refuse("delete")
        return [o.error for o in conn.transport.map(lambda m: self.delete(conn, m), models, desc="deleting")]

    def settle(self, conn: "Connection", models: Sequence["Model"]) -> list[Any] | None:
        """For models whose create reply was lost: per model the id it got on the server,
        None where it was certainly not stored, or :data:`UNSETTLED` where the lookup cannot
        tell. Return None when this backend cannot look at all."""
        return None

    def download(self, conn: "Connection", model: "Model", path: str) -> str:
        raise self.refuse("download")

    def thumbnail(self, conn: "Connection", model: "Model", max_size: int) -> bytes:
        raise self.refuse("make a thumbnail of")

    def morphometry(self, conn: "Connection", model: "Model") -> dict[str, Any]:
        raise self.refuse("measure")

    def load_nodes(self, conn: "Connection", models: Sequence["Model"]) -> None:
        raise self.refuse("load nodes of")

    def validate(self, model: "Model", operation: str) -> None:
        """Check a model before any request is sent; raise ValueError/TypeError."""


def absent(reason: str) -> type[Resource]:
    """A declaration for a model the server does not hold: every operation is NotSupported."""

    class Absent(Resource):
        not_supported = {op: reason for op in ("fetch", "create", "update", "delete", "list", "count")}

    return Absent


def decode_json(response: requests.Response) -> Any:
    """The body as JSON, or None when it is empty or not JSON (error pages, cut-off bodies)."""
    import orjson

    try:
        return orjson.loads(response.content) if response.content else None
    except orjson.JSONDecodeError:
        return None


class Backend:
    """A server kind: its resources, its authentication and its error envelope.

    Subclasses declare ``name`` and ``resources`` (model class -> :class:`Resource` class).
    """

    name: ClassVar[str] = ""
    resources: ClassVar[Mapping[type, type[Resource]]] = {}
    #: Connection keywords this backend adds to the common ones.
    options: ClassVar[Mapping[str, Any]] = {}
    #: Default parallel requests for this server (a polite number for public servers).
    default_max_workers: ClassVar[int] = 8

    def __init__(self) -> None:
        self._instances: dict[type, Resource] = {}
        for model, resource_class in self.resources.items():
            resource = resource_class()
            resource.backend_name = self.name
            resource.model_name = model.__name__
            self._instances[model] = resource

    def resource(self, model: type) -> Resource:
        """The declaration for a model class (or NotSupported when the backend has none)."""
        for klass in model.__mro__:
            if klass in self._instances:
                return self._instances[klass]
        raise NotSupported(f"{self.name} has no {model.__name__}")

    # -- hooks every backend provides --------------------------------------------------------
    def auth(self, conn: "Connection") -> requests.auth.AuthBase | None:
        """Authentication for every request of ``conn``."""
        return None

    def error_from_response(self, response: requests.Response) -> NeuromodelsError | None:
        """Parse the server's error envelope; None for a success (also checks 200-with-error)."""
        return None

    def ping(self, conn: "Connection") -> Any:
        raise NotSupported(f"{self.name} has no ping")
