"""The bundled NeuroMorpho.org: HAL envelopes, select (GET q/fq and POST JSON), fields,
morphometry and SWC files, over a few dozen synthetic neurons in SQLite."""

from __future__ import annotations

import fnmatch
import json
import math
from typing import Any
from urllib.parse import unquote

import numpy as np
import orjson
from werkzeug.exceptions import NotFound as RouteNotFound, MethodNotAllowed
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ..harness import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS neuron (id INTEGER PRIMARY KEY, name TEXT UNIQUE, record TEXT NOT NULL, swc TEXT);
"""
FIELDS = ["neuron_id", "neuron_name", "archive", "age_scale", "gender", "age_classification", "brain_region",
          "cell_type", "species", "strain", "scientific_name", "stain", "experiment_condition", "protocol",
          "slicing_direction", "reconstruction_software", "objective_type", "original_format", "domain", "attributes",
          "magnification", "upload_date", "deposition_date", "shrinkage_reported", "shrinkage_corrected",
          "reported_value", "reported_xy", "reported_z", "corrected_value", "corrected_xy", "corrected_z",
          "soma_surface", "surface", "volume", "slicing_thickness", "min_age", "max_age", "min_weight", "max_weight",
          "png_url", "reference_pmid", "reference_doi", "physical_Integrity"]
SPECIES = [("mouse", "Mus musculus", "C57BL/6"), ("rat", "Rattus norvegicus", "Wistar"),
           ("human", "Homo sapiens", "Not reported"), ("monkey", "Macaca mulatta", "Rhesus"),
           ("drosophila melanogaster", "Drosophila melanogaster", "Canton-S")]
REGIONS = [["neocortex", "occipital", "layer 6"], ["hippocampus", "CA1"], ["neocortex", "prefrontal", "layer 3"],
           ["cerebellum", "cortex"], ["antennal lobe"]]
CELLS = [["principal cell", "pyramidal"], ["interneuron", "basket"], ["Purkinje"], ["projection neuron"]]
ARCHIVES = ["Wearne_Hof", "Scanziani", "Smith Lab", "Jones"]
MISSING_SWC = {1003, 1029}  # their files answer with an HTML page, as the real file server may


def synthetic_swc(seed: int, n: int) -> str:
    """An SWC as NeuroMorpho's CNG files look: # header, 3-point soma, ragged padding."""
    rng = np.random.default_rng(seed)
    lines = ["# Original file synthetic.swc edited using StdSwc version 1.21.",
             "#  Irregularities and fixes documented in synthetic.swc.std.", "#"]
    r = round(float(rng.uniform(4, 9)), 3)
    lines += [f"  1 1   0.00   0.00   0.00 {r} -1", f"  2 1   0.00  {-r:.2f}   0.00 {r}  1",
              f"  3 1   0.00   {r:.2f}   0.00 {r}  1"]
    positions = {1: np.zeros(3)}
    for i in range(4, n + 1):
        parent = i - 1 if (i > 4 and rng.random() > 0.1) else int(rng.integers(1, i))
        if parent in (2, 3):
            parent = 1
        pos = positions[parent] + rng.normal(scale=3.0, size=3)
        positions[i] = pos
        lines.append(f"{i:>3} 3 {pos[0]:7.2f} {pos[1]:7.2f} {pos[2]:7.2f} {float(rng.uniform(0.2, 1.2)):.2f} {parent:>3}")
    return "\n".join(lines) + "\n"


