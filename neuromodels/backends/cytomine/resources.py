"""Cytomine's resources: what each can do, its filters, and the requests behind them.

Paths end in ``.json``; collections come in ``{collection, offset, perPage, size, totalPages}``
and are paged with ``max``/``offset`` until ``size`` items were read.
"""

from __future__ import annotations

import math
from typing import Any, Callable, ClassVar, Iterator, Mapping, Sequence

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from ...connection import Connection
from ...errors import BadRequest, NotFound, ProtocolError
from ...resources import Annotation, Project
from ..base import Filter, check_id, check_name
from ..resource import (
    BulkCreate, Count, Create, Delete, Download, Errors, Fetch, List, Resource, Settle, Settlement, Thumbnail,
    Update, absent,
)
from . import converter as cv

INT = (int, np.integer)
BOOL = (bool,)
#: Rows per page; the server lists in memory or with SQL LIMIT, both fine at this size.
PAGE = 1000
#: The most annotations per list POST; chunks go out in parallel.
BATCH = 250


def _param(value: Any) -> Any:
    """Query values as Cytomine reads them: lists joined by commas, booleans true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, set)):
        return ",".join(str(v) for v in value)
    if isinstance(value, BaseGeometry):
        return value.wkt
    return value


def paged(conn: Connection, path: str, params: Mapping[str, Any], limit: int | None,
          convert: Callable[[Mapping[str, Any]], Any]) -> Iterator[list[Any]]:
    """Every row of a collection, page by page, driven by the server's ``size`` (never by
    floor division), stopping if the server ignores ``offset``."""
    offset, seen = 0, set()
    while True:
        size = PAGE if limit is None else max(1, min(PAGE, limit - offset))
        body = conn.transport.request("GET", path, params={**{k: _param(v) for k, v in params.items()},
                                                           "max": size, "offset": offset})
        if not isinstance(body, Mapping) or "collection" not in body:
            raise ProtocolError(f"{path} did not return a collection envelope")
        rows = body["collection"]
        fresh = [r for r in rows if r.get("id") not in seen]
        if not fresh:
            return
        seen.update(r.get("id") for r in fresh)
        yield [convert(r) for r in fresh]
        offset += len(rows)
        total = body.get("size")
        if (total is not None and offset >= int(total)) or (limit is not None and offset >= limit):
            return


def _total(conn: Connection, path: str, params: Mapping[str, Any]) -> int:
    body = conn.transport.request("GET", path, params={**{k: _param(v) for k, v in params.items()}, "max": 1, "offset": 0})
    return int(body.get("size", 0))


class Command(Resource):
    """Declarations of a Cytomine domain: ``api/<route>/{id}.json``, the key of the object in
    command replies, and its wire shapes."""

    route: ClassVar[str] = ""
    key: ClassVar[str] = ""
    from_wire: ClassVar[Callable[[Mapping[str, Any]], Any]] = staticmethod(lambda row: row)

    def to_wire(self, model: Any) -> dict[str, Any]:
        raise NotImplementedError


class CommandFetch(Command, Fetch):
    def fetch_one(self, conn: Connection, id: Any, **options: Any) -> Any:
        return self.from_wire(conn.transport.request("GET", f"/api/{self.route}/{id}.json"))


class CommandList(Command, List, Count):
    """Collections: a path (and query) per filter set, paged by the server's ``size``."""

    def list_path(self, conn: Connection, modifiers: Mapping[str, Any]) -> str:
        return f"/api/{self.route}.json"

    def list_params(self, conn: Connection, modifiers: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, **options: Any) -> Iterator[Sequence[Any]]:
        yield from paged(conn, self.list_path(conn, modifiers), self.list_params(conn, modifiers), limit, self.from_wire)

    def count(self, conn: Connection, modifiers: Mapping[str, Any]) -> int:
        return _total(conn, self.list_path(conn, modifiers), self.list_params(conn, modifiers))


class CommandCreate(Command, Create):
    def create(self, conn: Connection, model: Any, modifiers: Mapping[str, Any]) -> None:
        body = cv.writable(self.key, self.to_wire(model))
        body.pop("id", None)
        reply = conn.transport.request("POST", f"/api/{self.route}.json", json=body)
        model.assign(self.from_wire(cv.command_object(reply, self.key)))


class CommandUpdate(Command, Update):
    def update(self, conn: Connection, model: Any, changes: Mapping[str, Any], modifiers: Mapping[str, Any]) -> None:
        # Cytomine's PUT replaces the whole object: send the last fetched state with the
        # changes applied, never the computed fields.
        reply = conn.transport.request("PUT", f"/api/{self.route}/{model.id}.json",
                                       json=cv.writable(self.key, self.to_wire(model)))
        model.assign(self.from_wire(cv.command_object(reply, self.key)))


