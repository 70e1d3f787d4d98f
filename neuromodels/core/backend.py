"""What a backend declares.

A backend maps the shared models onto one server's wire format. It is a set of resource
declarations (:mod:`neuromodels.core.capabilities`) — one per model — plus an error parser and
authentication. This module holds what those declarations are made of: :class:`Filter`, the
id and name checks, and the :class:`Backend` class.

Backends hold no state: what is read once per connection (CATMAID's relation ids, the fields a
server lists) lives in a typed :class:`ConnectionState` (defined here, re-exported by
:mod:`neuromodels.core.capabilities` for the backends' declarations).
"""

from __future__ import annotations

import math
import threading
import weakref
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping, TypeVar

import attrs
import requests

from .errors import NeuromodelsError, NotSupported

S = TypeVar("S", bound="ConnectionState")
T = TypeVar("T")

if TYPE_CHECKING:
    from ..connection import Connection
    from .capabilities import Resource
    from .model import Model


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
        if self.many and (isinstance(value, (list, tuple, set)) or _is_array(value)) and not len(value):
            raise ValueError(f"filter {self.name!r} got an empty list")
        for v in values:
            if isinstance(v, bool) and bool not in self.types:
                raise TypeError(f"filter {self.name!r} takes {self._type_names()}, not a bool")
            if not isinstance(v, self.types):
                hint = f": write {int(v)} without quotes" if isinstance(v, str) and int in self.types \
                    and v.isascii() and v.isdigit() else ""
                raise TypeError(f"filter {self.name!r} takes {self._type_names()}, not {type(v).__name__}{hint}")
            if isinstance(v, float) and not math.isfinite(v):
                raise ValueError(f"filter {self.name!r} got a non-finite number {v!r}")
            if self.check is not None:
                self.check(v)

    def _type_names(self) -> str:
        names = " or ".join(t.__name__ for t in self.types)
        return names + (" (or a list of them)" if self.many else "")


def as_list(value: Any) -> list[Any]:
    """A filter value as a list: a list, tuple or set as it is, a numpy array or pandas Series
    or Index item by item, anything else as one item."""
    if isinstance(value, (list, tuple, set)):
        return list(value)
    if _is_array(value):
        return list(value.tolist())
    return [value]


def _is_array(value: Any) -> bool:
    """A one-dimensional numpy array or pandas Series/Index (without importing either)."""
    module = type(value).__module__.split(".")[0]
    return module in ("numpy", "pandas") and getattr(value, "ndim", 0) == 1


#: The largest id a server keeps (a signed 64-bit integer).
MAX_ID = 2**63 - 1

#: The longest name the servers keep (CATMAID and Cytomine store names as varchar(255)).
MAX_NAME = 255


def check_name(name: Any, what: str) -> None:
    """A name is a non-empty string of at most :data:`MAX_NAME` characters."""
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a str, not {type(name).__name__}")
    if not name.strip():
        raise ValueError(f"{what} must not be empty")
    if "\x00" in name:
        raise ValueError(f"{what} must not contain a NUL character: {name!r}")
    if len(name) > MAX_NAME:
        raise ValueError(f"{what} is {len(name)} characters; the server keeps at most {MAX_NAME}")


def required(value: T | None, what: str) -> T:
    """A field a request needs, known to be set (``validate`` checked it before any request):
    the value, typed without its None. Missing after all: ValueError, never a request with
    ``None`` in it."""
    if value is None:
        raise ValueError(f"{what} is missing")
    return value


def segment(value: Any) -> str:
    """A user value as one URL path segment: every reserved character percent-encoded, so that
    ``"VNC#x"`` or ``"a?b=1"`` can never reach another resource; dot segments and NUL refused."""
    from urllib.parse import quote

    text = str(value)
    if text in ("", ".", "..") or "\x00" in text:
        raise ValueError(f"{text!r} cannot be a name in a URL path")
    return quote(text, safe="")


def check_id(value: Any, id_type: type, what: str = "id") -> Any:
    """Check an id against the backend's id type before any request is sent."""
    if value is None:
        raise TypeError(f"{what} is not set (None)")
    if id_type is int:
        if isinstance(value, bool) or not isinstance(value, int):
            # numpy integers are ints for our purpose; strings are not, even "16": one rule for
            # every id, because a string id means a name on other servers (Clio's dataset "1").
            # Text from the environment, profiles and the command line is converted where it is read.
            if hasattr(value, "__index__") and not isinstance(value, bool):
                value = int(value.__index__())
            else:
                hint = f": write {int(value)} without quotes" if isinstance(value, str) and value.isascii() \
                    and value.isdigit() else ""
                raise TypeError(f"{what} must be an int, not {type(value).__name__} ({value!r}){hint}")
        if value < 0:
            raise ValueError(f"{what} must not be negative: {value}")
        if value > MAX_ID:
            raise ValueError(f"{what} is beyond the 64-bit ids servers keep: {value}")
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


def decode_json(response: requests.Response) -> Any:
    """The body as JSON, or None when it is empty or not JSON (error pages, cut-off bodies)."""
    import orjson

    try:
        return orjson.loads(response.content) if response.content else None
    except orjson.JSONDecodeError:
        return None


