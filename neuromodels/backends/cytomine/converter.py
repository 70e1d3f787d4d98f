"""Cytomine wire formats <-> models. Every Cytomine-specific shape lives here."""

from __future__ import annotations

import re
from typing import Any, Mapping

import shapely
import shapely.wkt

from ...resources import Annotation, ImageInstance, Ontology, Project, Term

#: Fields a PUT may carry back, per domain. Everything else in a fetched object is computed by
#: the server (counters, URLs, class, dates) and never echoed.
WRITABLE = {
    "project": ("id", "name", "ontology", "blindMode", "areImagesDownloadable", "isClosed", "isReadOnly",
                "isRestricted", "hideUsersLayers", "hideAdminsLayers"),
    "annotation": ("id", "location", "image", "slice", "user"),
    "term": ("id", "name", "ontology", "color", "parent", "comment"),
    "ontology": ("id", "name"),
}


def _extra(row: Mapping[str, Any], known: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in known}


# -- Project ---------------------------------------------------------------------------------------
def project_from_wire(row: Mapping[str, Any]) -> Project:
    known = ("id", "name", "description", "ontology")
    return Project(id=row["id"], name=row.get("name"), description=row.get("description"),
                   ontology=row.get("ontology"), extra=_extra(row, known))


def project_to_wire(p: Project) -> dict[str, Any]:
    body = {**p.extra, "name": p.name, "ontology": p.ontology}
    if p.id is not None:
        body["id"] = p.id
    return body


# -- ImageInstance ---------------------------------------------------------------------------------
def image_from_wire(row: Mapping[str, Any]) -> ImageInstance:
    known = ("id", "instanceFilename", "width", "height", "depth", "physicalSizeX", "physicalSizeY", "physicalSizeZ", "project")
    sizes = (row.get("physicalSizeX"), row.get("physicalSizeY"), row.get("physicalSizeZ"))
    return ImageInstance(
        id=row["id"], name=row.get("instanceFilename") or row.get("originalFilename"),
        width=row.get("width"), height=row.get("height"), depth=row.get("depth"),
        resolution=sizes if any(v is not None for v in sizes) else None,
        project=row.get("project"), extra=_extra(row, known),
    )


# -- Annotation ------------------------------------------------------------------------------------
def annotation_from_wire(row: Mapping[str, Any]) -> Annotation:
    location = row.get("location")
    known = ("id", "location", "image", "project", "term")
    return Annotation(
        id=row["id"], geometry=shapely.wkt.loads(location) if location else None,
        image=row.get("image"), project=row.get("project"),
        terms=list(row["term"]) if row.get("term") is not None else None,
        extra=_extra(row, known),
    )


def annotation_to_wire(a: Annotation, *, with_terms: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"location": a.geometry.wkt, "image": a.image}
    if with_terms and a.terms:
        body["term"] = list(a.terms)
    return body


def annotation_put(a: Annotation) -> dict[str, Any]:
    """The whole object for Cytomine's replacing PUT: last fetched state, changes applied,
    without read-only fields."""
    state = {**a.extra, "id": a.id, "location": a.geometry.wkt, "image": a.image}
    return {k: state[k] for k in WRITABLE["annotation"] if k in state}


# -- Term and Ontology -----------------------------------------------------------------------------
def term_from_wire(row: Mapping[str, Any]) -> Term:
    known = ("id", "name", "ontology", "color", "parent")
    return Term(id=row["id"], name=row.get("name"), ontology=row.get("ontology"), color=row.get("color"),
                parent=row.get("parent"), extra=_extra(row, known))


def term_to_wire(t: Term) -> dict[str, Any]:
    body = {**t.extra, "name": t.name, "ontology": t.ontology, "color": t.color, "parent": t.parent}
    if t.id is not None:
        body["id"] = t.id
    return body


def ontology_from_wire(row: Mapping[str, Any]) -> Ontology:
    return Ontology(id=row["id"], name=row.get("name"), extra=_extra(row, ("id", "name")))


def writable(domain: str, body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: body[k] for k in WRITABLE[domain] if k in body}


# -- command and batch replies -----------------------------------------------------------------------
def command_object(body: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """The object in a command envelope ``{message, callback, printMessage, <key>, command}``."""
    if key in body and isinstance(body[key], Mapping):
        return body[key]
    data = body.get("data")
    if isinstance(data, Mapping) and isinstance(data.get(key), Mapping):
        return data[key]
    raise KeyError(key)


_IDS = re.compile(r"\b[a-z]+s (\d+(?:,\d+)*)")


def batch_reply(body: Any, http_status: int) -> tuple[int, list[int], list[Mapping[str, Any]], str]:
    """``(status, created ids, errors, message)`` from a list POST reply.

    Spring core: HTTP 200 with ``{"data": {...}, "status": 200|206|400}``; legacy Grails core:
    HTTP 200/206/400 with the inner object alone. Created ids appear only in the message text.
    """
    if isinstance(body, Mapping) and "data" in body and "status" in body:
        data, status = body["data"] or {}, int(body["status"])
    else:
        data, status = body or {}, http_status
    message = str(data.get("message", ""))
    match = _IDS.search(message)
    ids = [int(v) for v in match.group(1).split(",")] if match else []
    errors = list(data.get("errors") or [])
    return status, ids, errors, message