class CommandDelete(Command, Delete):
    def delete(self, conn: Connection, model: Any) -> None:
        conn.transport.request("DELETE", f"/api/{self.route}/{model.id}.json")


class CommandCRUD(CommandFetch, CommandList, CommandCreate, CommandUpdate, CommandDelete):
    """A domain with the usual show / list / add / edit / delete routes."""


# -- Project -----------------------------------------------------------------------------------------
class CytomineProject(CommandCRUD):
    route, key = "project", "project"
    from_wire = staticmethod(cv.project_from_wire)
    filters = {
        "user": Filter("user", INT, "projects of this user id"),
        "ontology": Filter("ontology", INT, "projects using this ontology id"),
    }

    def to_wire(self, model: Any) -> dict[str, Any]:
        return cv.project_to_wire(model)

    def validate(self, model: Any, operation: str) -> None:
        check_name(model.name, "a project name")
        if model.ontology is not None:
            check_id(model.ontology, int, "ontology id")

    def list_path(self, conn: Connection, modifiers: Mapping[str, Any]) -> str:
        if "user" in modifiers:
            return f"/api/user/{modifiers['user']}/project.json"
        if "ontology" in modifiers:
            return f"/api/ontology/{modifiers['ontology']}/project.json"
        return "/api/project.json"

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, **options: Any) -> Iterator[Sequence[Project]]:
        # Both filters: the user's projects, narrowed to the ontology here.
        ontology = modifiers.get("ontology") if "user" in modifiers else None
        for page in super().pages(conn, modifiers, limit):
            yield [p for p in page if ontology is None or p.ontology == ontology]

    def count(self, conn: Connection, modifiers: Mapping[str, Any]) -> int:
        if "user" in modifiers and "ontology" in modifiers:
            return sum(len(p) for p in self.pages(conn, modifiers, None))
        return super().count(conn, modifiers)


# -- ImageInstance -----------------------------------------------------------------------------------------
class CytomineImageInstance(CommandFetch, CommandList, Download, Thumbnail):
    route, key = "imageinstance", "imageinstance"
    from_wire = staticmethod(cv.image_from_wire)
    filters = {"project": Filter("project", INT, "project id (default: the connection's)")}
    not_supported = {
        "create": "images reach Cytomine through its upload server, not this API",
        "update": "image instances are managed in Cytomine's web interface",
        "delete": "image instances are managed in Cytomine's web interface",
    }

    def list_path(self, conn: Connection, modifiers: Mapping[str, Any]) -> str:
        project = check_id(modifiers.get("project", conn.project), int,
                           "project id (set project= on the connection or the filter)")
        return f"/api/project/{project}/imageinstance.json"

    def download(self, conn: Connection, model: Any, path: str) -> str:
        data = conn.transport.request("GET", f"/api/imageinstance/{model.id}/download", parse=lambda r: r.content)
        with open(path, "wb") as fh:
            fh.write(data)
        return path

    def thumbnail(self, conn: Connection, model: Any, max_size: int) -> bytes:
        return conn.transport.request("GET", f"/api/imageinstance/{model.id}/thumb.png",
                                      params={"maxSize": max_size}, parse=lambda r: r.content)


# -- Annotation -----------------------------------------------------------------------------------------------
def _check_bbox(value: Any) -> None:
    if isinstance(value, (tuple, list)):
        if len(value) != 4 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value):
            raise ValueError("bbox must be (minX, minY, maxX, maxY) of finite numbers")


_SHOW = ("showBasic", "showMeta", "showWKT", "showGIS", "showTerm", "showImage", "showUser", "showSlice", "showTrack", "showDefault")
_ANNOTATION_FILTERS = {
    "project": Filter("project", INT, "project id (default: the connection's)"),
    "image": Filter("image", INT, "image instance id"),
    "images": Filter("images", INT, "image instance ids", many=True),
    "slice": Filter("slice", INT, "slice id"),
    "slices": Filter("slices", INT, "slice ids", many=True),
    "user": Filter("user", INT, "annotations of this user id"),
    "users": Filter("users", INT, "annotations of these user ids", many=True),
    "term": Filter("term", INT, "annotations with this term id"),
    "terms": Filter("terms", INT, "annotations with any of these term ids", many=True),
    "noTerm": Filter("noTerm", BOOL, "annotations without any term"),
    "multipleTerm": Filter("multipleTerm", BOOL, "annotations with two or more terms"),
    "tag": Filter("tag", INT, "annotations with this tag id"),
    "tags": Filter("tags", INT, "annotations with these tag ids", many=True),
    "bbox": Filter("bbox", (tuple, list, str, BaseGeometry), "(minX, minY, maxX, maxY), a WKT polygon or a geometry",
                   check=_check_bbox),
    "reviewed": Filter("reviewed", BOOL, "list reviewed annotations instead"),
    "notReviewedOnly": Filter("notReviewedOnly", BOOL, "only annotations not reviewed yet"),
    "afterThan": Filter("afterThan", (int, str), "created after (epoch ms or ISO time)"),
    "beforeThan": Filter("beforeThan", (int, str), "created before (epoch ms or ISO time)"),
    **{flag: Filter(flag, BOOL, f"output group {flag[4:]} (any show flag replaces the defaults)") for flag in _SHOW},
}


