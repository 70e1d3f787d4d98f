"""NeuroMorpho.org's vocabularies and the literature API, as functions of a connection.

The vocabularies: the values a field takes (``/api/{kind}/fields/{field}``, every page) and how
many records have each (``/api/{kind}/partition/{field}``), for neurons (``kind="neuron"``) and
articles (``kind="literature"``). The literature: one article by id, and a select over articles
that reads every page. A criterion is a value, a list (any of them) or a ``(low, high)`` range.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence, TypeVar

import pandas as pd
import requests

from ...connection import Connection
from ...core.errors import NotSupported, ProtocolError
from ...transport import parse_json
from ...core.backend import segment
from ...core.capabilities import did_you_mean
from ...core.paging import Page, PageNumberPaging, Window, read_pages
from .converter import number

#: The server's largest page.
PAGE = 500
KINDS = ("neuron", "literature", "morphometry")
T = TypeVar("T")


def connection_for(connection: Connection | None, what: str) -> Connection:
    """The connection to use, which must speak to NeuroMorpho.org."""
    conn = Connection.current(connection)
    if conn.backend.name != "neuromorpho":
        raise NotSupported(f"{what} is a NeuroMorpho.org call; this connection is to a {conn.backend.name} server")
    return conn


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r}: one of {', '.join(map(repr, KINDS))}{did_you_mean(kind, KINDS)}")
    return kind


def json_of(check: Callable[[Any], T]) -> Callable[[requests.Response], T]:
    """A ``parse=`` callback: the JSON body through ``check`` (which raises on a foreign shape)."""
    return lambda response: check(parse_json(response))


def _names(body: Any) -> list[str]:
    """``{"Neuron Fields": [...]}`` and its siblings: one key holding the list of names."""
    if not isinstance(body, dict) or len(body) != 1 or not isinstance(next(iter(body.values())), list):
        raise TypeError("a field list is an object with one key holding a list")
    return [str(n) for n in next(iter(body.values()))]


def field_names(kind: str = "neuron", *, connection: Connection | None = None) -> list[str]:
    """The fields the server lists for neurons, articles (``kind="literature"``) or morphometry.

    >>> field_names("literature")[:3]
    ['article_id', 'pmid', 'doi']
    """
    conn = connection_for(connection, "field_names()")
    return conn.transport.request("GET", f"/api/{_kind(kind)}/fields", parse=json_of(_names))


def check_fields(conn: Connection, kind: str, fields: Sequence[str]) -> None:
    """A field the server does not list: ValueError with close matches, before any select."""
    known = field_names(kind, connection=conn)
    for field in fields:
        if field not in known:
            raise ValueError(f"NeuroMorpho.org has no {kind} field {field!r}{did_you_mean(field, known)}")


def _value_page(body: Any) -> tuple[list[Any], int]:
    values = body["fields"]
    if not isinstance(values, list):
        raise TypeError("the field values are not a list")
    return values, int((body.get("page") or {}).get("totalPages", 1))


def every_page(conn: Connection, read: Callable[[dict[str, Any]], tuple[list[T], int]], limit: int | None = None,
               *, desc: str) -> list[T]:
    """The rows of every numbered page (``read(params)`` -> its rows and the total of pages):
    the core's paging loop (page 0 tells the total, the others follow in parallel)."""
    paging = PageNumberPaging(size=PAGE)

    def page(window: Window) -> Page[T]:
        rows, pages = read(paging.params(window))
        return Page(rows, total_pages=pages)

    return [row for rows in read_pages(conn, paging, page, limit, desc=desc) for row in rows]


def field_values(field: str, kind: str = "neuron", *, connection: Connection | None = None) -> list[Any]:
    """Every value the server lists for ``field`` (all pages, in its order).

    >>> sorted(field_values("species"))
    ['drosophila melanogaster', 'human', 'monkey', 'mouse', 'rat']
    """
    conn = connection_for(connection, "field_values()")
    path = f"/api/{_kind(kind)}/fields/{segment(field)}"

    def page(params: dict[str, Any]) -> tuple[list[Any], int]:
        return conn.transport.request("GET", path, params=params, parse=json_of(_value_page))

    return every_page(conn, page, desc="reading field values")


def _counts(body: Any) -> tuple[dict[str, Any], int]:
    counts = body["fields"]
    if not isinstance(counts, dict):
        raise TypeError("a partition is an object of value -> count")
    return counts, int((body.get("page") or {}).get("totalPages", 1))


