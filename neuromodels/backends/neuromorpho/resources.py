"""NeuroMorpho.org: read-only neurons, queried through ``/api/neuron/select``.

A filter value is checked against the values the server lists for that field
(``/api/neuron/fields/{field}``, read once per field and connection): ``species="mose"`` is a
:class:`~neuromodels.NotFound` naming the close matches instead of an empty result. Values with
a ``*`` wildcard, numbers, and fields with more than :data:`MAX_VALUE_PAGES` pages of values
(``neuron_name`` on the real server) are not checked.
"""

from __future__ import annotations

import difflib
import math
import threading
from typing import Any, Callable, Iterator, Mapping, Sequence, TypeVar

import attrs
import numpy as np
import requests

from ...connection import Connection
from ...core.errors import BadRequest, NotFound, ProtocolError
from ...formats.swc import SWCError, parse_swc
from ...models import Neuron
from ...transport import parse_json
from ...core.backend import Filter, as_list
from ...core.capabilities import BulkFetch, ConnectionState, Count, List, LoadNodes, Morphometry, absent, did_you_mean
from ...core.paging import Page, PageNumberPaging, Window, read_pages
from ...core.routes import Route
from . import converter as cv

READ_ONLY = "NeuroMorpho.org is read-only"
#: The server's largest page.
PAGE = 500
#: A field with more pages of values than this is not checked (it is an identifier, not a vocabulary).
MAX_VALUE_PAGES = 10
VALUE = (str, int, float, np.integer, np.floating)
T = TypeVar("T")


def structured(cls: type[T]) -> Callable[[requests.Response], T]:
    """A ``parse=`` callback: the JSON body structured by the converter (a body of another shape
    becomes a ProtocolError naming the request)."""
    return lambda response: cv.converter.structure(parse_json(response), cls)


@attrs.define
class NeuroMorphoState(ConnectionState):
    """What the server lists, read once per connection: its neuron fields, and per field the
    values it knows (lowercased -> as the server spells it; None: not checked)."""

    fields: dict[str, Filter] | None = None
    values: dict[str, dict[str, str] | None] = attrs.field(factory=dict)
    lock: threading.Lock = attrs.field(factory=threading.Lock, repr=False)