@attrs.frozen
class ForeignEnvironment:
    """Another client's environment variables a backend answers to, read by
    ``Connection.from_env()`` when ``NEUROMODELS_URL`` is unset (so a script set up for that
    client runs unchanged): the variable holding the server's URL, the connection keywords read
    from other variables, and the keywords that client assumes when their variable is unset.

    >>> env = ForeignEnvironment("LAB_SERVER", {"token": "LAB_TOKEN"}, {"project": 1})
    >>> env.url, dict(env.keywords), dict(env.defaults)
    ('LAB_SERVER', {'token': 'LAB_TOKEN'}, {'project': 1})
    """

    url: str
    keywords: Mapping[str, str] = attrs.field(factory=dict)
    defaults: Mapping[str, Any] = attrs.field(factory=dict)
    #: Who sets these variables, for messages ("pymaid's").
    client: str = ""


@attrs.frozen
class ServerIdentity:
    """How a server of a kind says what it is: a cheap, public GET every server of the kind
    answers, and a check of its JSON. When a request fails the way another kind of server would
    answer it, the transport asks this (:mod:`neuromodels.backends.identify`) and raises
    :class:`~neuromodels.core.errors.WrongServer` naming the kind that did answer.

    >>> who = ServerIdentity("Notes", "/notes/version", lambda body: isinstance(body, dict) and "notes" in body)
    >>> who.check({"notes": "1.0"}), who.check([])
    (True, False)
    """

    #: The kind's name for people ("CATMAID").
    label: str
    path: str
    check: Callable[[Any], bool]


class Backend:
    """A server kind: its resources, its authentication and its error envelope.

    Subclasses declare ``name`` and ``resources`` (model class -> :class:`Resource` class).
    A package makes its backend available to ``Connection(..., backend="name")`` by declaring
    it in the ``neuromodels.backends`` entry-point group (``name = package.module:Class``);
    code without a package calls :func:`neuromodels.connection.register_backend`. Either way,
    adding a backend edits no file of neuromodels.
    """

    name: ClassVar[str] = ""
    resources: ClassVar[Mapping[type[Model], type[Resource[Any]]]] = {}
    #: Connection keywords this backend adds to the common ones.
    options: ClassVar[Mapping[str, Any]] = {}
    #: Default parallel requests for this server (a polite number for public servers).
    default_max_workers: ClassVar[int] = 8
    #: The unit of the coordinates its servers store (``"1 nanometer"``), for conversions with
    #: navis; None: not known.
    units: ClassVar[str | None] = None
    #: Its part of ``neuromodels demo`` on its bundled server, as ``"module:function"`` (the
    #: function takes a print function), or None. Imported only when the demo runs.
    demo: ClassVar[str | None] = None
    #: Another client's environment variables ``Connection.from_env()`` reads for this backend.
    environment: ClassVar[ForeignEnvironment | None] = None
    #: How its servers say what they are (None: a wrong server is not told apart).
    identity: ClassVar[ServerIdentity | None] = None

    def __init__(self) -> None:
        self._instances: dict[type, Resource[Any]] = {}
        for model, resource_class in self.resources.items():
            resource = resource_class()
            resource.backend_name = self.name
            resource.model_name = model.__name__
            self._instances[model] = resource

    def resource(self, model: type) -> Resource[Any]:
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

    def hint(self, error: NeuromodelsError, ask: Callable[[str], Any]) -> str | None:
        """What was expected, for an error about a missing project, version or dataset: a
        sentence added to the error's message (None: nothing to add). ``ask(path)`` GETs a
        public path of the server once (its JSON, or None)."""
        return None

    def ping(self, conn: "Connection") -> Any:
        raise NotSupported(f"{self.name} has no ping")

    def check_project(self, project: Any) -> Any:
        """``Connection(project=...)`` checked when the connection is made, by the rule of the
        backend's project ids (:func:`check_id`): a CATMAID project is an int, so ``"1"`` is a
        TypeError at once rather than at the first request."""
        if project is None:
            return None
        # The shared Project model is declared by the backends; the core knows it by name only.
        declared = [resource for model, resource in self._instances.items() if model.__name__ == "Project"]
        if not declared or declared[0].not_supported.get("*"):
            return project  # no projects on this server kind: nothing to check it against
        return check_id(project, declared[0].id_type, f"project= of a {self.name} connection")


class ConnectionState:
    """Per-connection state of a backend (things read once, such as CATMAID's relation ids).

    Subclasses are attrs classes; ``State.of(conn)`` gives the one instance for that connection,
    created on first use. It lives as long as the connection.
    """

    _instances: ClassVar["weakref.WeakKeyDictionary[Any, dict[type, Any]]"] = weakref.WeakKeyDictionary()
    _lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def of(cls: type[S], conn: "Connection") -> S:
        with ConnectionState._lock:
            states = ConnectionState._instances.setdefault(conn, {})
            if cls not in states:
                states[cls] = cls()
            state: S = states[cls]
            return state