def partition(field: str, kind: str = "neuron", *, connection: Connection | None = None) -> pd.Series:
    """How many records have each value of ``field``: a Series value -> count, largest first.

    >>> int(partition("species")["mouse"])
    8
    """
    if kind == "morphometry":
        raise NotSupported("NeuroMorpho.org partitions neuron and literature fields, not morphometry")
    conn = connection_for(connection, "partition()")
    path = f"/api/{_kind(kind)}/partition/{segment(field)}"

    def page(params: dict[str, Any]) -> tuple[list[tuple[str, Any]], int]:
        counts, pages = conn.transport.request("GET", path, params=params, parse=json_of(_counts))
        return list(counts.items()), pages

    counts = dict(every_page(conn, page, desc="reading counts"))
    numbers = {}
    for value, count in counts.items():
        n = number(count)
        if n is None:
            raise ProtocolError(f"the count of {field}={value!r} is not a number: {count!r}", path=path)
        numbers[value] = int(n)
    return pd.Series(numbers, name=field, dtype="int64").sort_values(ascending=False, kind="stable")


def criteria(query: Mapping[str, Any]) -> dict[str, list[str]]:
    """Select criteria as the JSON body: a value, a list (any of), or a (low, high) range sent as
    ``[low TO high]`` (None for an open end)."""
    body: dict[str, list[str]] = {}
    for field, value in query.items():
        if isinstance(value, tuple):
            if len(value) != 2:
                raise ValueError(f"{field}={value!r}: a range is (low, high)")
            low, high = ("*" if v is None else repr(float(v)) for v in value)
            body[field] = [f"[{low} TO {high}]"]
        elif isinstance(value, (list, set)):
            body[field] = [str(v) for v in value]
        else:
            body[field] = [str(value)]
    return body


def hal_records(conn: Connection, path: str, key: str, body: Mapping[str, list[str]] | None,
                limit: int | None = None, sort: str | None = None) -> list[dict[str, Any]]:
    """Every record of a HAL listing (``GET``) or select (``POST`` with ``body``): page 0 tells
    the total, the others follow in parallel. No ``_embedded`` is how the server says "none"."""
    def page(paging: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
        params: dict[str, Any] = {**paging, **({"sort": sort} if sort else {})}

        def check(reply: Any) -> tuple[list[dict[str, Any]], int]:
            rows = (reply.get("_embedded") or {}).get(key) or []
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise TypeError(f"_embedded.{key} is not a list of records")
            return [{k: v for k, v in r.items() if k != "_links"} for r in rows], int(reply["page"]["totalPages"])

        if body is None:
            return conn.transport.request("GET", path, params=params, parse=json_of(check))
        return conn.transport.request("POST", path, params=params, json=dict(body), read=True,
                                      parse=json_of(check))

    rows = every_page(conn, page, limit, desc="reading pages")
    return rows[:limit] if limit is not None else rows


def article(article_id: str, *, connection: Connection | None = None) -> dict[str, Any]:
    """One article of the literature database (``/api/literature/id/{id}``), links dropped.

    >>> first = literature(journal="Neuron").iloc[0]
    >>> article(first.article_id)["journal"]
    'Neuron'
    """
    conn = connection_for(connection, "article()")

    def check(body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or "article_id" not in body:
            raise TypeError("an article is an object with an article_id")
        return {k: v for k, v in body.items() if k != "_links"}

    return conn.transport.request("GET", f"/api/literature/id/{segment(article_id)}",
                                  parse=json_of(check))


def literature(*, limit: int | None = None, connection: Connection | None = None, **query: Any) -> pd.DataFrame:
    """Articles whose fields match ``query`` (all articles without one), one row each, sorted by
    title. Field names are the literature's own (``brainRegion``, ``cellType``): see
    ``field_names("literature")``.

    >>> literature(species="rat", journal="Neuron")[["pmid", "journal"]].shape
    (3, 2)
    """
    conn = connection_for(connection, "literature()")
    if query:
        check_fields(conn, "literature", list(query))
        rows = hal_records(conn, "/api/literature/select", "publicationResources", criteria(query), limit, "title,asc")
    else:
        rows = hal_records(conn, "/api/literature", "publicationResources", None, limit, "title,asc")
    return pd.DataFrame.from_records(rows)