class CytomineAnnotation(CommandFetch, CommandList, BulkCreate, Update, CommandDelete, Settle):
    route, key = "annotation", "annotation"
    from_wire = staticmethod(cv.annotation_from_wire)
    filters = _ANNOTATION_FILTERS
    creatable = frozenset({"geometry", "image", "project", "terms"})
    writable = frozenset({"geometry", "image", "terms"})
    batch_size = BATCH
    not_supported = {
        "field name": "Cytomine annotations have no name; give them terms",
        "field targets": "Cytomine annotations mark regions of images, not neurons",
        "field meta": "Cytomine has no meta-annotations",
        "field properties": "Cytomine's key-value properties are not written through annotations here yet",
        "field project": "an annotation belongs to its image's project",
    }

    def validate(self, model: Any, operation: str) -> None:
        g = model.geometry
        if not isinstance(g, BaseGeometry):
            raise TypeError(f"an annotation's geometry must be a shapely geometry, not {type(g).__name__}")
        if g.is_empty:
            raise ValueError("an annotation's geometry must not be empty")
        if not np.isfinite(shapely.get_coordinates(g)).all():
            raise ValueError("an annotation's geometry has non-finite coordinates")
        if not g.is_valid:
            raise ValueError(f"the geometry is not valid ({shapely.is_valid_reason(g)})")
        check_id(model.image, int, "annotation image id")
        for t in model.terms or []:
            check_id(t, int, "term id")

    def create(self, conn: Connection, model: Any, modifiers: Mapping[str, Any]) -> None:
        reply = conn.transport.request("POST", "/api/annotation.json", json=cv.annotation_to_wire(model, with_terms=True))
        model.assign(cv.annotation_from_wire(cv.command_object(reply, "annotation")))

    def create_chunk(self, conn: Connection, chunk: Sequence[Any], modifiers: Mapping[str, Any]) -> Errors:
        return self._save_chunk(conn, list(chunk))

    def _save_chunk(self, conn: Connection, chunk: list[Any]) -> list[BaseException | None]:
        payload = [cv.annotation_to_wire(m, with_terms=True) for m in chunk]
        # The legacy core answers with the status on the HTTP line: keep it with the body.
        http_status, body = conn.transport.request(
            "POST", "/api/annotation.json", json=payload,
            parse=lambda r: (r.status_code, r.json() if r.content else None))
        status, ids, problems, message = cv.batch_reply(body, http_status)
        if status == 200 and len(ids) == len(chunk):
            for model, new_id in zip(chunk, ids):  # ids come in input order
                model.id = new_id
            return [None] * len(chunk)
        if status == 400 and not ids:
            # Nothing stored: each item fails with its own message where the server named it.
            reasons = self._match_errors(chunk, payload, problems)
            return [BadRequest(reasons.get(i) or message, server_message=reasons.get(i) or message) for i in range(len(chunk))]
        reasons = self._match_errors(chunk, payload, problems)
        if status == 206 and len(ids) + len(reasons) == len(chunk) and len(reasons) == len(problems):
            saved = [m for i, m in enumerate(chunk) if i not in reasons]
            for model, new_id in zip(saved, ids):
                model.id = new_id
            return [BadRequest(reasons[i], server_message=reasons[i]) if i in reasons else None for i in range(len(chunk))]
        # Which input got which id cannot be told for certain: undo what the server created
        # and send the chunk one annotation at a time, each reply naming its own id.
        undo = conn.transport.map(lambda i: conn.transport.request("DELETE", f"/api/annotation/{i}.json"), ids)
        for o in undo:
            if o.error is not None and not isinstance(o.error, NotFound):
                raise ProtocolError(f"an ambiguous batch reply ({message!r}) could not be undone: {o.error}")
        return [o.error for o in conn.transport.map(lambda m: self.create(conn, m, {}), chunk)]

    @staticmethod
    def _match_errors(chunk: list[Any], payload: list[dict[str, Any]], problems: list[Mapping[str, Any]]) -> dict[int, str]:
        """Input index -> error message, for errors whose echoed data matches exactly one input."""
        reasons: dict[int, str] = {}
        for problem in problems:
            data = problem.get("data") or {}
            hits = [i for i, item in enumerate(payload)
                    if i not in reasons and all(data.get(k) == v for k, v in item.items())]
            if len(hits) == 1:
                reasons[hits[0]] = str(problem.get("message", "refused"))
        return reasons

    def update(self, conn: Connection, model: Any, changes: Mapping[str, Any], modifiers: Mapping[str, Any]) -> None:
        if {"geometry", "image"} & set(changes):
            reply = conn.transport.request("PUT", f"/api/annotation/{model.id}.json", json=cv.annotation_put(model))
            fresh = cv.annotation_from_wire(cv.command_object(reply, "annotation"))
            model.geometry, model.extra = fresh.geometry, fresh.extra
        if "terms" in changes:
            # Terms change through the annotation-term routes; the PUT leaves them alone.
            before, after = set(model.original("terms") or []), set(model.terms or [])
            for term in sorted(after - before):
                conn.transport.request("POST", f"/api/annotation/{model.id}/term/{term}.json",
                                       json={"userannotation": model.id, "term": term})
            for term in sorted(before - after):
                conn.transport.request("DELETE", f"/api/annotation/{model.id}/term/{term}.json")

    def list_params(self, conn: Connection, modifiers: Mapping[str, Any]) -> dict[str, Any]:
        params = dict(modifiers)
        if not any(k in params for k in ("project", "image", "images", "slice", "slices")):
            params["project"] = check_id(conn.project, int, "project id (set project= on the connection or the filter)")
        if not any(k in params for k in _SHOW):
            # Any show flag replaces the server's default groups: ask for the geometry too.
            params.update(showMeta=True, showTerm=True, showWKT=True)
        bbox = params.get("bbox")
        if isinstance(bbox, (tuple, list)):
            params["bbox"] = ",".join(f"{v:g}" for v in bbox)
        return params

    def settle(self, conn: Connection, models: Sequence[Any]) -> list[Settlement]:
        """A create whose reply was lost is looked up among its image's annotations by equal
        geometry; one match settles it, none means not stored, several cannot be told apart."""
        by_image: dict[int, list[Annotation]] = {}
        for image in {m.image for m in models}:
            by_image[image] = [a for page in paged(conn, "/api/annotation.json",
                                                   {"image": image, "showWKT": True, "showTerm": True}, None,
                                                   cv.annotation_from_wire) for a in page]
        claimed: set[int] = set()
        result: list[Settlement] = []
        for model in models:
            hits = [a for a in by_image[model.image] if a.id not in claimed and a.geometry is not None
                    and a.geometry.equals(model.geometry)]
            if len(hits) == 1:
                claimed.add(hits[0].id)
                result.append(Settlement.stored(hits[0].id))
            elif not hits:
                result.append(Settlement.absent())
            else:
                result.append(Settlement.unknown(f"{len(hits)} annotations of image {model.image} have its geometry"))
        return result


