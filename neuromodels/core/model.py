"""The Model base: typed fields, change tracking, fetch / save / update / delete.

Change tracking compares the current field values with a snapshot taken when the model was
loaded or last saved. Comparing (rather than hooking ``__setattr__``) also catches in-place
changes to lists, dicts and DataFrames, which never pass through an attribute assignment.

The snapshot of a DataFrame costs no memory until it is edited: with pandas' copy-on-write
(the default from pandas 3), a shallow copy shares the data, and an in-place edit copies only the
edited block. On older pandas without copy-on-write the snapshot is a deep copy.
"""

from __future__ import annotations

import functools
import types
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Concatenate, Generic, ParamSpec, TypeVar, overload

import attrs

from .backend import check_id
from .capabilities import Resource, did_you_mean
from . import context
from . import operations
from . import writes
from .state import SaveState as SaveState  # re-exported: where users met it first
from .values import _frozen_copy, _plain, same

if TYPE_CHECKING:
    from ..connection import Connection
    from typing_extensions import dataclass_transform
else:
    def dataclass_transform(**kwargs: Any) -> Callable[[Any], Any]:
        return lambda f: f

M = TypeVar("M", bound="Model")
T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")


class hybridmethod(Generic[P, R]):
    """A method that works on the class and on an instance: ``Neuron.delete(id=5)`` is
    ``Neuron().delete(id=5)``. Accessed either way it is a real bound method, so ``help()``
    and :func:`inspect.signature` show its own docstring and parameters."""

    def __init__(self, func: Callable[Concatenate[Any, P], R]) -> None:
        self.func = func
        functools.update_wrapper(self, func)  # type: ignore[arg-type]

    def __get__(self, obj: Any, owner: type) -> Callable[P, R]:
        return types.MethodType(self.func, owner() if obj is None else obj)


class hybridfetch(Generic[P]):
    """:class:`hybridmethod` for a method returning the model itself, typed as the class it is
    called on: ``Neuron.fetch(16)`` is a ``Neuron`` to mypy and IDEs."""

    def __init__(self, func: Callable[Concatenate[Any, P], Any]) -> None:
        self.func = func
        functools.update_wrapper(self, func)  # type: ignore[arg-type]

    @overload
    def __get__(self, obj: None, owner: type[T]) -> Callable[P, T]: ...
    @overload
    def __get__(self, obj: T, owner: type[T]) -> Callable[P, T]: ...
    def __get__(self, obj: Any, owner: type[T]) -> Callable[P, T]:
        return types.MethodType(self.func, owner() if obj is None else obj)


_FIELDS: dict[type, tuple[str, ...]] = {}
_CONVERTERS: dict[type, dict[str, Any]] = {}


def _public_fields(cls: type) -> tuple[str, ...]:
    if cls not in _FIELDS:
        _FIELDS[cls] = tuple(f.name for f in attrs.fields(cls) if not f.name.startswith("_"))
    return _FIELDS[cls]


def _converters(cls: type) -> dict[str, Any]:
    """Field name -> its converter (None when it has none), for assignments."""
    if cls not in _CONVERTERS:
        _CONVERTERS[cls] = {f.name: f.converter for f in attrs.fields(cls)}
    return _CONVERTERS[cls]


def origin(conn: Connection) -> tuple[str, str, str]:
    """What names a server for a model: backend, URL and project."""
    return (conn.backend.name, conn.url, repr(conn.project))


@dataclass_transform(field_specifiers=(attrs.field,), eq_default=False)
def model(cls: type[M]) -> type[M]:
    """Declare a model class: an attrs class with slots, whose unknown attributes are refused
    (``n.nmae = "x"`` raises ``AttributeError`` naming ``name``)."""
    made = attrs.define(cls, slots=True, eq=False, on_setattr=attrs.setters.NO_OP)
    made.__init__ = _naming_unknown_keywords(made, made.__init__)  # type: ignore[method-assign]
    return made


def _naming_unknown_keywords(cls: type, init: Callable[..., None]) -> Callable[..., None]:
    """``Neuron(nmae="x")`` raises a ``TypeError`` that names the close fields."""

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            init(self, *args, **kwargs)
        except TypeError:
            fields = _public_fields(cls)
            unknown = [k for k in kwargs if k not in fields]
            if not unknown:
                raise
            raise TypeError(f"{cls.__name__} has no field {unknown[0]!r}{did_you_mean(unknown[0], fields)}; "
                            f"its fields: {', '.join(fields)}") from None

    return __init__


