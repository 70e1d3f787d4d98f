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
from .backends.resource import Create, Delete, Settle, Settlement, Update, did_you_mean
from .connection import Connection
from .errors import NeuromodelsError, NotFound, NotSent, PartialSaveError, ServerUnavailable
from .model import Model, SaveState
from .transfer import CopyCollectionMixin

if TYPE_CHECKING:
    import pandas as pd

    from .backends.resource import Resource

log = logging.getLogger("neuromodels")

M = TypeVar("M", bound=Model)
C = TypeVar("C", bound="Collection[Any]")

_NO_VALUE: Any = object()


class UnknownFilter(ValueError, AttributeError):
    """A filter or modifier the backend does not offer: a ``ValueError`` (as API.md says of
    unknown filters) that is also an ``AttributeError`` when it was set as an attribute."""


def outcome_unknown(error: BaseException) -> bool:
    """True when a write was sent but its reply lost, so it may or may not be stored."""
    if not isinstance(error, NeuromodelsError):
        return False
    return error.outcome_unknown or (isinstance(error, ServerUnavailable) and error.sent)


class Collection(CopyCollectionMixin, MutableSequence[M], Generic[M]):
    """A list of models plus the query that fills it.

    Query modifiers go in as keywords or as attributes, and are checked against what the
    backend declares (when a connection is current, at once; else when the query runs), before
    any request::

        pns = NeuronCollection(annotation="PN").fetch()
        pns = NeuronCollection(); pns.annotation = "PN"; pns.fetch()
    """

    model: ClassVar[type[Model]] = Model

    def __init__(self, items: Iterable[M] | None = None, **modifiers: Any) -> None:
        object.__setattr__(self, "_items", [])
        object.__setattr__(self, "_modifiers", dict(modifiers))
        #: True for a slice: fetch() refreshes these members instead of running the query.
        object.__setattr__(self, "_members_only", False)
        object.__setattr__(self, "_lock", threading.RLock())
        # Keyword modifiers are checked when the query runs: ``connection=`` may name another
        # server than the current one.
        for item in items or []:
            self.append(item)

    # -- modifiers as attributes ------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or hasattr(type(self), name):
            object.__setattr__(self, name, value)
            return
        self._check_modifier_name(name)
        self._modifiers[name] = value

    def _check_modifier_name(self, name: str) -> None:
        """An attribute that is not a filter of the current connection's backend is refused;
        with no connection current the query checks it before its first request."""
        try:
            conn = Connection.current(None)
        except NeuromodelsError:
            return
        allowed = conn.backend.resource(self.model).allowed_filters(conn)
        if name not in allowed:
            raise UnknownFilter(
                f"unknown filter {name!r} for {self.model.__name__} on {conn.backend.name}"
                f"{did_you_mean(name, allowed)}; allowed: {', '.join(sorted(allowed)) or 'none'}")

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
    def modifiers(self) -> dict[str, Any]:
        """The query modifiers set on this collection."""
        return dict(self._modifiers)

    def where(self: C, **filters: Any) -> C:
        """A new collection with these filters added; this one is left as it is.

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
        return len(self._items)

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
        plural = "s" if len(self) != 1 else ""
        return f"<{type(self).__name__} of {len(self)} {self.model.__name__}{plural}{' ' + mods if mods else ''}>"

    # -- querying -----------------------------------------------------------------------------------------
    def _resource(self, connection: Connection | None) -> tuple[Connection, "Resource"]:
        conn = Connection.current(connection)
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
        self._items = list(self._iterate(connection, limit, options))
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
        """Set one filter and fetch, as in the Cytomine client.

        >>> stacks = ImageInstanceCollection().fetch_with_filter("project", conn.project)
        >>> stacks[0].name
        'Synthetic EM stack'
        """
        self._modifiers[key] = value
        return self.fetch(connection=connection, **options)

    def iterator(self, *, connection: Connection | None = None, **options: Any) -> Iterator[M]:
        """Stream the query's results page by page without keeping them.

        >>> names = [n.name for n in NeuronCollection(annotation="PN").iterator(nodes=False)]
        """
        return self._iterate(connection, None, options)

    def _iterate(self, connection: Connection | None, limit: int | None, options: dict[str, Any]) -> Iterator[M]:
        conn, resource = self._resource(connection)
        return operations.iterate(conn, resource, self._modifiers, limit, options)  # type: ignore[return-value]

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

        try:
            conn: Connection | None = Connection.current(connection)
        except NeuromodelsError:
            conn = None
        if conn is not None:
            rows = conn.backend.resource(self.model).rows(conn, list(self._items))
        else:
            rows = [m.to_row() for m in self._items]
        if not rows:
            return pd.DataFrame(columns=[n for n in self.model.field_names() if n != "extra"])
        return pd.DataFrame(rows)

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
        modifiers = dict(self._modifiers)
        if modifiers:
            resource.check_modifiers(conn, modifiers)
        unknown = [m for m in self._items if m.state is SaveState.UNKNOWN]
        new = [m for m in self._items if m.id is None and m.state is not SaveState.UNKNOWN]
        changed = [m for m in self._items
                   if m.id is not None and m.state in (SaveState.NEW, SaveState.STORED) and m.changes()]
        # What the backend cannot do, and bad input, are refused before anything is sent.
        if new:
            resource.require(Create)
        if changed:
            resource.require(Update)
        for m in changed + unknown:
            m.check_origin(conn, connection is not None)
        for m in new:
            operations.check_writable(resource, m, list(m.changes()), "create")
            resource.validate(m, "create")
        for m in changed:
            operations.check_writable(resource, m, list(m.changes()), "update")
            resource.validate(m, "update")
        saved: list[Any] = []
        failed: list[tuple[Any, BaseException]] = []
        unsettled: list[Any] = []
        reasons: list[str] = []
        if unknown:
            for model, found in zip(unknown, self._settle(conn, resource, unknown)):
                if found.status == "stored":
                    model.id = found.id
                    model.mark_clean()
                    model.bind(conn)
                    saved.append(model)
                elif found.status == "absent":
                    model.set_state(SaveState.NEW)
                    new.append(model)  # certainly not stored: send it again
                else:
                    unsettled.append(model)  # the lookup could not tell: not resent
                    reasons.append(found.reason)
        interrupted = False

        def record(models: list[Any], errors: list[BaseException | None]) -> None:
            nonlocal interrupted
            for model, error in zip(models, errors):
                if error is None:
                    model.mark_clean()
                    model.bind(conn)
                    saved.append(model)
                elif isinstance(error, NotSent):
                    interrupted = True  # never sent: left as it was, for the next save()
                elif outcome_unknown(error):
                    model.set_state(SaveState.UNKNOWN)
                    unsettled.append(model)
                else:
                    failed.append((model, error))

        if new:
            record(new, operations.create_many(conn, resource, new, modifiers))
        if changed:
            record(changed, operations.update_many(conn, resource, changed, modifiers))
        conn.transport.reraise_interrupt()  # what was and was not sent is recorded above
        if interrupted:
            raise KeyboardInterrupt
        if failed or unsettled:
            parts = [f"{len(saved)} saved", f"{len(failed)} failed"]
            if unsettled:
                parts.append(f"{len(unsettled)} unknown (sent, reply lost; not resent to avoid duplicates)")
            first = failed[0][1] if failed else None
            message = ", ".join(parts) + (f"; first error: {first}" if first else "")
            if reasons:
                message += f"; why unknown: {sorted(set(r for r in reasons if r))[:3]}"
            raise PartialSaveError(message, saved=saved, failed=failed, unknown=unsettled)

    @staticmethod
    def _settle(conn: Connection, resource: "Resource", unknown: list[Any]) -> list[Settlement]:
        if not isinstance(resource, Settle):
            log.warning("%d item(s) of an earlier save cannot be looked up on %s; not resent",
                        len(unknown), resource.backend_name)
            return [Settlement.unknown(f"{resource.backend_name} cannot look them up")] * len(unknown)
        try:
            found = resource.settle(conn, unknown)
        except NeuromodelsError as e:
            # Cannot look now: they stay unknown, and the rest of the round goes on.
            log.warning("settling %d item(s) failed (%s); they stay unknown", len(unknown), e)
            return [Settlement.unknown(f"the lookup failed: {e}")] * len(unknown)
        if len(found) != len(unknown):
            return [Settlement.unknown("the lookup answered for a different number of items")] * len(unknown)
        return found

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
        members = [m for m in self._items if m.id is not None and m.state is not SaveState.DELETED]
        if not members:
            return
        resource.require(Delete)
        for m in members:
            m.check_origin(conn, connection is not None)
        errors = operations.delete_many(conn, resource, members)
        done: list[Any] = []
        failed: list[tuple[Any, BaseException]] = []
        unknown: list[Any] = []
        interrupted = False
        for model, error in zip(members, errors):
            if error is None or (isinstance(error, NotFound) and model.state is SaveState.DELETING):
                model.set_state(SaveState.DELETED)
                done.append(model)
            elif isinstance(error, NotSent):
                interrupted = True
            elif outcome_unknown(error):
                model.set_state(SaveState.DELETING)
                unknown.append(model)
            else:
                failed.append((model, error))
        gone = {id(m) for m in done}
        self._items = [m for m in self._items if id(m) not in gone]
        conn.transport.reraise_interrupt()
        if interrupted:
            raise KeyboardInterrupt
        if failed or unknown:
            first = f"; first error: {failed[0][1]}" if failed else ""
            raise PartialSaveError(
                f"{len(done)} deleted, {len(failed)} failed, {len(unknown)} unknown{first}",
                saved=done, failed=failed, unknown=unknown)
