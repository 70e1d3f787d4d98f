"""Many requests at once: a bounded parallel map with one outcome per item, and Ctrl-C.

A ``KeyboardInterrupt`` while :meth:`ParallelMap.map` waits stops sending at once: items not yet
started are cancelled and come back with :class:`~neuromodels.core.errors.NotSent`, items in flight
finish (without further retries) or time out. The interrupt is remembered in the current
context, so that batch code can record what was and was not sent; later maps of the same
operation start nothing, and :meth:`ParallelMap.reraise_interrupt`, :meth:`ParallelMap.map_values`
or the operation's next request turn it back into the ``KeyboardInterrupt`` — the caller never
sees a ``NotSent`` of its own. An item stopped by it after it had sent a write is
:class:`PartlySent` (an unknown outcome), never ``NotSent``. A second Ctrl-C while waiting for
the requests in flight gives up on them at once.
"""

from __future__ import annotations

import contextvars
import logging
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Callable, Iterable, TypeVar

import attrs

from .core.errors import NeuromodelsError, NotSent


log = logging.getLogger("neuromodels")

T = TypeVar("T")
R = TypeVar("R")


@attrs.frozen
class Outcome:
    """The result of one item of :meth:`Transport.map`: a value or the error it raised."""

    item: Any
    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


# -- the interrupt flag --------------------------------------------------------------------------
class _Flag(threading.Event):
    """Set when Ctrl-C interrupted a map in this context; shared with that map's workers."""

    #: ``sys.last_value`` when it was set (see :func:`_live_flag`).
    before: object = None

    def record(self) -> None:
        self.before = getattr(sys, "last_value", None)
        self.set()


_interrupt: contextvars.ContextVar[_Flag | None] = contextvars.ContextVar("neuromodels_interrupt", default=None)
#: True inside an item of a map that had started before any interrupt: it may finish its work.
_in_item: contextvars.ContextVar[bool] = contextvars.ContextVar("neuromodels_in_item", default=False)
#: Inside an item: ``[True]`` once the item sent a write (see :func:`note_write`).
_item_wrote: contextvars.ContextVar[list[bool] | None] = contextvars.ContextVar("neuromodels_item_wrote",
                                                                                default=None)


class PartlySent(NeuromodelsError):
    """Ctrl-C stopped an item of a parallel map after the item had sent a write: the server may
    hold part of its work, so the item is an unknown outcome (settled by looking), never "not
    sent" (which would send it again)."""

    def __init__(self, message: str = "interrupted after a write was sent: the outcome is unknown",
                 **kwargs: Any) -> None:
        super().__init__(message, sent=True, outcome_unknown=True, **kwargs)


def note_write() -> None:
    """Called by the transport as it sends a request that may change the server."""
    wrote = _item_wrote.get()
    if wrote is not None:
        wrote[0] = True


def _live_flag() -> _Flag | None:
    """This context's flag. A recorded interrupt is forgotten once a ``KeyboardInterrupt`` has
    reached the top of an interactive session (the REPL and IPython keep it as
    ``sys.last_value``): the operation it stopped is over, even if no code re-raised it through
    :meth:`Transport.reraise_interrupt`."""
    flag = _interrupt.get()
    if flag is not None and flag.is_set() and not _in_item.get():
        last = getattr(sys, "last_value", None)
        if isinstance(last, KeyboardInterrupt) and last is not flag.before:
            _interrupt.set(None)
            return None
    return flag


def _interrupt_flag() -> _Flag:
    flag = _live_flag()
    if flag is None:
        flag = _Flag()
        _interrupt.set(flag)
    return flag


def interrupted() -> bool:
    """True when Ctrl-C interrupted the current operation and nothing more may be sent."""
    flag = _live_flag()
    return flag is not None and flag.is_set()


def _result(future: "Future[Outcome]") -> Outcome:
    """Wait for a future in short slices: Ctrl-C is delivered to whichever thread the kernel
    picks, and the main thread only raises it when it runs, not while blocked in one long wait."""
    while True:
        try:
            return future.result(timeout=0.1)
        except FutureTimeout:
            continue


