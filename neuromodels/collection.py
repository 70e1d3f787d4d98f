"""The Collection base: a typed list of models with query modifiers, paging and batch writes."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Iterable, Iterator, MutableSequence, TypeVar, overload

import pandas as pd

from .connection import Connection
from .errors import PartialSaveError, ServerUnavailable
from .backends.base import UNSETTLED
from .model import Model
from .transfer import CopyCollectionMixin

if TYPE_CHECKING:
    from .backends.base import Resource

log = logging.getLogger("neuromodels")

M = TypeVar("M", bound=Model)


def outcome_unknown(error: BaseException) -> bool:
    """True when a write was sent but its reply lost, so it may or may not be stored."""
    if isinstance(error, ServerUnavailable) and getattr(error, "sent", False):
        return True
    return bool(getattr(error, "unknown_outcome", False))


class Collection(CopyCollectionMixin, MutableSequence[M], Generic[M]):
    """A list of models plus the query that fills it.

    Query modifiers go in as keywords or as attributes, and are checked against what the
    backend declares when the query runs, before any request::

        pns = NeuronCollection(annotation="PN").fetch()
        pns = NeuronCollection(); pns.annotation = "PN"; pns.fetch()
    """

    model: ClassVar[type[Model]] = Model

    def __init__(self, items: Iterable[M] | None = None, **modifiers: Any) -> None:
        object.__setattr__(self, "_items", [])
        object.__setattr__(self, "_modifiers", dict(modifiers))
        for item in items or []:
            self.append(item)

    # -- modifiers as attributes ------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or hasattr(type(self), name):
            object.__setattr__(self, name, value)
        else:
            self._modifiers[name] = value

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

    # -- list behaviour ------------------------------------------------------------------------------
    def _check(self, item: Any) -> M:
        if not isinstance(item, self.model):
            raise TypeError(f"{type(self).__name__} holds {self.model.__name__} models, not {type(item).__name__}")
        return item  # type: ignore[return-value]

    @overload
    def __getitem__(self, index: int) -> M: ...
    @overload
    def __getitem__(self, index: slice) -> "Collection[M]": ...
    def __getitem__(self, index: int | slice) -> "M | Collection[M]":
        if isinstance(index, slice):
            return type(self)(self._items[index], **self._modifiers)
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
        return f"<{type(self).__name__} of {len(self)} {self.model.__name__}{'s' if len(self) != 1 else ''}{' ' + mods if mods else ''}>"

    # -- querying -----------------------------------------------------------------------------------------
    def _resource(self, connection: Connection | None) -> tuple[Connection, "Resource"]:
        conn = Connection.current(connection)
        return conn, conn.backend.resource(self.model)

    def _checked_modifiers(self, conn: Connection, resource: "Resource") -> dict[str, Any]:
        resource.check_modifiers(conn, self._modifiers)
        return dict(self._modifiers)

    def filters(self, *, connection: Connection | None = None) -> dict[str, str]:
        """The filters this backend offers for this collection, with what each means.

        >>> # ImageInstanceCollection().filters()  -> {'project': '...'}
        """
        conn, resource = self._resource(connection)
        return {name: f.doc for name, f in resource.allowed_filters(conn).items()}

    def fetch(self, limit: int | None = None, *, connection: Connection | None = None, **options: Any) -> "Collection[M]":
        """Run the query and keep every result (all pages; at most ``limit``). Returns self.

        >>> # pns = NeuronCollection(annotation="PN").fetch()
        """
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise ValueError(f"limit must be a whole number >= 0, not {limit!r}")
        self._items = list(self._iterate(connection, limit, options))
        return self

    def fetch_with_filter(self, key: str, value: Any, *, connection: Connection | None = None, **options: Any) -> "Collection[M]":
        """Set one filter and fetch, as in the Cytomine client.

        >>> # ImageInstanceCollection().fetch_with_filter("project", 42)
        """
        self._modifiers[key] = value
        return self.fetch(connection=connection, **options)

    def iterator(self, *, connection: Connection | None = None, **options: Any) -> Iterator[M]:
        """Stream the query's results page by page without keeping them.

        >>> # for n in NeuronCollection(annotation="PN").iterator(): ...
        """
        return self._iterate(connection, None, options)

    def _iterate(self, connection: Connection | None, limit: int | None, options: dict[str, Any]) -> Iterator[M]:
        conn, resource = self._resource(connection)
        modifiers = self._checked_modifiers(conn, resource)
        if limit == 0:
            return iter(())
        pages = resource.pages(conn, modifiers, limit, **options)

        def generate() -> Iterator[M]:
            n = 0
            for page in pages:
                for model in page:
                    model.mark_clean()
                    yield model  # type: ignore[misc]
                    n += 1
                    if limit is not None and n >= limit:
                        return

        return generate()

    def count(self, *, connection: Connection | None = None) -> int:
        """How many objects match, asked of the server where it can tell."""
        conn, resource = self._resource(connection)
        return resource.count(conn, self._checked_modifiers(conn, resource))

    def to_dataframe(self) -> pd.DataFrame:
        """One row per model.

        >>> # NeuronCollection(annotation="PN").fetch().to_dataframe()
        """
        rows = [m.to_row() for m in self._items]
        if not rows:
            import attrs

            return pd.DataFrame(columns=[f.name for f in attrs.fields(self.model) if f.name != "extra"])
        return pd.DataFrame(rows)

    # -- writing --------------------------------------------------------------------------------------------
    def save(self, *, connection: Connection | None = None) -> "Collection[M]":
        """Create the new members and update the changed ones in as few requests as the server
        allows. Every created model gets its id.

        Raises :class:`PartialSaveError` when some items were not stored; calling ``save()``
        again resends the failed ones and settles the unknown ones by lookup.

        >>> # batch = AnnotationCollection([Annotation(...), ...]); batch.save()
        """
        conn, resource = self._resource(connection)
        modifiers = self._checked_modifiers(conn, resource) if self._modifiers else {}
        unknown = [m for m in self._items if m._save_state == "unknown"]
        new = [m for m in self._items if m.id is None and m._save_state != "unknown"]
        changed = [m for m in self._items if m.id is not None and m._save_state != "unknown" and m.changes()]
        # Bad input is refused before anything is sent.
        for m in new:
            resource.validate(m, "create")
        for m in changed:
            resource.validate(m, "update")
        saved: list[M] = []
        failed: list[tuple[M, BaseException]] = []
        unsettled: list[M] = []
        if unknown:
            found = resource.settle(conn, unknown)
            if found is None:
                unsettled = unknown
                log.warning("%d item(s) of an earlier save could not be settled; not resent", len(unknown))
            else:
                for model, id in zip(unknown, found):
                    if id is UNSETTLED:
                        unsettled.append(model)  # the lookup could not tell: not resent
                    elif id is None:
                        model._save_state = None
                        new.append(model)  # certainly not stored: send it again
                    else:
                        model.id = id
                        model.mark_clean()
                        saved.append(model)

        def record(models: list[M], errors: list[BaseException | None]) -> None:
            for model, error in zip(models, errors):
                if error is None:
                    model.mark_clean()
                    saved.append(model)
                elif outcome_unknown(error):
                    model._save_state = "unknown"
                    unsettled.append(model)
                else:
                    failed.append((model, error))

        if new:
            record(new, resource.create_many(conn, new, modifiers))
        if changed:
            record(changed, resource.update_many(conn, changed, modifiers))
        if failed or unsettled:
            parts = [f"{len(saved)} saved", f"{len(failed)} failed"]
            if unsettled:
                parts.append(f"{len(unsettled)} unknown (sent, reply lost; not resent to avoid duplicates)")
            first = failed[0][1] if failed else None
            message = ", ".join(parts) + (f"; first error: {first}" if first else "")
            raise PartialSaveError(message, saved=saved, failed=failed, unknown=unsettled)
        return self

    def delete(self, *, connection: Connection | None = None) -> None:
        """Delete every member on the server in as few requests as it allows.

        Deleted members leave the collection; on a partial failure the rest stay and
        :class:`PartialSaveError` says which.
        """
        conn, resource = self._resource(connection)
        members = [m for m in self._items if m.id is not None]
        if not members:
            return
        errors = resource.delete_many(conn, members)
        failed = [(m, e) for m, e in zip(members, errors) if e is not None]
        done = [m for m, e in zip(members, errors) if e is None]
        gone = {id(m) for m in done}
        self._items = [m for m in self._items if id(m) not in gone]
        if failed:
            raise PartialSaveError(
                f"{len(done)} deleted, {len(failed)} failed; first error: {failed[0][1]}",
                saved=done,
                failed=failed,
                unknown=[],
            )

