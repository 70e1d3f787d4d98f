"""The Model base: typed fields, change tracking, fetch / save / update / delete.

Change tracking compares the current field values with a snapshot taken when the model was
loaded or last saved. Comparing (rather than hooking ``__setattr__``) also catches in-place
changes to lists, dicts and DataFrames, which never pass through an attribute assignment.
"""

from __future__ import annotations

import copy
import functools
import math
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Generic, TypeVar

import attrs
import numpy as np
import pandas as pd

from .backends.base import check_id
from .connection import Connection
from .transfer import CopyModelMixin

if TYPE_CHECKING:
    from .backends.base import Resource

M = TypeVar("M", bound="Model")
F = TypeVar("F", bound=Callable[..., Any])


class hybridmethod(Generic[F]):
    """A method that works on the class and on an instance: ``Neuron.fetch(16)`` is
    ``Neuron().fetch(16)``."""

    def __init__(self, func: F) -> None:
        self.func = func
        functools.update_wrapper(self, func)  # type: ignore[arg-type]

    def __get__(self, obj: Any, cls: type) -> F:
        target = cls() if obj is None else obj
        return functools.partial(self.func, target)  # type: ignore[return-value]


def _frozen_copy(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return value.copy(deep=True)
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, dict, set, tuple)):
        return copy.deepcopy(value)
    return value  # scalars and immutable values (shapely geometries) are shared


def same(a: Any, b: Any) -> bool:
    """Value equality that understands DataFrames, arrays, geometries and NaN."""
    if a is b:
        return True
    if isinstance(a, pd.DataFrame) or isinstance(b, pd.DataFrame):
        return isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame) and a.equals(b)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        try:
            return bool(np.array_equal(np.asarray(a), np.asarray(b)))
        except (TypeError, ValueError):
            return False
    if hasattr(a, "equals") and hasattr(b, "equals") and hasattr(a, "geom_type"):
        return bool(a.equals(b)) and a.geom_type == b.geom_type
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    """Plain Python data for ``to_dict``."""
    if isinstance(value, pd.DataFrame):
        return value.to_dict("records")
    if isinstance(value, np.ndarray):
        return value.tolist()
    if hasattr(value, "wkt") and hasattr(value, "geom_type"):
        return value.wkt
    if attrs.has(type(value)):
        return {k: _plain(v) for k, v in attrs.asdict(value, recurse=False).items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


@attrs.define(slots=False, eq=False)
class Model(CopyModelMixin):
    """Base of every resource model. Subclasses are attrs classes whose fields all default to None.

    What a server returns beyond the declared fields stays in ``extra``.
    """

    id: Any = None

    #: Fields never sent back to a server nor tracked for changes.
    untracked: ClassVar[frozenset[str]] = frozenset({"id", "extra"})

    def __attrs_post_init__(self) -> None:
        self._snapshot: dict[str, Any] | None = None
        #: "unknown" when a batch save sent this model but lost the reply.
        self._save_state: str | None = None

    # -- change tracking -----------------------------------------------------------------------
    @classmethod
    def tracked_fields(cls) -> list[str]:
        return [f.name for f in attrs.fields(cls) if f.name not in cls.untracked]

    def mark_clean(self) -> None:
        """Take the snapshot that later changes are compared with (called after load/save)."""
        self._snapshot = {name: _frozen_copy(getattr(self, name)) for name in self.tracked_fields()}
        self._save_state = None

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
        for f in attrs.fields(type(self)):
            setattr(self, f.name, getattr(other, f.name))

    # -- resolving where a call goes ---------------------------------------------------------------
    @classmethod
    def _resource(cls, connection: Connection | None) -> tuple[Connection, "Resource"]:
        conn = Connection.current(connection)
        return conn, conn.backend.resource(cls)

    # -- active record -----------------------------------------------------------------------------
    @hybridmethod
    def fetch(self: M, id: Any = None, *, connection: Connection | None = None, **options: Any) -> M:
        """Load this model from the server; works on the class and on an instance.

        >>> # n = Neuron.fetch(16); n = Neuron().fetch(id=16); n.fetch()  # refresh
        """
        conn, resource = self._resource(connection)
        if id is None and not options:
            id = self.id
            if id is None:
                raise ValueError(f"{type(self).__name__}.fetch needs an id")
        if id is not None:
            id = check_id(id, resource.id_type, f"{type(self).__name__} id")
        resource.fetch(conn, self, id, **options)
        self.mark_clean()
        return self

    def save(self: M, *, connection: Connection | None = None) -> M:
        """Create the model when it has no id, else send what changed. Returns the model.

        >>> # new = Neuron.from_swc("cell.swc", name="imported").save(); new.id
        """
        conn, resource = self._resource(connection)
        if self.id is None:
            resource.validate(self, "create")
            resource.create(conn, self)
            self.mark_clean()
            return self
        return self.update(connection=connection)

    def update(self: M, *, connection: Connection | None = None, **changes: Any) -> M:
        """Set ``changes`` (if any) and send what differs from the loaded state.

        Nothing changed: no request is sent.

        >>> # n.update(name="PN VA6 left")
        """
        names = {f.name for f in attrs.fields(type(self))}
        unknown = set(changes) - names
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field(s) {', '.join(sorted(unknown))}")
        conn, resource = self._resource(connection)
        if self.id is None:
            raise ValueError(f"this {type(self).__name__} has no id yet; save() creates it")
        check_id(self.id, resource.id_type, f"{type(self).__name__} id")
        for name, value in changes.items():
            setattr(self, name, value)
        diff = self.changes()
        if not diff:
            return self
        resource.validate(self, "update")
        resource.update(conn, self, diff)
        self.mark_clean()
        return self

    @hybridmethod
    def delete(self, id: Any = None, *, connection: Connection | None = None) -> None:
        """Delete this model (or the one with ``id``) on the server.

        >>> # n.delete(); Neuron().delete(id=123)
        """
        conn, resource = self._resource(connection)
        if id is not None:
            self.id = id
        if self.id is None:
            raise ValueError(f"{type(self).__name__}.delete needs an id")
        self.id = check_id(self.id, resource.id_type, f"{type(self).__name__} id")
        resource.delete(conn, self)

    # -- plain data ----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The fields as plain Python data (DataFrames as lists of records, geometries as WKT)."""
        return {f.name: _plain(getattr(self, f.name)) for f in attrs.fields(type(self))}

    def to_row(self) -> dict[str, Any]:
        """One DataFrame row: scalar fields as they are, tables and arrays by their length."""
        row: dict[str, Any] = {}
        for f in attrs.fields(type(self)):
            if f.name == "extra":
                continue
            value = getattr(self, f.name)
            if isinstance(value, (pd.DataFrame, np.ndarray)):
                row[f"n_{f.name}"] = len(value)
            else:
                row[f.name] = value
        return row