class NeuroMorphoNeuron(BulkFetch[Neuron], List[Neuron], Count[Neuron], LoadNodes[Neuron], Morphometry[Neuron]):
    #: The requests, declared once: sent below, shown in the docs' capability tables.
    requests = {
        "fetch": Route("GET", "/api/neuron/id/{id}", note="then its SWC file"),
        "fetch by name": Route("GET", "/api/neuron/name/{name}", note="name="),
        "load nodes of": Route("GET", "/dableFiles/{archive}/CNG%20version/{name}.CNG.swc",
                               note="the standardised SWC file; the archive lowercased"),
        "list": Route("GET", "/api/neuron", note="pages of 500 in parallel"),
        "select": Route("POST", "/api/neuron/select", note="a listing with field filters, paged as list"),
        "measure": Route("GET", "/api/morphometry/id/{id}"),
        "list the fields": Route("GET", "/api/neuron/fields"),
        "list the values of a field": Route("GET", "/api/neuron/fields/{field}"),
    }
    id_type = int
    paging = PageNumberPaging(size=PAGE)
    not_supported = {"create": READ_ONLY, "update": READ_ONLY, "delete": READ_ONLY,
                     "*": "NeuroMorpho.org serves reconstructions and their metadata only (no synapses, reviews, "
                          "tags or attached files)"}
    fetch_options = {"nodes": True, "name": None}
    lookup_options = frozenset({"name"})
    list_options = {"nodes": False}
    fixed_filters = {
        "ids": Filter("ids", (int, np.integer), "neuron ids, results in the order given", many=True),
        "sort": Filter("sort", (str,), "a field, optionally ',asc' or ',desc' (default neuron_id)"),
    }

    def allowed_filters(self, conn: Connection) -> Mapping[str, Filter]:
        """The server's own field list, read once per connection."""
        state = NeuroMorphoState.of(conn)
        if state.fields is None:
            names = self.send(conn, "list the fields", parse=structured(cv.FieldNames)).names
            state.fields = {
                name: Filter(name, VALUE, "neuron field (a list means any of them; * is a wildcard)", many=True)
                for name in names if name != "neuron_id"
            }
        return {**state.fields, **self.fixed_filters}

    def check_modifiers(self, conn: Connection, modifiers: Mapping[str, Any]) -> None:
        """Unknown fields and wrong types (the core's check), then values the server does not know."""
        super().check_modifiers(conn, modifiers)
        if "sort" in modifiers:
            self._check_sort(conn, modifiers["sort"])
        wanted = {field: [v for v in as_list(value) if isinstance(v, str) and "*" not in v]
                  for field, value in modifiers.items()
                  if field not in self.fixed_filters and field not in cv.NUMERIC_FIELDS}
        wanted = {field: values for field, values in wanted.items() if values}
        unread = [f for f in wanted if f not in NeuroMorphoState.of(conn).values]
        if len(unread) > 1:  # the value lists of several fields are read in parallel, once
            conn.transport.map_values(lambda f: self.known_values(conn, f), unread, desc="reading field values")
        for field, values in wanted.items():
            known = self.known_values(conn, field)
            if known is None:
                continue
            for v in values:
                if v.lower() not in known:
                    close = difflib.get_close_matches(v.lower(), list(known), n=3, cutoff=0.6)
                    hint = (" (did you mean " + " or ".join(repr(known[c]) for c in close) + "?)") if close else ""
                    raise NotFound(
                        f"NeuroMorpho.org has no neuron with {field}={v!r}{hint}; the values it knows are listed "
                        f"at /api/neuron/fields/{field}; use * as a wildcard for partial matches", missing=[v])

    def _check_sort(self, conn: Connection, sort: str) -> None:
        """``sort="field"`` or ``"field,asc|desc"`` with a field the server lists."""
        field, _, direction = sort.partition(",")
        fields = {**self.allowed_filters(conn), "neuron_id": None}
        for name in self.fixed_filters:
            fields.pop(name, None)
        if field not in fields:
            raise ValueError(f"sort={sort!r}: NeuroMorpho.org has no field {field!r}{did_you_mean(field, fields)}")
        if direction and direction.lower() not in ("asc", "desc"):
            raise ValueError(f"sort={sort!r}: the direction after the comma is 'asc' or 'desc', not {direction!r}")

    def known_values(self, conn: Connection, field: str) -> dict[str, str] | None:
        """The values the server lists for ``field`` (lowercased -> as spelt), read once per
        connection; None when it lists none or too many to check."""
        state = NeuroMorphoState.of(conn)
        with state.lock:
            if field in state.values:
                return state.values[field]
        path = self.requests["list the values of a field"].path_for(field=field)

        def page(number: int) -> cv.ValuePage:
            return conn.transport.request("GET", path, params={"page": number, "size": PAGE},
                                          parse=structured(cv.ValuePage))

        known: dict[str, str] | None
        try:
            first = page(0)
        except (NotFound, BadRequest):
            known = None  # a server (or mirror) that does not list this field: not checked
        else:
            if first.pages > MAX_VALUE_PAGES:
                known = None
            else:
                pages = [first, *conn.transport.map_values(page, range(1, first.pages), desc="reading field values")]
                known = {v.lower(): v for p in pages for v in p.values}
        with state.lock:
            state.values[field] = known
        return known

    # reading ------------------------------------------------------------------------------------
    def fetch_one(self, conn: Connection, id: Any, *, name: str | None = None, nodes: bool = True, **options: Any) -> Neuron:
        if name is not None:
            if not isinstance(name, str) or not name or "/" in name:
                raise ValueError(f"a NeuroMorpho neuron name is a non-empty string without '/', not {name!r}")
            neuron: Neuron = self.send(conn, "fetch by name", {"name": name}, parse=structured(Neuron))
            if neuron.name != name:
                raise ProtocolError(f"asked for neuron {name!r}, the server answered with {neuron.name!r}")
        else:
            neuron = self.send(conn, "fetch", {"id": int(id)}, parse=structured(Neuron))
        if nodes:
            neuron.nodes = self._swc(conn, neuron)
        return neuron

    def fetch_many(self, conn: Connection, ids: Sequence[Any], context: Mapping[str, Any],
                   **options: Any) -> dict[Any, Neuron]:
        found: dict[Any, Neuron] = {
            n.id: n for page in self._listing(conn, {"neuron_id": [int(i) for i in ids]}, None, None) for n in page}
        if options.get("nodes") and found:
            self.load_nodes(conn, list(found.values()))
        return found

    def _swc(self, conn: Connection, neuron: Neuron) -> Any:
        archive = neuron.extra.get("archive")
        if not archive or not neuron.name or not isinstance(archive, str) or not isinstance(neuron.name, str):
            raise ProtocolError(f"neuron {neuron.id} has no archive or name (as text) to find its SWC file by")
        path = self.requests["load nodes of"].path_for(archive=archive.lower(), name=neuron.name)
        def read(response: requests.Response) -> Any:
            data: bytes = response.content  # bytes: a reply is never taken for a local file's path
            if b"<html" in data[:500].lower():
                # The file server answers a missing file with an HTML page, sometimes with a 200.
                raise NotFound(f"NeuroMorpho has no SWC file for {neuron.name}", missing=[neuron.id], status=200,
                               method="GET", path=path)
            try:
                return parse_swc(data)
            except SWCError as e:
                raise ProtocolError(f"the SWC file of {neuron.name} is malformed: {e}") from e

        return conn.transport.request("GET", path, parse=read)

    def load_nodes(self, conn: Connection, neurons: Sequence[Neuron]) -> None:
        """One visible, parallel, progress-barred step (at most ``max_workers`` requests)."""
        files = conn.transport.map_values(lambda n: self._swc(conn, n), neurons, desc="loading SWC files")
        for neuron, nodes in zip(neurons, files):
            neuron.nodes = nodes

    def morphometry(self, conn: Connection, model: Neuron) -> dict[str, Any]:
        return dict(self.send(conn, "measure", {"id": int(model.id)}, parse=structured(cv.Measurements)))

    def _select(self, conn: Connection, query: Mapping[str, list[Any]], window: Window, sort: str | None) -> cv.NeuronPage:
        params: dict[str, Any] = self.paging.params(window)
        if sort:
            params["sort"] = sort
        if not query:
            page: cv.NeuronPage = self.send(conn, "list", params=params, parse=structured(cv.NeuronPage))
        else:
            page = self.send(conn, "select", params=params, json=cv.select_body(query), read=True,
                             parse=structured(cv.NeuronPage))
        return page

    @staticmethod
    def _query(modifiers: Mapping[str, Any]) -> dict[str, list[Any]]:
        query: dict[str, list[Any]] = {}
        for key, value in modifiers.items():
            if key in ("sort", "ids"):
                continue
            query[key] = as_list(value)
        if "ids" in modifiers:
            query["neuron_id"] = [int(i) for i in as_list(modifiers["ids"])]
        return query

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, *, nodes: bool = False,
              **options: Any) -> Iterator[Sequence[Neuron]]:
        for page in super().pages(conn, modifiers, limit):
            if nodes:
                self.load_nodes(conn, page)
            yield page

    def read_page(self, conn: Connection, modifiers: Mapping[str, Any], window: Window, **options: Any) -> Page[Neuron]:
        body = self._select(conn, self._query(modifiers), window, modifiers.get("sort"))
        return Page(body.neurons, total_items=body.total, total_pages=body.pages)

    def _listing(self, conn: Connection, query: Mapping[str, list[Any]], sort: str | None,
                 limit: int | None) -> Iterator[Sequence[Neuron]]:
        """A listing by a query in the server's terms (``fetch_many`` asks by ``neuron_id``)."""
        def page(window: Window) -> Page[Neuron]:
            body = self._select(conn, query, window, sort)
            return Page(body.neurons, total_items=body.total, total_pages=body.pages)

        return read_pages(conn, self.paging, page, limit)

    def count(self, conn: Connection, modifiers: Mapping[str, Any]) -> int:
        return self._select(conn, self._query(modifiers), Window(0, 0, 1), None).total

    # tables --------------------------------------------------------------------------------------
    def rows(self, conn: Connection | None, models: Sequence[Neuron]) -> list[dict[str, Any]]:
        """``id``, ``name``, ``archive``, ``species``, ``brain_region``, ``cell_type`` first, then
        the rest of the server's metadata in its order: numbers as floats (``"Not reported"`` is
        missing), dates as timestamps, list fields (brain region, cell type, ...) kept as lists;
        ``n_nodes`` when nodes are loaded. A column empty in every row is left out."""
        rows = [cv.row(m) for m in models]
        columns: dict[str, None] = dict.fromkeys(c for c in cv.LEADING)
        for r in rows:
            columns.update(dict.fromkeys(r))
        keep = [c for c in columns if c in ("id", "name") or any(_filled(r.get(c)) for r in rows)]
        return [{c: r.get(c) for c in keep} for r in rows]


def _filled(value: Any) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return not (isinstance(value, (str, list, tuple, dict)) and not value)


NeuroMorphoProject = absent("NeuroMorpho.org has archives, not projects (filter neurons by archive=)")
NeuroMorphoAnnotation = absent("NeuroMorpho.org has no annotations; its metadata is on each neuron (neuron.extra)")
NeuroMorphoImageInstance = absent("NeuroMorpho.org serves reconstructions, not images")
NeuroMorphoConnector = absent("NeuroMorpho.org reconstructions have no synapses")
NeuroMorphoVolume = absent("NeuroMorpho.org has no meshes")
