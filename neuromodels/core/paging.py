"""Paging, declared: how a server splits a listing, and the one loop that reads it.

A resource declares its server's scheme as a value (``paging = OffsetPaging(size=1000)``) and
reads one page (``read_page(conn, window) -> Page``); :func:`read_pages` does the rest, for
every backend alike:

* the first page is read alone; when it tells the total (items or pages), the others are read
  in parallel (bounded by the connection's ``max_workers``), else one after another until a page
  comes back short or empty;
* ``limit`` sets the page sizes (no more is asked for than needed) and stops the listing;
* page sizes stay what the scheme allows: numbered pages keep one size, so page *n* means the
  same rows on every request.

A page that repeats rows (a server ignoring the paging parameters) is refused by
:mod:`~neuromodels.core.operations`.

>>> paging = OffsetPaging(size=2, start="offset", length="max")
>>> [paging.params(w) for w in paging.windows(first=Window(0, 0, 2), total_items=5, limit=None)]
[{'offset': 2, 'max': 2}, {'offset': 4, 'max': 1}]
>>> numbered = PageNumberPaging(size=2)
>>> [numbered.params(w) for w in numbered.windows(first=Window(0, 0, 2), total_pages=3, limit=None)]
[{'page': 1, 'size': 2}, {'page': 2, 'size': 2}]
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Generic, Iterator, Mapping, Sequence, TypeVar

import attrs

from .errors import ProtocolError

if TYPE_CHECKING:
    from ..connection import Connection

T = TypeVar("T")


@attrs.frozen
class Window:
    """One page to ask for: its number (from 0), the first row's position, and its size."""

    index: int
    start: int
    size: int


@attrs.frozen
class Page(Generic[T]):
    """One page as read: its rows, and what the server said of the whole listing (None: not
    said)."""

    rows: Sequence[T]
    total_items: int | None = None
    total_pages: int | None = None


@attrs.frozen
class Paging:
    """A paging scheme. ``size``: rows per page, the most the server serves at once (a class
    attribute of the resource's declaration, so tests and benchmarks can change it)."""

    size: int = 100

    def first(self, limit: int | None) -> Window:
        return Window(0, 0, self.size if limit is None else max(1, min(self.size, limit)))

    def params(self, window: Window) -> dict[str, Any]:
        """What the request for ``window`` carries (query or form parameters)."""
        raise NotImplementedError

    def windows(self, *, first: Window, total_items: int | None = None, total_pages: int | None = None,
                limit: int | None) -> list[Window]:
        """The pages after the first, when the first told the total; else []."""
        if total_items is None and total_pages is not None:
            total_items = total_pages * first.size
        if total_items is None:
            return []
        end = total_items if limit is None else min(total_items, limit)
        return [Window(i, start, min(first.size, end - start))
                for i, start in enumerate(range(first.size, end, first.size), start=1)]


@attrs.frozen
class OffsetPaging(Paging):
    """Rows from a position: ``?offset=&max=`` (Cytomine), ``range_start=&range_length=`` (CATMAID)."""

    start: str = "offset"
    length: str = "max"

    def params(self, window: Window) -> dict[str, Any]:
        return {self.start: window.start, self.length: window.size}


@attrs.frozen
class PageNumberPaging(Paging):
    """Numbered pages of one size: ``?page=&size=`` (NeuroMorpho.org, from 0)."""

    number: str = "page"
    length: str = "size"

    def params(self, window: Window) -> dict[str, Any]:
        return {self.number: window.index, self.length: window.size}

    def windows(self, *, first: Window, total_items: int | None = None, total_pages: int | None = None,
                limit: int | None) -> list[Window]:
        # Every page keeps the first one's size: page n is then the same rows on every request.
        if total_pages is None and total_items is not None:
            total_pages = math.ceil(total_items / first.size)
        if total_pages is None:
            return []
        if limit is not None:
            total_pages = min(total_pages, math.ceil(limit / first.size))
        return [Window(i, i * first.size, first.size) for i in range(1, total_pages)]


@attrs.frozen
class SinglePage(Paging):
    """The server answers a listing in one reply (Clio's queries)."""

    size: int = 0

    def first(self, limit: int | None) -> Window:
        return Window(0, 0, 0)

    def params(self, window: Window) -> dict[str, Any]:
        return {}

    def windows(self, *, first: Window, total_items: int | None = None, total_pages: int | None = None,
                limit: int | None) -> list[Window]:
        return []


def read_pages(conn: "Connection", paging: Paging, read_page: Callable[[Window], Page[T]],
               limit: int | None, *, desc: str = "listing") -> Iterator[Sequence[T]]:
    """Every page of a listing, as the declared ``paging`` splits it (see the module's text)."""
    first_window = paging.first(limit)
    first = read_page(first_window)
    if not first.rows:
        return
    yield first.rows
    seen = len(first.rows)
    if isinstance(paging, SinglePage) or (limit is not None and seen >= limit):
        return
    told = first.total_items
    capped = (isinstance(paging, OffsetPaging) and len(first.rows) < first_window.size
              and (told is None or len(first.rows) < told))
    rest = [] if capped else paging.windows(first=first_window, total_items=told,
                                            total_pages=first.total_pages, limit=limit)
    if rest:
        for page in conn.transport.map_values(read_page, rest, desc=desc):
            if page.rows:
                yield page.rows
        return
    if not capped and (told is not None or first.total_pages is not None):
        return  # the server said all there is fitted on the first page
    # One page after another from where the rows ended: no total was told (until a page comes
    # back short), or the server serves fewer rows than asked (its own cap: until the total).
    window, page = first_window, first
    while (seen < told if capped and told is not None else len(page.rows) >= window.size) \
            and (limit is None or seen < limit):
        size = paging.size if limit is None else max(1, min(paging.size, limit - seen))
        if isinstance(paging, PageNumberPaging):
            size = first_window.size
        window = Window(window.index + 1, seen, size)
        before, page = page, read_page(window)
        if not page.rows:
            return
        if _same_rows(before.rows, page.rows):
            # A server that ignores the paging parameters answers the first page again and
            # again: without a total this loop would never end.
            raise ProtocolError(f"the server sent the same page twice while {desc} (does it ignore the "
                                "paging parameters?)")
        yield page.rows
        seen += len(page.rows)


def _same_rows(a: Sequence[Any], b: Sequence[Any]) -> bool:
    """Two pages of the same objects (by id; rows without ids are never taken for a repeat)."""
    def ids(rows: Sequence[Any]) -> list[Any]:
        return [row.get("id") if isinstance(row, Mapping) else getattr(row, "id", None) for row in rows]

    first = ids(a)
    return len(a) == len(b) and None not in first and first == ids(b)
