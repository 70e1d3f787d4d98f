"""The Collection base: a typed list of models with query modifiers, paging and batch writes.

A collection is a value: ``where()`` returns a new collection and leaves the original as it is
(copy-on-write, as in peewee); a slice of a fetched collection is a collection of those members,
whose ``fetch()`` refreshes those members instead of running the whole query again.

``count()`` with no argument asks the server how many objects match the query (API.md);
``count(model)`` with an argument is the list method, how often that model is a member.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Iterable, Iterator, MutableSequence, TypeVar, overload

from . import operations
from . import writes
from . import context
from .errors import NeuromodelsError, NotFetched
from .writes import WriteReport
from .model import Model
from .state import SaveState

if TYPE_CHECKING:
    from ..connection import Connection
    import pandas as pd

    from .capabilities import Resource

log = logging.getLogger("neuromodels")

M = TypeVar("M", bound=Model)
C = TypeVar("C", bound="Collection[Any]")

_NO_VALUE: Any = object()


class Collection(MutableSequence[M], Generic[M]):
    """A list of models plus the query that fills it.

    Query modifiers go in as keywords or as attributes, and are checked against what the
    backend declares (when a connection is current, at once; else when the query runs), before
    any request::

        pns = NeuronCollection(annotation="PN").fetch()
        pns = NeuronCollection(); pns.annotation = "PN"; pns.fetch()
    """

    model: ClassVar[type[Model]] = Model
    #: The :class:`~neuromodels.core.writes.WriteReport` of the last ``save()`` or ``delete()`` (also
    #: after Ctrl-C: what was saved and what was never sent).
    last_report: WriteReport | None = None

    def __init__(self, items: Iterable[M] | None = None, **modifiers: Any) -> None:
        object.__setattr__(self, "_items", [])
        object.__setattr__(self, "_modifiers", dict(modifiers))
        #: True for a slice: fetch() refreshes these members instead of running the query.
        object.__setattr__(self, "_members_only", False)
        object.__setattr__(self, "_lock", threading.RLock())
        #: Filled by fetch() (or given its members): an empty one that is neither is a query not run yet.
        object.__setattr__(self, "_fetched", items is not None)
        # Keyword modifiers are checked when the query runs: ``connection=`` may name another
        # server than the current one.
        for item in items or []:
            self.append(item)

    # -- pickling and copying: the state without the lock (a new one is made) ------------------------
    def __getstate__(self) -> dict[str, Any]:
        # The lock is made anew; the connection a fetch() was given stays behind (it holds
        # credentials and sockets): the copy works through the current connection or connection=.
        return {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_connection")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        object.__setattr__(self, "_lock", threading.RLock())

    def __copy__(self: C) -> C:
        """A new collection of the same models (as ``list.copy()``), with its own modifiers."""
        twin = type(self).__new__(type(self))
        twin.__setstate__({**self.__getstate__(), "_items": list(self._items),
                           "_modifiers": dict(self._modifiers)})
        return twin

    # -- modifiers as attributes ------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or hasattr(type(self), name):
            object.__setattr__(self, name, value)
            return
        self._check_modifier_name(name)
        self._modifiers[name] = value

    def _check_modifier_name(self, name: str, connection: Connection | None = None) -> None:
        """An attribute that is not a filter of the backend of ``connection`` (else the current
        connection's) is refused; with no connection the query checks it before its first request."""
        try:
            conn = context.current(connection)
        except NeuromodelsError:
            return
        conn.backend.resource(self.model).check_filter_name(conn, name)

    def __getattr__(self, name: str) -> Any:
        modifiers = self.__dict__.get("_modifiers", {})
        if name in modifiers:
            return modifiers[name]
        raise AttributeError(f"{type(self).__name__} has no attribute or modifier {name!r}")

    def __delattr__(self, name: str) -> None:
        if name in self._modifiers:
            del self._modifiers[name]
        else:
            object.__delattr__(self, name)

    @property
    def fetched(self) -> bool:
        """True once ``fetch()`` filled the collection, or when it was made from models."""
        return bool(self.__dict__.get("_fetched", True))

    @property
    def modifiers(self) -> dict[str, Any]:
        """The query modifiers set on this collection."""
        return dict(self._modifiers)

    def where(self: C, **filters: Any) -> C:
        """A new collection with these filters added (a filter given again replaces its value:
        ``where(annotation="left")`` on ``annotation="KC"`` asks for "left"; a list asks for all of
        them, ``annotation=["KC", "left"]``); this one is left as it is.

        It is a new query (run it with ``fetch()``), not a filter over the members already
        fetched. A filter this backend does not have is refused at once when a connection is
        current.

        >>> pns = NeuronCollection(annotation="PN")
        >>> right = pns.where(name="right")
        >>> pns.modifiers, right.modifiers
        ({'annotation': 'PN'}, {'annotation': 'PN', 'name': 'right'})
        """
        for name in filters:
            self._check_modifier_name(name)
        return type(self)(**{**self._modifiers, **filters})

    # -- list behaviour ------------------------------------------------------------------------------
    def _check(self, item: Any) -> M:
        if not isinstance(item, self.model):
            raise TypeError(f"{type(self).__name__} holds {self.model.__name__} models, not {type(item).__name__}")
        return item  # type: ignore[return-value]

    @overload
    def __getitem__(self, index: int) -> M: ...
    @overload
    def __getitem__(self: C, index: slice) -> C: ...
    def __getitem__(self, index: int | slice) -> Any:
        self._check_fetched()
        if isinstance(index, slice):
            part = type(self)(self._items[index], **self._modifiers)
            object.__setattr__(part, "_members_only", True)
            return part
        return self._items[index]

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            self._items[index] = [self._check(v) for v in value]
        else:
            self._items[index] = self._check(value)

    def __delitem__(self, index: Any) -> None:
        del self._items[index]

    def __len__(self) -> int:
        self._check_fetched()
        return len(self._items)

    def __iter__(self) -> Iterator[M]:
        self._check_fetched()
        return iter(self._items)

    def __contains__(self, value: object) -> bool:
        self._check_fetched()
        return value in self._items

    def _members(self) -> list[M]:
        """The members, for what works on them all (writes, tables, node loading): a query that
        has not run is refused (:class:`NotFetched`) rather than taken for an empty one."""
        self._check_fetched()
        return self._items

    def _check_fetched(self) -> None:
        """Reading a query that never ran is refused: empty, it would pass for "no matches"."""
        if self._modifiers and not self.fetched and not self._items:
            mods = ", ".join(f"{k}={v!r}" for k, v in self._modifiers.items())
            raise NotFetched(f"{type(self).__name__}({mods}) has not run its query: call .fetch() first "
                             f"(or .iterator() to stream the results, .count() for how many)")

    def append(self, value: M) -> None:
        # (not through len(): adding to a query that has not run is allowed)
        self._items.append(self._check(value))

    def __eq__(self, other: object) -> bool:
        # A collection equals a list (or collection) of the same models, as a list would.
        if isinstance(other, (list, Collection)):
            return list(self._items) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def insert(self, index: int, value: M) -> None:
        self._items.insert(index, self._check(value))

    def __repr__(self) -> str:
        mods = ", ".join(f"{k}={v!r}" for k, v in self._modifiers.items())
        if self._modifiers and not self.fetched and not self._items:
            return f"<{type(self).__name__} {mods} (not fetched)>"
        size = len(self._items)
        plural = "s" if size != 1 else ""
        return f"<{type(self).__name__} of {size} {self.model.__name__}{plural}{' ' + mods if mods else ''}>"

    # -- querying -----------------------------------------------------------------------------------------
    def _resource(self, connection: Connection | None) -> tuple[Connection, "Resource[Any]"]:
        conn = context.current(connection)
        return conn, conn.backend.resource(self.model)

    def filters(self, *, connection: Connection | None = None) -> dict[str, str]:
        """The filters this backend offers for this collection, with what each means."""
        conn, resource = self._resource(connection)
        return {name: f.doc for name, f in resource.allowed_filters(conn).items()}

    def fetch(self: C, limit: int | None = None, *, connection: Connection | None = None, **options: Any) -> C:
        """Run the query and keep every result (all pages; at most ``limit``). Returns self.

        On a slice, refreshes its members from the server instead.

        >>> pns = NeuronCollection(annotation="PN").fetch()
        >>> sorted(n.name for n in pns)
        ['PN VA6 left', 'PN VA6 right']
        >>> pns[0].annotations
        ['PN']
        """
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise ValueError(f"limit must be a whole number >= 0, not {limit!r}")
        if self._members_only:
            self._refresh(connection, options)
            return self
        conn, resource = self._resource(connection)
        self._items = list(operations.iterate(conn, resource, self._modifiers, limit, options, ("limit", "connection")))
        object.__setattr__(self, "_fetched", True)
        # The resource they came through: its table columns after the connection closed.
        object.__setattr__(self, "_rows_from", resource)
        if connection is not None:
            # Where these came from, for what works across servers (copy_to).
            object.__setattr__(self, "_connection", connection)
        return self

    def _refresh(self, connection: Connection | None, options: dict[str, Any]) -> None:
        members = [m for m in self._items if m.id is not None]
        if not members:
            return
        conn, resource = self._resource(connection)
        opts = operations.check_options(resource.list_options, options, f"{resource.model_name} collection fetch")
        context = {k: v for k, v in self._modifiers.items() if k in resource.context_modifiers}
        fresh = operations.fetch_ids(conn, resource, [m.id for m in members], context, opts)
        for model in members:
            model.assign(fresh[model.id])
            model.mark_clean()
            model.bind(conn)

    def fetch_with_filter(self: C, key: str, value: Any, *, connection: Connection | None = None,
                          **options: Any) -> C:
        """Set one filter on this collection and fetch into it, as the Cytomine client does
        (``ac.fetch_with_filter("project", 42); for a in ac: ...``); returns the collection.
        The in-place form of ``where(key=value).fetch()``: the filter name is checked the same way.

        >>> stacks = ImageInstanceCollection()
        >>> stacks.fetch_with_filter("project", conn.project) is stacks
        True
        >>> stacks[0].name, stacks.modifiers == {"project": conn.project}
        ('Synthetic EM stack', True)
        """
        self._check_modifier_name(key, connection)
        self._modifiers[key] = value
        return self.fetch(connection=connection, **options)

    def iterator(self, *, connection: Connection | None = None, **options: Any) -> Iterator[M]:
        """Stream the query's results page by page without keeping them.

        >>> names = [n.name for n in NeuronCollection(annotation="PN").iterator(nodes=False)]
        """
        conn, resource = self._resource(connection)
        return operations.iterate(conn, resource, self._modifiers, None, options)

    def count(self, value: Any = _NO_VALUE, *, connection: Connection | None = None) -> int:
        """How many objects match the query, asked of the server where it can tell.

        With an argument it is the list method: how often ``value`` is a member.
        """
        if value is not _NO_VALUE:
            return self._items.count(value)
        conn, resource = self._resource(connection)
        return operations.count(conn, resource, self._modifiers)

    def to_dataframe(self, *, connection: Connection | None = None) -> "pd.DataFrame":
        """One row per model, with the backend's own metadata as typed columns (when a
        connection is current or given; else the models' fields).

        >>> NeuronCollection(annotation="PN").fetch().to_dataframe().columns[0]
        'id'
        """
        import pandas as pd

        self._check_fetched()
        try:
            conn: Connection | None = context.current(connection)
        except NeuromodelsError:
            conn = None
        resource = conn.backend.resource(self.model) if conn is not None else self._loaded_from()
        rows = resource.rows(conn, list(self._items)) if resource is not None else [m.to_row() for m in self._items]
        if not rows:
            return pd.DataFrame(columns=[n for n in self.model.field_names() if n != "extra"])
        return pd.DataFrame(rows)

    def _loaded_from(self) -> "Resource[Any] | None":
        """The resource the members were fetched through (the same table after the connection
        closed), or None for a collection made from models."""
        resource: Resource[Any] | None = self.__dict__.get("_rows_from")
        return resource

    # -- writing --------------------------------------------------------------------------------------------
    def save(self: C, *, connection: Connection | None = None) -> C:
        """Create the new members and update the changed ones in as few requests as the server
        allows. Every created model gets its id.

        Raises :class:`PartialSaveError` when some items were not stored; calling ``save()``
        again resends the failed ones and settles the unknown ones by lookup. Two threads
        saving the same collection take turns, so each item is stored once.
        """
        with self._lock:
            self._save(connection)
        return self

    def _save(self, connection: Connection | None) -> None:
        conn, resource = self._resource(connection)
        try:
            report = writes.save_batch(conn, resource, list(self._members()), dict(self._modifiers),
                                       explicit=connection is not None)
        except KeyboardInterrupt as stop:
            object.__setattr__(self, "last_report", getattr(stop, "report", None))
            raise
        object.__setattr__(self, "last_report", report)
        report.raise_for_batch()

    def delete(self, *, connection: Connection | None = None) -> None:
        """Delete every member on the server in as few requests as it allows.

        Deleted members leave the collection; on a partial failure the rest stay and
        :class:`PartialSaveError` says which. Members whose delete reply was lost are finished
        by the next ``delete()`` (an object already gone counts as deleted).
        """
        with self._lock:
            self._delete(connection)

    def _delete(self, connection: Connection | None) -> None:
        conn, resource = self._resource(connection)
        try:
            report = writes.delete_batch(conn, resource, list(self._members()), explicit=connection is not None)
        except KeyboardInterrupt as stop:
            self._forget_deleted()
            object.__setattr__(self, "last_report", getattr(stop, "report", None))
            raise
        self._forget_deleted()
        object.__setattr__(self, "last_report", report)
        report.raise_for_batch()

    def _forget_deleted(self) -> None:
        self._items = [m for m in self._items if m.state is not SaveState.DELETED]
