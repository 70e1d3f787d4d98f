"""Cytomine wire formats <-> models. Every Cytomine-specific shape lives here, in one converter.

Models are read with ``converter.structure(row, Model)``; request bodies are made by the
``*_body`` functions and always pass through :func:`body`, which unstructures them with the
converter, so numpy scalars (``numpy.float64`` areas, ``numpy.int64`` ids from a DataFrame) reach
the JSON encoder as plain Python numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Mapping

import numpy as np
import shapely
import shapely.wkt
from shapely.geometry.base import BaseGeometry

from ...models import Annotation, ImageInstance, Ontology, Project, Term
from ...core.wire import check_depth, make_converter, plain, record
from ..extras import AttachedFile, User

#: Every Cytomine wire shape <-> model.
converter = make_converter()

#: Fields a PUT may carry back, per domain. Everything else in a fetched object is computed by
#: the server (counters, URLs, class, dates) and never echoed.
WRITABLE = {
    "project": ("id", "name", "ontology", "blindMode", "areImagesDownloadable", "isClosed", "isReadOnly",
                "isRestricted", "hideUsersLayers", "hideAdminsLayers"),
    "annotation": ("id", "location", "image", "slice", "user"),
    "term": ("id", "name", "ontology", "color", "parent", "comment"),
    "ontology": ("id", "name"),
}
#: What a user record never keeps: the keys (``user/current.json`` sends them).
SECRET_KEYS = ("publicKey", "privateKey", "password", "passwordExpired")
#: Class names of domain objects, for ``/api/domain/{class}/{id}/...`` routes.
DOMAIN_CLASS = {
    "project": "be.cytomine.domain.project.Project",
    "imageinstance": "be.cytomine.domain.image.ImageInstance",
    "annotation": "be.cytomine.domain.ontology.UserAnnotation",
}


def body(data: Mapping[str, Any]) -> dict[str, Any]:
    """A request body as plain JSON-ready Python, through the converter's unstructure hooks."""
    plain_data: dict[str, Any] = plain(converter.unstructure(dict(data)))
    return plain_data


def timestamp(value: Any) -> dt.datetime | None:
    """Cytomine's dates (epoch milliseconds, as a number or a string) as aware datetimes."""
    if value is None or value == "":
        return None
    return dt.datetime.fromtimestamp(float(value) / 1000.0, tz=dt.timezone.utc)


# -- Project ---------------------------------------------------------------------------------------
converter.register_structure_hook(
    Project, record(Project, id="id", name="name", description="description", ontology="ontology"))


def project_body(p: Project) -> dict[str, Any]:
    data = {**p.extra, "name": p.name, "ontology": p.ontology}
    if p.id is not None:
        data["id"] = p.id
    return writable("project", data)


# -- ImageInstance ---------------------------------------------------------------------------------
def _resolution(row: Mapping[str, Any]) -> tuple[Any, Any, Any] | None:
    sizes = (row.get("physicalSizeX"), row.get("physicalSizeY"), row.get("physicalSizeZ"))
    return sizes if any(v is not None for v in sizes) else None


converter.register_structure_hook(ImageInstance, record(
    ImageInstance, id="id", width="width", height="height", depth="depth", project="project",
    name=lambda row: row.get("instanceFilename") or row.get("originalFilename"),
    resolution=_resolution, consumes=("instanceFilename", "physicalSizeX", "physicalSizeY", "physicalSizeZ")))


# -- Annotation ------------------------------------------------------------------------------------
def _geometry(row: Mapping[str, Any]) -> Any:
    location = row.get("location")
    if isinstance(location, BaseGeometry):  # parsed already, with the rest of its page
        return location
    return shapely.wkt.loads(location) if location else None


def _terms(row: Mapping[str, Any]) -> list[int] | None:
    return [int(t) for t in row["term"]] if row.get("term") is not None else None


converter.register_structure_hook(Annotation, record(
    Annotation, id="id", image="image", project="project", geometry=_geometry, terms=_terms,
    consumes=("location", "term")))


def annotations_of(rows: list[Any]) -> list[Annotation]:
    """A listed page of annotations: the page's WKT parsed in one vectorised call (GEOS reads
    them without a Python call per geometry), then each row structured as usual."""
    texts = [(row.get("location") or None) if type(row) is dict else None for row in rows]
    geometries = shapely.from_wkt(np.array(texts, dtype=object)).tolist()
    return [converter.structure({**row, "location": geometry} if geometry is not None else row, Annotation)
            for row, geometry in zip(rows, geometries)]


def annotation_bodies(models: list[Annotation]) -> list[dict[str, Any]]:
    """New annotations' bodies, their WKT written in one vectorised call (as ``.wkt`` writes it)."""
    texts = shapely.to_wkt(np.array([a.geometry for a in models], dtype=object), rounding_precision=-1).tolist()
    return [annotation_body(a, text) for a, text in zip(models, texts)]


def annotation_body(a: Annotation, wkt: str | None = None) -> dict[str, Any]:
    """A new annotation: its geometry, image and terms (the server files it under the image's
    project and the current user)."""
    data: dict[str, Any] = {"location": wkt or a.geometry.wkt, "image": a.image}
    if a.terms:
        data["term"] = list(a.terms)
    return body(data)


