"""What settling lost creates rests on, for every backend: who claimed which server object, and
looking items up one by one so that one failed lookup leaves only its own item unknown.

The rule (docs/design.rst, "Writes: one contract for a model and a batch"): an item whose create reply was
lost is adopted only onto an object the library can show it made, and it is sent again only on
proof that the server does not have it. Two things make that proof hold under faults:

* a claim names its owner (the model whose create or lookup made it). A lookup skips objects
  claimed by *other* models, never those claimed by the model being settled: a lookup that
  adopted an object but whose answer was then lost (a later read of the same round failed) finds
  the same object again next time, instead of taking it for someone else's and resending;
* :func:`settle_each` looks up every item on its own: a read that fails leaves that item
  unknown (never absent, never resent) and the others are still settled.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from typing import TYPE_CHECKING, Any, Callable, Hashable, Iterator, Sequence

from ..core.errors import NeuromodelsError
from ..core.capabilities import M, Settlement

if TYPE_CHECKING:
    from ..connection import Connection
    from ..core.model import Model


class Claims:
    """Server object ids the live models of this process hold, per server and kind.

    ``claims.take(conn, kind, id, model)`` records that ``model`` is (or adopted) object ``id``;
    ``claims.others(conn, kind, model)`` are the ids held by any *other* live model. Ids are
    forgotten with their models (weak values): a model that no longer exists cannot be stored
    twice."""

    def __init__(self) -> None:
        self._held: dict[tuple[Hashable, ...], weakref.WeakValueDictionary[Any, Any]] = {}
        self._lock = threading.Lock()

    def _table(self, conn: "Connection", kind: str) -> "weakref.WeakValueDictionary[Any, Any]":
        key = (conn.transport.base_url, repr(conn.project), kind)
        return self._held.setdefault(key, weakref.WeakValueDictionary())

    def take(self, conn: "Connection", kind: str, id: Any, model: "Model") -> None:
        with self._lock:
            self._table(conn, kind)[id] = model

    def others(self, conn: "Connection", kind: str, model: "Model | None") -> set[Any]:
        with self._lock:
            return {i for i, holder in self._table(conn, kind).items() if holder is not model}

    def adopt(self, conn: "Connection", kind: str, model: "Model", candidates: Sequence[Any]) -> Any:
        """The one candidate no other model holds, taken for ``model`` in one step (two lookups
        running at once never adopt the same object); None when there is not exactly one."""
        with self._lock:
            table = self._table(conn, kind)
            free = [c for c in candidates if table.get(c) is None or table.get(c) is model]
            if len(free) != 1:
                return None
            table[free[0]] = model
            return free[0]


@contextlib.contextmanager
def before_sending() -> Iterator[None]:
    """Reads a create makes before its write (ids, relation tables ...): when one fails, the
    write was never sent, so the item is certainly not stored (sent again by the next save),
    never unknown — an unknown item with nothing sent could never be settled."""
    try:
        yield
    except NeuromodelsError as e:
        e.sent, e.outcome_unknown = False, False
        raise


def settle_each(conn: "Connection", models: Sequence[M], look: Callable[[M], Settlement]) -> list[Settlement]:
    """``look(model)`` for every model, in parallel; a lookup that fails (a read refused, lost or
    unreadable) leaves its own model unknown with the reason, and only that one."""
    outcomes = conn.transport.map(look, list(models))
    result: list[Settlement] = []
    for outcome in outcomes:
        error = outcome.error
        if error is None and isinstance(outcome.value, Settlement):
            result.append(outcome.value)
        elif error is None:
            result.append(Settlement.unknown(f"the lookup answered {outcome.value!r}"))
        elif isinstance(error, NeuromodelsError):
            result.append(Settlement.unknown(f"the lookup failed: {error}"))
        elif isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise error
        else:
            result.append(Settlement.unknown(f"the lookup failed: {type(error).__name__}: {error}"))
    return result