# -- Term and Ontology -----------------------------------------------------------------------------------------
class CytomineTerm(CommandCRUD):
    route, key = "term", "term"
    from_wire = staticmethod(cv.term_from_wire)
    filters = {
        "ontology": Filter("ontology", INT, "terms of this ontology id"),
        "project": Filter("project", INT, "terms of this project's ontology"),
    }

    def to_wire(self, model: Any) -> dict[str, Any]:
        return cv.term_to_wire(model)

    def validate(self, model: Any, operation: str) -> None:
        check_name(model.name, "a term name")
        check_id(model.ontology, int, "term ontology id")
        if model.color is not None and (not isinstance(model.color, str) or not model.color.startswith("#")):
            raise ValueError(f"a term color is '#RRGGBB', not {model.color!r}")

    def list_path(self, conn: Connection, modifiers: Mapping[str, Any]) -> str:
        if "ontology" in modifiers:
            return f"/api/ontology/{modifiers['ontology']}/term.json"
        if "project" in modifiers:
            return f"/api/project/{modifiers['project']}/term.json"
        return "/api/term.json"


class CytomineOntology(CommandCRUD):
    route, key = "ontology", "ontology"
    from_wire = staticmethod(cv.ontology_from_wire)

    def to_wire(self, model: Any) -> dict[str, Any]:
        body = {**model.extra, "name": model.name}
        if model.id is not None:
            body["id"] = model.id
        return body

    def validate(self, model: Any, operation: str) -> None:
        check_name(model.name, "an ontology name")


# -- what Cytomine does not hold -----------------------------------------------------------------------------------
CytomineNeuron = absent("Cytomine holds image annotations, not neuron reconstructions")
CytomineConnector = absent("Cytomine has no synaptic connectors")
CytomineVolume = absent("Cytomine has no meshes; annotations hold 2-D geometries")