def annotation_put(a: Annotation) -> dict[str, Any]:
    """The whole object for Cytomine's replacing PUT: last fetched state, changes applied,
    without read-only fields."""
    return writable("annotation", {**a.extra, "id": a.id, "location": a.geometry.wkt, "image": a.image})


# -- Term and Ontology -----------------------------------------------------------------------------
converter.register_structure_hook(
    Term, record(Term, id="id", name="name", ontology="ontology", color="color", parent="parent"))
converter.register_structure_hook(Ontology, record(Ontology, id="id", name="name"))


def term_body(t: Term) -> dict[str, Any]:
    data = {**t.extra, "name": t.name, "ontology": t.ontology, "color": t.color, "parent": t.parent}
    if t.id is not None:
        data["id"] = t.id
    return writable("term", data)


def ontology_body(o: Ontology) -> dict[str, Any]:
    data = {**o.extra, "name": o.name}
    if o.id is not None:
        data["id"] = o.id
    return writable("ontology", data)


def writable(domain: str, data: Mapping[str, Any]) -> dict[str, Any]:
    return body({k: data[k] for k in WRITABLE[domain] if k in data})


# -- users, properties, attached files ---------------------------------------------------------------
def _user(row: Mapping[str, Any], _: Any = None) -> User:
    if not isinstance(row, Mapping):
        raise TypeError(f"a user record is an object, not {type(row).__name__}")
    rest = {k: v for k, v in row.items() if k not in ("id", "username", "fullName", "name", "email", *SECRET_KEYS)}
    return User(id=int(row["id"]), username=row.get("username"), name=row.get("fullName") or row.get("name"),
                email=row.get("email"), extra=rest)


converter.register_structure_hook(User, _user)


def _attached(row: Mapping[str, Any], _: Any = None) -> AttachedFile:
    if not isinstance(row, Mapping):
        raise TypeError(f"an attached file record is an object, not {type(row).__name__}")
    rest = {k: v for k, v in row.items() if k not in ("id", "filename", "created", "key")}
    return AttachedFile(id=int(row["id"]), filename=str(row["filename"]), created=timestamp(row.get("created")),
                        key=row.get("key"), extra=rest)


converter.register_structure_hook(AttachedFile, _attached)


def property_value(value: Any) -> str:
    """A property value as Cytomine keeps it: text (numbers and booleans as their text)."""
    value = plain(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise TypeError(f"a Cytomine property value is text or a number, not {type(value).__name__} ({value!r})")


def property_row(row: Any) -> dict[str, Any]:
    """One property as the server lists it, checked: ``{key, value, id}``."""
    if not isinstance(row, Mapping):
        raise TypeError(f"a property is {type(row).__name__}, not an object")
    if not isinstance(row["key"], str) or isinstance(row["id"], bool) or not isinstance(row["id"], (int, str)):
        raise TypeError("a property's key is not text or its id not a number")
    int(row["id"])
    check_depth(row)
    return dict(row)


def properties_from_wire(rows: Any) -> dict[str, str]:
    """``{key: value}`` from a property collection (``{"collection": [{key, value, id}...]}``)."""
    return {str(r["key"]): r["value"] for r in rows}


def property_ids(rows: Any) -> dict[str, int]:
    return {str(r["key"]): int(r["id"]) for r in rows}


def property_body(name: str, ident: int, key: str, value: Any, id: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"domainClassName": name, "domainIdent": ident, "key": key, "value": property_value(value)}
    if id is not None:
        data["id"] = id
    return body(data)


# -- command and batch replies -----------------------------------------------------------------------
def command_object(reply: Any, key: str) -> Mapping[str, Any]:
    """The object in a command envelope ``{message, callback, printMessage, <key>, command}``."""
    if not isinstance(reply, Mapping):
        raise TypeError(f"a command reply is an object, not {type(reply).__name__}")
    found = reply.get(key)
    if isinstance(found, Mapping):
        return found
    data = reply.get("data")
    found = data.get(key) if isinstance(data, Mapping) else None
    if isinstance(found, Mapping):
        return found
    raise KeyError(key)


_IDS = re.compile(r"\b[a-z]+s (\d+(?:,\d+)*)")


def batch_reply(reply: Any, http_status: int) -> tuple[int, list[int], list[Mapping[str, Any]], str]:
    """``(status, created ids, errors, message)`` from a list POST reply.

    Spring core: HTTP 200 with ``{"data": {...}, "status": 200|206|400}``; legacy Grails core:
    HTTP 200/206/400 with the inner object alone. Created ids appear only in the message text.
    """
    if isinstance(reply, Mapping) and "data" in reply and "status" in reply:
        data, status = reply["data"] or {}, int(reply["status"])
    else:
        data, status = reply or {}, http_status
    if not isinstance(data, Mapping):
        raise TypeError(f"a batch reply is an object, not {type(data).__name__}")
    message = str(data.get("message", ""))
    match = _IDS.search(message)
    ids = [int(v) for v in match.group(1).split(",")] if match else []
    errors = list(data.get("errors") or [])
    return status, ids, errors, message
