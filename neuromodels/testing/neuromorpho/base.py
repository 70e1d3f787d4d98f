"""The frame of the bundled NeuroMorpho.org: no credentials, Spring's error body, HAL envelopes
and the record filters the views share."""

from __future__ import annotations

import fnmatch
import json
import math
import re
from typing import Any

import orjson
from werkzeug.wrappers import Request, Response

from ..harness import App, View
from .store import FIELDS, SCHEMA, seed


def reply(body: Any, status: int = 200, ctype: str = "application/json;charset=UTF-8") -> Response:
    return Response(orjson.dumps(body), status=status, content_type=ctype)


def error(status: int, message: str, path: str) -> Response:
    titles = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
    return reply({"status": status, "error": titles.get(status, "Error"), "message": message, "path": path}, status)


#: A numeric range in a select (Solr's syntax; either end may be *).
RANGE = re.compile(r"\[\s*(\*|-?[0-9.eE+-]+)\s+TO\s+(\*|-?[0-9.eE+-]+)\s*\]")


class BadQuery(Exception):
    pass


class NeuroMorphoBase(App):
    """No credentials; Spring's error body; the views are mixins in :mod:`.views`."""

    schema = SCHEMA

    def seed(self, cur: Any) -> None:
        seed(cur)

    def error(self, request: Request, view: View, exc: Exception) -> Response | None:
        return error(400, str(exc), request.path) if isinstance(exc, BadQuery) else None

    def not_found(self, request: Request) -> Response:
        return error(404, "No message available", request.path)

    def method_not_allowed(self, request: Request, view: View | None) -> Response:
        return self.not_found(request)

    def fault_body(self, status: int) -> str:
        return orjson.dumps({"status": status, "error": "Injected", "message": f"injected fault (HTTP {status})",
                             "path": "/"}).decode()

    # -- helpers ------------------------------------------------------------------------------------
    def records(self) -> list[dict[str, Any]]:
        return [json.loads(r) for (r,) in self.db.read("SELECT record FROM neuron ORDER BY id")]

    def hal(self, request: Request, rows: list[dict[str, Any]], key: str = "neuronResources",
            fields: list[str] = FIELDS, sort: str = "neuron_id", link: Any = None) -> Response:
        """One page of ``rows`` in Spring's HAL envelope under ``_embedded.<key>``."""
        base = request.host_url.rstrip("/")
        page, size = int(request.args.get("page", 0)), min(int(request.args.get("size", 50)), 500)
        if size <= 0:
            raise BadQuery("Page size must not be less than one")
        sort = request.args.get("sort", sort)
        field, _, direction = sort.partition(",")
        if field not in fields:
            raise BadQuery(f"Invalid field: {field}")
        rows = sorted(rows, key=lambda r: (r.get(field) is None, str(r.get(field)) if not isinstance(r.get(field), (int, float)) else r.get(field)),
                      reverse=direction.lower() == "desc")
        total_pages = math.ceil(len(rows) / size)
        chunk = rows[page * size : (page + 1) * size]

        def href(p: int) -> dict[str, str]:
            return {"href": f"{base}{request.path}?page={p}&size={size}"}

        links = {"first": href(0), "self": href(page), "next": href(min(page + 1, max(total_pages - 1, 0))),
                 "last": href(max(total_pages - 1, 0))}
        if page > 0:
            links["prev"] = href(page - 1)
        body: dict[str, Any] = {}
        if chunk:
            body["_embedded"] = {key: [(link or self.with_links)(base, r) for r in chunk]}
        body["_links"] = links
        body["page"] = {"size": size, "totalElements": len(rows), "totalPages": total_pages, "number": page}
        return reply(body, ctype="application/hal+json;charset=UTF-8")

    @staticmethod
    def clauses(request: Request) -> list[tuple[str, list[Any]]]:
        """A select's criteria: the POST body ``{field: [values]}`` or GET ``q``/``fq`` clauses."""
        clauses: list[tuple[str, list[Any]]] = []
        if request.method == "POST":
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                raise BadQuery("The request body must be a JSON object of field -> list of values")
            return [(k, v if isinstance(v, list) else [v]) for k, v in body.items()]
        for key in ("q", "fq"):
            for clause in request.args.getlist(key):
                field, sep, values = clause.partition(":")
                if not sep:
                    raise BadQuery(f"Invalid query: {clause}")
                clauses.append((field, values.split(",")))
        if not clauses:
            raise BadQuery("A select needs q=field:value")
        return clauses

    def page_of_values(self, request: Request, values: list[Any]) -> Response:
        page, size = int(request.args.get("page", 0)), min(int(request.args.get("size", 50)), 500)
        chunk = values[page * size : (page + 1) * size]
        return reply({"fields": chunk, "page": {"size": size, "totalElements": len(values),
                                                "totalPages": math.ceil(len(values) / size), "number": page}})

    @staticmethod
    def distinct(rows: list[dict[str, Any]], field: str) -> dict[Any, int]:
        """Each value of ``field`` (items of list fields counted one by one) -> its rows."""
        counts: dict[Any, int] = {}
        for r in rows:
            have = r.get(field)
            for v in (have if isinstance(have, list) else [have]):
                counts[v] = counts.get(v, 0) + 1
        return counts

    @staticmethod
    def with_links(base: str, record: dict[str, Any]) -> dict[str, Any]:
        nid = record["neuron_id"]
        # The real server's links name itself: the image link is made the bundled server's own.
        png = f"{base}/images/imageFiles/{record['archive']}/{record['neuron_name']}.png"
        return {**record, "png_url": png, "_links": {"self": {"href": f"{base}/api/neuron/id/{nid}"},
                                                     "measurements": {"href": f"{base}/api/morphometry/id/{nid}"},
                                                     "persistence_vector": {"href": f"{base}/api/pvec/id/{nid}"}}}

    @staticmethod
    def matches(record: dict[str, Any], field: str, values: list[Any], fields: list[str] = FIELDS) -> bool:
        """Any of ``values``: equal, a ``*`` wildcard, or a numeric range ``[low TO high]``."""
        if field not in fields:
            raise BadQuery(f"Invalid field: {field}")
        have = record.get(field)
        have = have if isinstance(have, list) else [have]
        for want in values:
            bounds = RANGE.fullmatch(str(want).strip())
            for value in have:
                if value is None:
                    continue
                if bounds:
                    try:
                        number = float(value)
                    except ValueError:
                        continue
                    low, high = (float(b) if b != "*" else None for b in bounds.groups())
                    if (low is None or number >= low) and (high is None or number <= high):
                        return True
                elif str(want) == str(value) or fnmatch.fnmatchcase(str(value).lower(), str(want).lower()):
                    return True
        return False

    def filtered(self, clauses: list[tuple[str, list[Any]]], rows: list[dict[str, Any]] | None = None,
                 fields: list[str] = FIELDS) -> list[dict[str, Any]]:
        rows = self.records() if rows is None else rows
        return [r for r in rows if all(self.matches(r, f, v, fields) for f, v in clauses)]

    # -- endpoints ------------------------------------------------------------------------------------------
