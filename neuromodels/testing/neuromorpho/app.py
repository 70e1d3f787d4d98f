"""The bundled NeuroMorpho.org: HAL envelopes, select (GET q/fq and POST JSON), fields,
morphometry and SWC files, over the synthetic neurons of :mod:`.store`."""

from __future__ import annotations

import fnmatch
import json
import math
from typing import Any
from urllib.parse import unquote

import numpy as np
import orjson
from werkzeug.wrappers import Request, Response

from ..harness import App, View, route
from .store import FIELDS, SCHEMA, seed


def reply(body: Any, status: int = 200, ctype: str = "application/json;charset=UTF-8") -> Response:
    return Response(orjson.dumps(body), status=status, content_type=ctype)


def error(status: int, message: str, path: str) -> Response:
    titles = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
    return reply({"status": status, "error": titles.get(status, "Error"), "message": message, "path": path}, status)


class BadQuery(Exception):
    pass


class NeuroMorphoApp(App):
    """No credentials; Spring's error body; 200 HTML pages for missing files."""

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
    @route("/api/health")
    def health(self, request: Request, user: None) -> Response:
        return reply({"status": "UP"})

    @route("/api/neuron")
    def neurons(self, request: Request, user: None) -> Response:
        return self.hal(request, self.records())

    def one(self, request: Request, rows: list[tuple[str]]) -> Response:
        if not rows:
            return error(404, "Requested neuron not found", request.path)
        return reply(self.with_links(request.host_url.rstrip("/"), json.loads(rows[0][0])), ctype="application/hal+json;charset=UTF-8")

    @route("/api/neuron/id/<int:nid>")
    def by_id(self, request: Request, user: None, nid: int) -> Response:
        return self.one(request, self.db.read("SELECT record FROM neuron WHERE id = ?", (nid,)))

    @route("/api/neuron/name/<name>")
    def by_name(self, request: Request, user: None, name: str) -> Response:
        return self.one(request, self.db.read("SELECT record FROM neuron WHERE name = ?", (name,)))

    @route("/api/neuron/select")
    def select(self, request: Request, user: None) -> Response:
        clauses: list[tuple[str, list[Any]]] = []
        if request.method == "POST":
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                raise BadQuery("The request body must be a JSON object of field -> list of values")
            clauses = [(k, v if isinstance(v, list) else [v]) for k, v in body.items()]
        else:
            for key in ("q", "fq"):
                for clause in request.args.getlist(key):
                    field, sep, values = clause.partition(":")
                    if not sep:
                        raise BadQuery(f"Invalid query: {clause}")
                    clauses.append((field, values.split(",")))
            if not clauses:
                raise BadQuery("A select needs q=field:value")
        return self.hal(request, self.filtered(clauses))

    @route("/api/neuron/fields")
    def fields(self, request: Request, user: None) -> Response:
        return reply({"Neuron Fields": FIELDS})

    @route("/api/neuron/fields/<field>")
    def field_values(self, request: Request, user: None, field: str) -> Response:
        if field not in FIELDS:
            raise BadQuery(f"Invalid field: {field}")
        values: list[Any] = []
        for r in self.records():
            have = r.get(field)
            for v in (have if isinstance(have, list) else [have]):
                if v not in values:
                    values.append(v)
        page, size = int(request.args.get("page", 0)), min(int(request.args.get("size", 50)), 500)
        chunk = values[page * size : (page + 1) * size]
        return reply({"fields": chunk, "page": {"size": size, "totalElements": len(values),
                                                "totalPages": math.ceil(len(values) / size), "number": page}})

    @route("/api/morphometry/id/<int:nid>")
    def morphometry(self, request: Request, user: None, nid: int) -> Response:
        rows = self.db.read("SELECT record, swc FROM neuron WHERE id = ?", (nid,))
        if not rows:
            return error(404, "Requested neuron not found", request.path)
        record, swc = json.loads(rows[0][0]), rows[0][1] or ""
        points = [line.split() for line in swc.splitlines() if line.strip() and not line.startswith("#")]
        xyz = np.array([[float(p[2]), float(p[3]), float(p[4])] for p in points]) if points else np.zeros((1, 3))
        extent = xyz.max(axis=0) - xyz.min(axis=0)
        body = {"neuron_name": record["neuron_name"], "neuron_id": nid, "surface": record["surface"],
                "volume": record["volume"], "n_bifs": str(max(len(points) // 10, 1)), "n_branch": str(max(len(points) // 5, 1)),
                "width": f"{extent[0]:.2f}", "height": f"{extent[1]:.2f}", "depth": f"{extent[2]:.2f}",
                "n_stems": "4", "length": f"{len(points) * 3.0:.2f}", "soma_Surface": record["soma_surface"],
                "_links": {"self": {"href": f"{request.host_url.rstrip('/')}/api/morphometry/id/{nid}"}}}
        return reply(body, ctype="application/hal+json;charset=UTF-8")

    @route("/dableFiles/<path:rest>")
    def files(self, request: Request, user: None, rest: str) -> Response:
        parts = unquote(rest).split("/")
        missing = Response("<!DOCTYPE html>\n<html>\n<head><title>NeuroMorpho.Org</title></head>\n<body>\n"
                           "<h2>The requested resource could not be found.</h2>\n</body>\n</html>\n", content_type="text/html")
        if len(parts) != 3 or parts[1] != "CNG version" or not parts[2].endswith(".CNG.swc"):
            return missing
        name = parts[2][: -len(".CNG.swc")]
        rows = self.db.read("SELECT record, swc FROM neuron WHERE name = ?", (name,))
        if not rows or rows[0][1] is None or json.loads(rows[0][0])["archive"].lower() != parts[0]:
            return missing  # 200 with an HTML page, as the real file server may answer
        return Response(rows[0][1], content_type="text/plain")