def seed(cur: Any) -> None:
    if cur.execute("SELECT COUNT(*) FROM neuron").fetchone()[0]:
        return
    rng = np.random.default_rng(7)
    for k in range(36):
        nid = 1000 + k
        species, scientific, strain = SPECIES[k % len(SPECIES)]
        archive = ARCHIVES[k % len(ARCHIVES)]
        name = f"{['cnic', 'TypeA', 'smith', 'jx'][k % 4]}_{k:03d}"
        nodes = int(rng.integers(40, 400))
        record = {
            "neuron_id": nid, "neuron_name": name, "archive": archive, "note": "", "age_scale": "Day",
            "gender": ["Male", "Female", "Male/Female"][k % 3], "age_classification": ["young", "adult", "old"][k % 3],
            "brain_region": REGIONS[k % len(REGIONS)], "cell_type": CELLS[k % len(CELLS)], "species": species,
            "strain": strain, "scientific_name": scientific, "stain": "biocytin", "experiment_condition": ["Control"],
            "protocol": "in vitro", "slicing_direction": "coronal", "reconstruction_software": "Neurolucida",
            "objective_type": "oil", "original_format": f"{name}.asc", "domain": "Dendrites, Soma, Axon",
            "attributes": "Diameter, 3D, Angles", "magnification": "100", "upload_date": "2013-01-25",
            "deposition_date": "2012-12-05", "shrinkage_reported": "Not reported", "shrinkage_corrected": "Not Corrected",
            "reported_value": None, "reported_xy": None, "reported_z": None, "corrected_value": None,
            "corrected_xy": None, "corrected_z": None, "soma_surface": f"{rng.uniform(300, 900):.2f}",
            "surface": f"{rng.uniform(3000, 9000):.2f}", "volume": f"{rng.uniform(1000, 5000):.2f}",
            "slicing_thickness": "300", "min_age": f"{float(k % 30 + 10):.1f}", "max_age": f"{float(k % 30 + 20):.1f}",
            "min_weight": "Not reported", "max_weight": "Not reported",
            "png_url": f"http://neuromorpho.org/images/imageFiles/{archive}/{name}.png",
            "reference_pmid": [str(10000000 + k)], "reference_doi": [f"10.0000/synthetic.{k}"],
            "physical_Integrity": "Dendrites & Axon Moderate",
        }
        swc = None if nid in MISSING_SWC else synthetic_swc(nid, nodes)
        if swc is not None and k % 5 == 0:
            swc = swc.replace("\n", "\r\n")  # some files come with CRLF line ends
        cur.execute("INSERT INTO neuron VALUES (?, ?, ?, ?)", (nid, name, json.dumps(record), swc))


def reply(body: Any, status: int = 200, ctype: str = "application/json;charset=UTF-8") -> Response:
    return Response(orjson.dumps(body), status=status, content_type=ctype)


def error(status: int, message: str, path: str) -> Response:
    titles = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
    return reply({"status": status, "error": titles.get(status, "Error"), "message": message, "path": path}, status)


class BadQuery(Exception):
    pass


class NeuroMorphoApp:
    def __init__(self, db_path: str) -> None:
        self.db = Database(db_path, SCHEMA)
        with self.db.transaction() as cur:
            seed(cur)
        self.url_map = Map([
            Rule("/api/health", endpoint="health"),
            Rule("/api/neuron", endpoint="neurons"),
            Rule("/api/neuron/id/<int:nid>", endpoint="by_id"),
            Rule("/api/neuron/name/<name>", endpoint="by_name"),
            Rule("/api/neuron/select", endpoint="select"),
            Rule("/api/neuron/fields", endpoint="fields"),
            Rule("/api/neuron/fields/<field>", endpoint="field_values"),
            Rule("/api/morphometry/id/<int:nid>", endpoint="morphometry"),
            Rule("/dableFiles/<path:rest>", endpoint="files"),
        ], strict_slashes=False)

    def __call__(self, request: Request) -> Response:
        try:
            endpoint, args = self.url_map.bind_to_environ(request.environ).match()
        except (RouteNotFound, MethodNotAllowed):
            return error(404, "No message available", request.path)
        try:
            return getattr(self, endpoint)(request, **args)
        except BadQuery as e:
            return error(400, str(e), request.path)

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
        link = lambda p: {"href": f"{base}{request.path}?page={p}&size={size}"}  # noqa: E731
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
    def health(self, request: Request) -> Response:
        return reply({"status": "UP"})

    def neurons(self, request: Request) -> Response:
        return self.hal(request, self.records())

    def one(self, request: Request, rows: list[tuple[str]]) -> Response:
        if not rows:
            return error(404, "Requested neuron not found", request.path)
        return reply(self.with_links(request.host_url.rstrip("/"), json.loads(rows[0][0])), ctype="application/hal+json;charset=UTF-8")

    def by_id(self, request: Request, nid: int) -> Response:
        return self.one(request, self.db.read("SELECT record FROM neuron WHERE id = ?", (nid,)))

    def by_name(self, request: Request, name: str) -> Response:
        return self.one(request, self.db.read("SELECT record FROM neuron WHERE name = ?", (name,)))

    def select(self, request: Request) -> Response:
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

    def fields(self, request: Request) -> Response:
        return reply({"Neuron Fields": FIELDS})

    def field_values(self, request: Request, field: str) -> Response:
        if field not in FIELDS:
            raise BadQuery(f"Invalid field: {field}")
        values: list[Any] = []
        for r in self.records():
            for v in (r.get(field) if isinstance(r.get(field), list) else [r.get(field)]):
                if v not in values:
                    values.append(v)
        page, size = int(request.args.get("page", 0)), min(int(request.args.get("size", 50)), 500)
        chunk = values[page * size : (page + 1) * size]
        return reply({"fields": chunk, "page": {"size": size, "totalElements": len(values),
                                                "totalPages": math.ceil(len(values) / size), "number": page}})

    def morphometry(self, request: Request, nid: int) -> Response:
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

    def files(self, request: Request, rest: str) -> Response:
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
