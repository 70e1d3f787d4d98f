"""The frame of the bundled NeuroMorpho.org: no credentials, Spring's error body, HAL envelopes
and the record filters the views share."""

from __future__ import annotations

import fnmatch
import json
import math
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

    def hal(self, request: Request, rows: list[dict[str, Any]]) -> Response:
        base = request.host_url.rstrip("/")
        page, size = int(request.args.get("page", 0)), min(int(request.args.get("size", 50)), 500)
        if size <= 0:
            raise BadQuery("Page size must not be less than one")
        sort = request.args.get("sort", "neuron_id")
        field, _, direction = sort.partition(",")
        if field not in FIELDS:
            raise BadQuery(f"Invalid field: {field}")
        rows = sorted(rows, key=lambda r: (r.get(field) is None, str(r.get(field)) if not isinstance(r.get(field), (int, float)) else r.get(field)),
                      reverse=direction.lower() == "desc")
        total_pages = math.ceil(len(rows) / size)
        chunk = rows[page * size : (page + 1) * size]

        def link(p: int) -> dict[str, str]:
            return {"href": f"{base}{request.path}?page={p}&size={size}"}

        links = {"first": link(0), "self": link(page), "next": link(min(page + 1, max(total_pages - 1, 0))),
                 "last": link(max(total_pages - 1, 0))}
        if page > 0:
            links["prev"] = link(page - 1)
        body: dict[str, Any] = {}
        if chunk:
            body["_embedded"] = {"neuronResources": [self.with_links(base, r) for r in chunk]}
        body["_links"] = links
        body["page"] = {"size": size, "totalElements": len(rows), "totalPages": total_pages, "number": page}
        return reply(body, ctype="application/hal+json;charset=UTF-8")

    @staticmethod
    def with_links(base: str, record: dict[str, Any]) -> dict[str, Any]:
        nid = record["neuron_id"]
        return {**record, "_links": {"self": {"href": f"{base}/api/neuron/id/{nid}"},
                                     "measurements": {"href": f"{base}/api/morphometry/id/{nid}"}}}

    @staticmethod
    def matches(record: dict[str, Any], field: str, values: list[Any]) -> bool:
        if field not in FIELDS:
            raise BadQuery(f"Invalid field: {field}")
        have = record.get(field)
        have = have if isinstance(have, list) else [have]
        for want in values:
            for value in have:
                if value is None:
                    continue
                if str(want) == str(value) or fnmatch.fnmatchcase(str(value).lower(), str(want).lower()):
                    return True
        return False

    def filtered(self, clauses: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        return [r for r in self.records() if all(self.matches(r, f, v) for f, v in clauses)]

    # -- endpoints ------------------------------------------------------------------------------------------
