"""Where a datastack's services are and how a materialization query is asked.

A CAVE deployment splits its services: the info, auth and schema services sit on the global
server (the connection's URL); materialization, the annotation engine, the chunked graph and
the skeleton service on the datastack's ``local_server``, which the info service names. Both
take the same token; a local server on another origin gets a transport of its own.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any, Callable, Iterator, Mapping, Sequence, TypeVar
from urllib.parse import urlsplit

import attrs

from ...connection import Connection
from ...transport import Transport, parse_json
from ...core.errors import NeuromodelsError, NotFound
from ...core.backend import Filter, check_id, segment
from ...core.capabilities import ConnectionState
from ...core.paging import Page, Paging, Window, read_pages
from . import converter as cv

T = TypeVar("T")

#: ``column__op=value`` -> the query body's filter (no suffix: equal, or any of a list).
OPERATORS = {"not": "filter_notin_dict", "gt": "filter_greater_dict", "lt": "filter_less_dict",
             "ge": "filter_greater_equal_dict", "le": "filter_less_equal_dict", "regex": "filter_regex_dict",
             "within": "filter_spatial_dict"}
#: Which operators each kind of column takes, and the Python types of its values.
KIND_TYPES: dict[str, tuple[type, ...]] = {"integer": (int,), "root": (int,), "supervoxel": (int,), "number": (int, float),
                                           "string": (str,), "boolean": (bool,), "datetime": (dt.datetime, str)}
KIND_OPERATORS = {"integer": ("", "not", "gt", "lt", "ge", "le"), "root": ("", "not"), "supervoxel": ("", "not"),
                  "number": ("", "not", "gt", "lt", "ge", "le"), "string": ("", "not", "regex"), "boolean": ("",),
                  "datetime": ("gt", "lt", "ge", "le"), "position": ("within",)}
WHEN = ("version", "timestamp")


@attrs.define
class CaveState(ConnectionState):
    """Read once per connection: the datastack's info, the local services' transport, each
    table's columns (from its schema)."""

    datastack: cv.Datastack | None = None
    services: Transport | None = None
    columns: dict[str, cv.Columns] = attrs.field(factory=dict)
    lock: threading.Lock = attrs.field(factory=threading.Lock)


def datastack_name(conn: Connection) -> str:
    name: str = check_id(conn.project, str, "the CAVE datastack (project= on the connection)")
    return name


def datastack(conn: Connection) -> cv.Datastack:
    state = CaveState.of(conn)
    if state.datastack is None:
        name = datastack_name(conn)
        found = conn.transport.request("GET", f"/info/api/v2/datastack/full/{segment(name)}",
                                       parse=lambda r: cv.converter.structure(parse_json(r), cv.Datastack))
        found.project.id = found.project.name = name
        state.datastack = found
    return state.datastack


def services(conn: Connection) -> Transport:
    """The transport to the datastack's local server (the connection's own when it is there)."""
    state = CaveState.of(conn)
    local = datastack(conn).local_server
    with state.lock:
        if state.services is None:
            if urlsplit(local)[:2] == urlsplit(conn.url)[:2]:
                state.services = conn.transport
            else:
                # The datastack's own services: a CAVE token is for every server of its deployment.
                state.services = conn.transport.derive(local, auth=conn.transport.auth)
        return state.services


def table_columns(conn: Connection, table: str) -> cv.Columns:
    """A table's columns: its schema type from the annotation engine, the schema from the schema service."""
    state = CaveState.of(conn)
    if table not in state.columns:
        volume = segment(datastack(conn).aligned_volume)
        try:
            meta: Any = services(conn).request("GET", f"/annotation/api/v2/aligned_volume/{volume}/table/{segment(table)}")
        except NotFound as missing:
            raise _no_table(conn, volume, table, missing) from None
        schema_type = meta.get("schema_type") or meta.get("schema") if isinstance(meta, dict) else None
        if not isinstance(schema_type, str):
            from ...core.errors import ProtocolError

            raise ProtocolError(f"the annotation engine gave no schema type for table {table!r}")
        state.columns[table] = conn.transport.request(
            "GET", f"/schema/api/v2/type/{segment(schema_type)}",
            parse=lambda r: cv.converter.structure(parse_json(r), cv.Columns))
    return state.columns[table]


def _no_table(conn: Connection, volume: str, table: str, missing: NotFound) -> NotFound:
    """``NotFound`` for a table the engine does not have, naming the close ones it has."""
    from ...core.capabilities import did_you_mean

    try:
        names: Any = services(conn).request("GET", f"/annotation/api/v2/aligned_volume/{volume}/table")
    except NeuromodelsError:
        return missing
    if not isinstance(names, list):
        return missing
    tables = sorted(str(n) for n in names)
    return NotFound(f"no annotation table {table!r} in {volume}{did_you_mean(table, tables)}; "
                    f"its tables: {', '.join(tables) or 'none'}", status=missing.status, method=missing.method,
                    path=missing.path, server_message=missing.server_message)