class ParallelMap:
    """Bounded parallel work with per-item outcomes and Ctrl-C that stops sending at once (the
    many-requests half of :class:`~neuromodels.transport.Transport`)."""

    max_workers: int
    progress: bool | None

    # -- many requests -------------------------------------------------------------------------
    def show_progress(self, total: int) -> bool:
        if self.progress is None:
            return total > 1 and sys.stderr.isatty()
        return bool(self.progress) and total > 1

    @staticmethod
    def reraise_interrupt() -> None:
        """Raise ``KeyboardInterrupt`` if Ctrl-C interrupted a map of this operation (and forget
        it, so the next operation sends again). Batch code calls it once it has recorded what
        was and was not sent."""
        flag = _interrupt.get()
        if flag is not None and flag.is_set():
            _interrupt.set(None)  # workers still finishing keep the old flag, which stays set
            raise KeyboardInterrupt

    def map_values(self, fn: Callable[[T], R], items: Iterable[T], *, desc: str | None = None) -> list[R]:
        """:meth:`map` for callers that need every value: the first error is raised, and
        ``KeyboardInterrupt`` when Ctrl-C stopped the work."""
        outcomes = self.map(fn, items, desc=desc)
        if _in_item.get():
            if any(isinstance(o.error, NotSent) for o in outcomes):
                raise NotSent()  # inside another map's item: that item reports it
        elif interrupted():
            # Ctrl-C came while waiting, even if every item in flight then finished: the
            # caller gets KeyboardInterrupt now, never a NotSent from its next request.
            _interrupt.set(None)
            raise KeyboardInterrupt
        for outcome in outcomes:
            if outcome.error is not None:
                raise outcome.error
        return [outcome.value for outcome in outcomes]

    def map(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        *,
        desc: str | None = None,
        max_workers: int | None = None,
    ) -> list[Outcome]:
        """Apply ``fn`` to every item with at most ``max_workers`` in parallel, keeping order.

        ``fn`` runs in worker threads (in a copy of the caller's context, so the current
        connection is seen there too), and responses are parsed there. One failure never throws
        away the others: each item gets an :class:`Outcome` with its value or error. On Ctrl-C
        the items never started get :class:`~neuromodels.core.errors.NotSent` (see the module
        docstring).
        """
        items = list(items)
        flag = _interrupt_flag()
        if flag.is_set():
            return [Outcome(item, error=NotSent()) for item in items]
        if not items:
            return []
        workers = max(1, min(max_workers or self.max_workers, len(items)))

        def run(item: T) -> Outcome:
            if flag.is_set():
                return Outcome(item, error=NotSent())
            _in_item.set(True)
            wrote = [False]
            _item_wrote.set(wrote)
            try:
                return Outcome(item, fn(item))
            except NotSent as e:
                # Stopped short inside the item: never sent only if it had sent no write.
                return Outcome(item, error=PartlySent() if wrote[0] else e)
            except Exception as e:  # noqa: BLE001 - reported per item, never lost
                return Outcome(item, error=e)
            except KeyboardInterrupt:  # raised on purpose inside the item: it stopped short
                return Outcome(item, error=PartlySent() if wrote[0] else NotSent())

        bar = None
        if desc and self.show_progress(len(items)):
            from tqdm.auto import tqdm

            bar = tqdm(total=len(items), desc=desc, unit="req")
        # A fresh pool per call: nested maps can never starve each other of workers. Every item
        # runs in a pool thread, so Ctrl-C always reaches this thread while it only waits.
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="neuromodels")
        futures: list[Future[Outcome]] = [pool.submit(contextvars.copy_context().run, run, item) for item in items]
        outcomes: list[Outcome | None] = [None] * len(items)
        try:
            try:
                for i, future in enumerate(futures):
                    outcomes[i] = _result(future)
                    if bar is not None:
                        bar.update()
            except KeyboardInterrupt:
                flag.record()
                cancelled = sum(future.cancel() for future in futures)
                running = sum(1 for future in futures if not future.done())
                log.warning("interrupted: %d requests cancelled, waiting for the %d in flight "
                            "(Ctrl-C again to stop waiting)", cancelled, running)
                try:
                    for i, future in enumerate(futures):
                        if outcomes[i] is None:
                            outcomes[i] = Outcome(items[i], error=NotSent()) if future.cancelled() else _result(future)
                except KeyboardInterrupt:  # a second Ctrl-C: stop waiting, the operation ends here
                    pool.shutdown(wait=False, cancel_futures=True)
                    _interrupt.set(None)
                    raise
        finally:
            pool.shutdown(wait=False)
            if bar is not None:
                bar.close()
        return [o if o is not None else Outcome(items[i], error=NotSent()) for i, o in enumerate(outcomes)]
