"""NeuroMorpho.org: read-only neurons, queried through ``/api/neuron/select``."""

from __future__ import annotations

import math
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

import attrs

from ...connection import Connection
from ...errors import NotFound, ProtocolError
from ...formats.swc import SWCError, parse_swc
from ...resources import Neuron
from ..base import Filter, as_list, check_id
from ..resource import BulkFetch, ConnectionState, Count, List, LoadNodes, Morphometry, absent
from . import converter as cv

READ_ONLY = "NeuroMorpho.org is read-only"
#: The server's largest page.
PAGE = 500
VALUE = (str, int, float, np.integer, np.floating)


@attrs.define
class NeuroMorphoState(ConnectionState):
    """The neuron fields the server lists, read once per connection."""

    fields: dict[str, Filter] | None = None


class NeuroMorphoNeuron(BulkFetch, List, Count, LoadNodes, Morphometry):
    id_type = int
    not_supported = {"create": READ_ONLY, "update": READ_ONLY, "delete": READ_ONLY}
    fetch_options = {"nodes": True, "name": None}
    list_options = {"nodes": False}
    fixed_filters = {
        "ids": Filter("ids", (int, np.integer), "neuron ids, results in the order given", many=True),
        "sort": Filter("sort", (str,), "a field, optionally ',asc' or ',desc' (default neuron_id)"),
    }

    def allowed_filters(self, conn: Connection) -> Mapping[str, Filter]:
        """The server's own field list, read once per connection."""
        state = NeuroMorphoState.of(conn)
        if state.fields is None:
            body = conn.transport.request("GET", "/api/neuron/fields")
            names = body.get("Neuron Fields") if isinstance(body, Mapping) else None
            if not isinstance(names, list):
                raise ProtocolError("/api/neuron/fields did not list the fields")
            state.fields = {
                name: Filter(name, VALUE, "neuron field (a list means any of them; * is a wildcard)", many=True)
                for name in names if name != "neuron_id"
            }
        return {**state.fields, **self.fixed_filters}

    # reading ------------------------------------------------------------------------------------
    def fetch_one(self, conn: Connection, id: Any, *, name: str | None = None, nodes: bool = True, **options: Any) -> Neuron:
        if name is not None:
            if not isinstance(name, str) or not name or "/" in name:
                raise ValueError(f"a NeuroMorpho neuron name is a non-empty string without '/', not {name!r}")
            record = conn.transport.request("GET", f"/api/neuron/name/{cv.segment(name)}")
        else:
            record = conn.transport.request("GET", f"/api/neuron/id/{id}")
        neuron = cv.neuron_from_record(record)
        if name is not None and neuron.name != name:
            raise ProtocolError(f"asked for neuron {name!r}, the server answered with {neuron.name!r}")
        if nodes:
            neuron.nodes = self._swc(conn, neuron)
        return neuron

    def fetch_many(self, conn: Connection, ids: Sequence[Any], context: Mapping[str, Any], *, nodes: bool = False,
                   **options: Any) -> dict[Any, Neuron]:
        found = {n.id: n for page in self._pages(conn, {"neuron_id": [int(i) for i in ids]}, None, None) for n in page}
        if nodes and found:
            self.load_nodes(conn, list(found.values()))
        return found

    def _swc(self, conn: Connection, neuron: Neuron) -> Any:
        archive = neuron.extra.get("archive")
        if not archive or not neuron.name:
            raise ProtocolError(f"neuron {neuron.id} has no archive or name to find its SWC file by")
        path = cv.swc_path(archive, neuron.name)
        text = conn.transport.request("GET", path, parse=lambda r: r.text)
        if "<html" in text[:500].lower():
            # The file server answers a missing file with an HTML page, sometimes with a 200.
            raise NotFound(f"NeuroMorpho has no SWC file for {neuron.name}", missing=[neuron.id], status=200,
                           method="GET", path=path)
        try:
            return parse_swc(text)
        except SWCError as e:
            raise ProtocolError(f"the SWC file of {neuron.name} is malformed: {e}", method="GET", path=path) from e

    def load_nodes(self, conn: Connection, neurons: Sequence[Neuron]) -> None:
        """One visible, parallel, progress-barred step (at most ``max_workers`` requests)."""
        files = conn.transport.map_values(lambda n: self._swc(conn, n), neurons, desc="loading SWC files")
        for neuron, nodes in zip(neurons, files):
            neuron.nodes = nodes

    def morphometry(self, conn: Connection, model: Any) -> dict[str, Any]:
        return cv.morphometry(conn.transport.request("GET", f"/api/morphometry/id/{model.id}"))

    def _select(self, conn: Connection, query: Mapping[str, list[Any]], page: int, size: int, sort: str | None) -> Mapping[str, Any]:
        params: dict[str, Any] = {"page": page, "size": size}
        if sort:
            params["sort"] = sort
        if not query:
            return conn.transport.request("GET", "/api/neuron", params=params)
        return conn.transport.request("POST", "/api/neuron/select", params=params, json=dict(query), read=True)

    @staticmethod
    def _query(modifiers: Mapping[str, Any]) -> dict[str, list[Any]]:
        query: dict[str, list[Any]] = {}
        for key, value in modifiers.items():
            if key in ("sort", "ids"):
                continue
            query[key] = [v.item() if hasattr(v, "item") else v for v in as_list(value)]
        if "ids" in modifiers:
            query["neuron_id"] = [int(i) for i in as_list(modifiers["ids"])]
        return query

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, *, nodes: bool = False,
              **options: Any) -> Iterator[Sequence[Neuron]]:
        for page in self._pages(conn, self._query(modifiers), limit, modifiers.get("sort")):
            if nodes:
                self.load_nodes(conn, page)
            yield page

    def _pages(self, conn: Connection, query: Mapping[str, list[Any]], limit: int | None, sort: str | None) -> Iterator[list[Neuron]]:
        """Page 0 tells the total; the rest follow in parallel (the server is slow, not busy)."""
        size = PAGE if limit is None else max(1, min(PAGE, limit))
        first = self._select(conn, query, 0, size, sort)
        rows = (first.get("_embedded") or {}).get("neuronResources", [])  # no _embedded: no match
        if not rows:
            return
        yield [cv.neuron_from_record(r) for r in rows]
        total_pages = int((first.get("page") or {}).get("totalPages", 1))
        if limit is not None:
            total_pages = min(total_pages, math.ceil(limit / size))
        if total_pages <= 1:
            return
        for body in conn.transport.map_values(lambda p: self._select(conn, query, p, size, sort), range(1, total_pages)):
            yield [cv.neuron_from_record(r) for r in (body.get("_embedded") or {}).get("neuronResources", [])]

    def count(self, conn: Connection, modifiers: Mapping[str, Any]) -> int:
        body = self._select(conn, self._query(modifiers), 0, 1, None)
        return int((body.get("page") or {}).get("totalElements", 0))



NeuroMorphoProject = absent("NeuroMorpho.org has archives, not projects (filter neurons by archive=)")
NeuroMorphoAnnotation = absent("NeuroMorpho.org has no annotations; its metadata is on each neuron (neuron.extra)")
NeuroMorphoImageInstance = absent("NeuroMorpho.org serves reconstructions, not images")
NeuroMorphoConnector = absent("NeuroMorpho.org reconstructions have no synapses")
NeuroMorphoVolume = absent("NeuroMorpho.org has no meshes")