def column_filters(columns: cv.Columns) -> dict[str, Filter]:
    """``column`` and ``column__op`` for every column of a table (see :data:`OPERATORS`)."""
    out: dict[str, Filter] = {}
    for name, kind in columns.kinds.items():
        for op in KIND_OPERATORS.get(kind, ("",)):
            key = f"{name}__{op}" if op else name
            if op == "within":
                out[key] = Filter(key, (tuple, list), "a box ((x0, y0, z0), (x1, y1, z1)) in voxels", check=_box)
            else:
                out[key] = Filter(key, KIND_TYPES.get(kind, (str, int, float)), f"{kind} column"
                                  + (f" ({op})" if op else " (a list means any of them)"), many=op in ("", "not"))
    return out


def _box(value: Any) -> None:
    if len(value) != 2 or not all(len(corner) == 3 for corner in value):
        raise ValueError(f"a box is two corners of three numbers each, not {value!r}")


def check_timestamp(value: Any) -> None:
    timestamp(value)


def timestamp(value: Any) -> dt.datetime:
    """A timestamp modifier: a datetime (naive: UTC), ISO 8601 text or epoch seconds."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value, dt.timezone.utc)
    if isinstance(value, str):
        try:
            return timestamp(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            pass
    raise ValueError(f"timestamp must be a datetime, ISO 8601 text or epoch seconds, not {value!r}")


def query_body(table: str, modifiers: Mapping[str, Any], skip: frozenset[str]) -> dict[str, Any]:
    """The filters of a query body, each keyed by the table (as the engine wants them)."""
    body: dict[str, Any] = {}
    for key, value in modifiers.items():
        if key in skip:
            continue
        column, _, op = key.partition("__")
        many = isinstance(value, (list, tuple, set)) or hasattr(value, "tolist")
        values = cv.converter.unstructure(list(value) if many and op != "within" else value)
        if column == "created":  # times as the engine reads them: ISO 8601 in UTC
            values = timestamp(values).isoformat()
        name = OPERATORS[op] if op else ("filter_in_dict" if many else "filter_equal_dict")
        if op == "not" and not many:
            values = [values]
        body.setdefault(name, {}).setdefault(table, {})[column] = values
    return body


def rows(conn: Connection, table: str, modifiers: Mapping[str, Any], limit: int | None, skip: frozenset[str],
         make: Callable[[dict[str, Any]], T], paging: Paging) -> Iterator[Sequence[T]]:
    """Pages of a table's rows matching ``modifiers`` as ``make`` makes them (while the reply is
    read, so a malformed row is a ProtocolError): at ``version`` (a frozen materialization), at
    ``timestamp`` (the live query), else the live query now; ``columns`` selects columns;
    ``paging``: the resource's declared paging (offset and limit in the body)."""
    name = segment(datastack_name(conn))
    body = query_body(table, modifiers, skip)
    at = when(conn, modifiers)
    if modifiers.get("columns"):
        columns = [str(c) for c in modifiers["columns"]]
        body["select_columns"] = {table: ["id", *[c for c in columns if c != "id"]]}
    params = {"split_positions": "false", "merge_reference": "false", "allow_missing_lookups": "false"}
    params.update({"return_pyarrow": "true", "arrow_format": "true"} if _has_arrow() else {"return_pyarrow": "false"})
    if "version" in at:
        path = f"/materialize/api/v3/datastack/{name}/version/{int(at['version'])}/table/{segment(table)}/query"
        if "select_columns" in body:
            body["select_columns"] = body["select_columns"][table]
    else:
        path = f"/materialize/api/v3/datastack/{name}/query"
        moment = timestamp(at["timestamp"]) if "timestamp" in at else dt.datetime.now(dt.timezone.utc)
        body.update(table=table, timestamp=moment.isoformat())
    def page(window: Window) -> Page[T]:
        rows: list[T] = services(conn).request("POST", path, params=params, json={**body, **paging.params(window)},
                                               read=True, parse=lambda r: [make(row) for row in cv.rows_of(r)])
        return Page(rows)  # no total: the next page is asked for until one comes back short

    return read_pages(conn, paging, page, limit, desc=f"reading {table}")


def when(conn: Connection, modifiers: Mapping[str, Any]) -> dict[str, Any]:
    """The moment a read is for: the collection's ``version=`` or ``timestamp=``, else the
    connection's, else none (the live table now)."""
    for source in (modifiers, conn.options):
        chosen = {k: source[k] for k in WHEN if source.get(k) is not None}
        if len(chosen) > 1:
            raise ValueError("give version= or timestamp=, not both")
        if chosen:
            return chosen
    return {}


def read_at(conn: Connection, modifiers: Mapping[str, Any]) -> dict[str, Any]:
    """What an annotation remembers of how it was read (``extra``): its version or timestamp."""
    at = when(conn, modifiers)
    if "version" in at:
        return {cv.VERSION: int(at["version"])}
    if "timestamp" in at:
        return {cv.TIMESTAMP: timestamp(at["timestamp"])}
    return {}


def _has_arrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True