@model
class Model:
    """Base of every resource model. Subclasses are attrs classes whose fields all default to None.

    What a server returns beyond the declared fields stays in ``extra``.
    """

    id: Any = None
    _snapshot: dict[str, Any] | None = attrs.field(default=None, init=False, repr=False)
    _state: SaveState = attrs.field(default=SaveState.NEW, init=False, repr=False)
    #: Where a copy came from (set by ``copy_to``).
    _copied_from: Any = attrs.field(default=None, init=False, repr=False)
    #: The server (backend, URL, project) this model was loaded from or saved to.
    _origin: tuple[str, str, str] | None = attrs.field(default=None, init=False, repr=False)

    #: Fields never sent back to a server nor tracked for changes.
    untracked: ClassVar[frozenset[str]] = frozenset({"id", "extra"})

    def __setattr__(self, name: str, value: Any) -> None:
        convert = _converters(type(self))
        if name not in convert:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}"
                                 f"{did_you_mean(name, _public_fields(type(self)))}; "
                                 f"its fields: {', '.join(_public_fields(type(self)))}")
        converter = convert[name]
        object.__setattr__(self, name, value if converter is None else converter(value))

    # -- state ---------------------------------------------------------------------------------
    @property
    def state(self) -> SaveState:
        """Where this model stands with respect to the server (:class:`SaveState`)."""
        return self._state

    def set_state(self, state: SaveState) -> None:
        self._state = state

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The model's fields, in order."""
        return _public_fields(cls)

    # -- change tracking -----------------------------------------------------------------------
    @classmethod
    def tracked_fields(cls) -> list[str]:
        return [name for name in _public_fields(cls) if name not in cls.untracked]

    def mark_clean(self) -> None:
        """Take the snapshot that later changes are compared with (called after load/save)."""
        self._snapshot = {name: _frozen_copy(getattr(self, name)) for name in self.tracked_fields()}
        self._state = SaveState.STORED

    def changes(self) -> dict[str, Any]:
        """Fields that differ from the last loaded or saved state (all set fields for a new model)."""
        if self._snapshot is None:
            return {n: getattr(self, n) for n in self.tracked_fields() if getattr(self, n) is not None}
        return {
            name: getattr(self, name)
            for name in self.tracked_fields()
            if not same(getattr(self, name), self._snapshot.get(name))
        }

    def original(self, name: str) -> Any:
        """The value of a field as last loaded or saved (None for a new model)."""
        return None if self._snapshot is None else self._snapshot.get(name)

    def assign(self, other: "Model") -> None:
        """Copy every field of ``other`` (a freshly converted model) into this one."""
        for name in _public_fields(type(self)):
            setattr(self, name, getattr(other, name))

    # -- resolving where a call goes ---------------------------------------------------------------
    @classmethod
    def _resource(cls, connection: Connection | None) -> tuple[Connection, Resource[Any]]:
        conn = context.current(connection)
        return conn, conn.backend.resource(cls)

    def bind(self, conn: Connection) -> None:
        """Remember the server this model was loaded from or saved to."""
        self._origin = origin(conn)

    def check_origin(self, conn: Connection, explicit: bool) -> None:
        """A model loaded from one server is never written to another by accident: writing it
        through a different current connection needs ``connection=`` to say so."""
        if explicit or self._origin is None or self._origin == origin(conn):
            return
        backend, url, project = self._origin
        raise ValueError(
            f"this {type(self).__name__} ({self.id!r}) was loaded from {url} ({backend}, project {project}), "
            f"but the current connection is {conn.url} (project {conn.project!r}); pass connection= "
            "to write it there on purpose")

    # -- active record -----------------------------------------------------------------------------
    @hybridfetch
    def fetch(self, /, id: Any = None, *, connection: Connection | None = None, **options: Any) -> Any:
        """Load this model from the server; works on the class and on an instance.

        ``options`` are the backend's (CATMAID and NeuroMorpho: ``nodes=``; NeuroMorpho also
        ``name=``); an unknown one is a ``TypeError`` naming those accepted.

        >>> skid = NeuronCollection(name="PN VA6 right").fetch(nodes=False)[0].id
        >>> n = Neuron.fetch(skid)               # the class form
        >>> n.name, len(n.nodes)
        ('PN VA6 right', 3)
        >>> Neuron().fetch(id=skid).name         # the instance form, as in the Cytomine client
        'PN VA6 right'
        >>> n.fetch() is n                        # refresh from the server
        True
        """
        conn, resource = self._resource(connection)
        by_lookup = bool(set(options) & resource.lookup_options)
        if id is None and not by_lookup:
            id = self.id  # a refresh, with or without options (n.fetch(nodes=False))
            if id is None:
                raise ValueError(f"{type(self).__name__}.fetch needs an id")
        loaded = operations.fetch_one(conn, resource, id, options)
        self.assign(loaded)
        self.mark_clean()
        self.bind(conn)
        return self

    def save(self: M, *, connection: Connection | None = None) -> M:
        """Create the model when it has no id, else send what changed. Returns the model.

        A batch of one: the same contract as ``Collection.save()`` (:mod:`neuromodels.core.writes`).
        When the reply is lost the model is left :attr:`SaveState.UNKNOWN` and the error has
        ``outcome_unknown`` set; calling ``save()`` again looks on the server before resending a
        create, so it is never stored twice (a lost update is sent again: it sets the same values).

        >>> new = Neuron.from_swc("1 1 0 0 0 1 -1\\n2 3 10 0 0 1 1\\n", name="doctest").save()
        >>> new.id is not None
        True
        >>> new.delete()
        """
        conn, resource = self._resource(connection)
        writes.save_batch(conn, resource, [self], {}, explicit=connection is not None).raise_for_one()
        return self

    def update(self: M, *, connection: Connection | None = None, **changes: Any) -> M:
        """Set ``changes`` (if any) and send what differs from the loaded state.

        Nothing changed: no request is sent. A change refused before sending (a field this
        server cannot store, a value of the wrong kind, a deleted model) leaves the model as it
        was. On a model whose earlier update reply was lost, ``update()`` sends the changes again,
        as ``save()`` does (where the resource declares ``settles_updates``, both look first).

        >>> n = NeuronCollection(name="PN VA6 right").fetch()[0]
        >>> n.update(name="PN VA6 right (checked)").name
        'PN VA6 right (checked)'
        >>> n.name = "PN VA6 right"
        >>> n.changes()
        {'name': 'PN VA6 right'}
        >>> n.update().changes()
        {}
        """
        names = _public_fields(type(self))
        for name in changes:
            if name not in names:
                raise TypeError(f"{type(self).__name__} has no field {name!r}{did_you_mean(name, names)}")
        conn, resource = self._resource(connection)
        if self.id is None:
            raise ValueError(f"this {type(self).__name__} has no id yet; save() creates it")
        check_id(self.id, resource.id_type, f"{type(self).__name__} id")
        self.check_origin(conn, connection is not None)
        before = {name: getattr(self, name) for name in changes}
        state_before = self._state
        try:
            for name, value in changes.items():
                setattr(self, name, value)
            # The batch of one refuses before sending what cannot be sent (an update this
            # server cannot make included); it raises nothing after a request (what happened
            # to it is in the report).
            report = writes.save_batch(conn, resource, [self], {}, explicit=connection is not None)
        except Exception:
            for name, value in before.items():  # refused before anything was sent: as it was
                object.__setattr__(self, name, value)
            self._state = state_before
            raise
        report.raise_for_one()
        return self

    @hybridmethod
    def delete(self, /, id: Any = None, *, connection: Connection | None = None) -> None:
        """Delete this model (or the one with ``id``) on the server.

        A batch of one, as ``Collection.delete()``: a delete whose reply was lost leaves the
        model in :attr:`SaveState.DELETING`; calling ``delete()`` again finishes it (an object
        already gone counts as deleted).

        >>> Neuron.from_swc("1 1 0 0 0 1 -1\\n", name="doomed").save().delete()
        """
        conn, resource = self._resource(connection)
        if id is not None:
            self.id = id
            self._origin = None  # the id given names an object of the current server
        if self.id is None:
            raise ValueError(f"{type(self).__name__}.delete needs an id")
        if self._state is SaveState.DELETED:
            self._state = SaveState.STORED  # deleting again asks the server (it says "not found")
        writes.delete_batch(conn, resource, [self], explicit=connection is not None).raise_for_one()

    # -- plain data ----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The fields as plain Python data (DataFrames as lists of records, geometries as WKT)."""
        return {name: _plain(getattr(self, name)) for name in _public_fields(type(self))}

    def to_row(self) -> dict[str, Any]:
        """One DataFrame row: scalar fields as they are, tables and arrays by their length."""
        import numpy as np
        import pandas as pd

        row: dict[str, Any] = {}
        for name in _public_fields(type(self)):
            if name == "extra":
                continue
            value = getattr(self, name)
            if isinstance(value, (pd.DataFrame, np.ndarray)):
                row[f"n_{name}"] = len(value)
            else:
                row[name] = value
        return row
