"""Cytomine annotations: geometries with terms and properties, uploaded in parallel list POSTs,
settled by geometry, creator and time."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

import numpy as np
import requests
import shapely
from shapely.geometry.base import BaseGeometry

from ...connection import Connection
from .windows import CytomineCrops
from ...core.errors import BadRequest, NotFound, ProtocolError
from ...models import Annotation, ImageInstanceCollection
from ...transport import parse_json
from ...core.backend import Filter, check_id, required
from ...core.capabilities import BulkCreate, Errors, Update
from ...core.partitions import LongTable, PartitionBy
from ...core.routes import Route
from . import converter as cv
from . import naming
from .annotation_settling import AnnotationSettling
from .annotation_tables import AnnotationRows

from .domains import (
    BATCH, BOOL, CommandDelete, CommandFetch, CommandList, CytomineState, DomainExtras, INT, _LOCK, _SENT, CLAIMS, every,
)

if TYPE_CHECKING:
    import pandas as pd


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
_PROPERTIES = "be.cytomine.domain.ontology.UserAnnotation"


def images_of_query(conn: Connection, modifiers: dict[str, Any]) -> list[Any]:
    """The images whose annotations a query covers (the partitions of a dask pull)."""
    if modifiers.get("image") is not None:
        return [modifiers["image"]]
    if modifiers.get("images"):
        images = modifiers["images"]
        return list(images) if isinstance(images, (list, tuple)) else [images]
    project = modifiers.get("project", conn.project)
    return [image.id for image in ImageInstanceCollection(project=project).fetch(connection=conn)]


def geometries_table(annotations: Sequence[Any]) -> "pd.DataFrame":
    """One row per annotation: id, image, project and its shapely geometry."""
    import pandas as pd

    return pd.DataFrame({
        "id": pd.Series([a.id for a in annotations], dtype="int64"),
        "image": pd.Series([a.image for a in annotations], dtype="Int64"),
        "project": pd.Series([a.project for a in annotations], dtype="Int64"),
        "geometry": pd.Series([a.geometry for a in annotations], dtype=object),
    })


class CytomineAnnotation(AnnotationSettling, AnnotationRows, CommandFetch[Annotation], CommandList[Annotation],
                         BulkCreate[Annotation], Update[Annotation], CommandDelete[Annotation],
                         DomainExtras[Annotation], CytomineCrops):
    """Annotations: geometry, image, terms and key-value properties.

    ``Annotation.fetch`` also reads the annotation's properties (one more request); a collection
    reads them with ``fetch(properties=True)`` (one request per annotation, in parallel), else
    ``properties`` stays None (not loaded). Setting ``properties`` and saving creates, changes and
    (for keys removed from a loaded dict) deletes them through the property routes.
    """
    copies_from = {"cytomine": "neuromodels.backends.cytomine.copying:_copy_cytomine_annotations"}
    #: A lost update is looked up (geometry and properties compared): a property written twice is two.
    settles_updates = True
    #: A dask pull splits by image (the server lists annotations by image, not by ids).
    partition_by = PartitionBy("image", images_of_query)
    tables = {"geometries": LongTable(geometries_table)}
    #: Beyond the requests its route gives (show, list, delete): what one route cannot say.
    endpoints = {"crop": "GET /api/userannotation/{id}/crop.png (mask.png)"}
    requests = {
        "list": Route("GET", "/api/annotation.json", note="project=, image= ..., showWKT=true; paged"),
        "create": Route("POST", "/api/annotation.json", note="one object, or a list per request: chunks in parallel"),
        "update": Route("PUT", "/api/annotation/{id}.json",
                        note="geometry and image; terms and properties by their own routes"),
        "add a term to": Route("POST", "/api/annotation/{id}/term/{term}.json"),
        "remove a term from": Route("DELETE", "/api/annotation/{id}/term/{term}.json"),
        "replace the terms of": Route("POST", "/api/annotation/{id}/term/{term}/clearBefore.json",
                                      note="where the server has it"),
    }

    route, key, model_type = "annotation", "annotation", Annotation
    filters = {**_ANNOTATION_FILTERS, **naming.MORE_FILTERS}
    fetch_options = {"properties": True}
    list_options = {"properties": False}
    creatable = frozenset({"geometry", "image", "project", "terms", "properties"})
    writable = frozenset({"geometry", "image", "terms", "properties"})
    batch_size = BATCH
    not_supported = {
        "field name": "Cytomine annotations have no name; give them terms",
        "field targets": "Cytomine annotations mark regions of images, not neurons",
        "field meta": "Cytomine has no meta-annotations",
        "field project": "an annotation belongs to its image's project",
    }

    def validate(self, model: Annotation, operation: str) -> None:
        g = model.geometry
        if operation == "create" or g is not None:
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
            if not isinstance(t, str):
                check_id(t, int, "term id (or name)")
        if model.properties is not None:
            if not isinstance(model.properties, Mapping):
                raise TypeError(f"properties must be a dict, not {type(model.properties).__name__}")
            for key, value in model.properties.items():
                if not isinstance(key, str) or not key.strip():
                    raise ValueError(f"a property key must be non-empty text, not {key!r}")
                if value is not None and not cv.property_value(value).strip():
                    raise ValueError(f"property {key!r}: Cytomine refuses blank values (remove the key instead)")

    # -- reading --------------------------------------------------------------------------------------------
    def structure_page(self, rows: list[Any]) -> list[Annotation]:
        return cv.annotations_of(rows)

    def fetch_one(self, conn: Connection, id: Any, **options: Any) -> Annotation:
        model = super().fetch_one(conn, id)
        if options.get("properties"):
            model.properties = self.read_properties(conn, model.id)[0]
        return model

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, **options: Any) -> Iterator[Sequence[Annotation]]:
        empty = True
        for page in super().pages(conn, modifiers, limit):
            empty = False
            if options.get("properties"):
                found = conn.transport.map_values(lambda m: self.read_properties(conn, m.id)[0], page,
                                                  desc="reading properties")
                for model, props in zip(page, found):
                    model.properties = props
            yield page
        if empty and "project" in modifiers:
            # Nothing listed: a project that does not exist is NotFound, not an empty list.
            conn.transport.request("GET", f"/api/project/{modifiers['project']}.json", parse=lambda r: None)

    def read_properties(self, conn: Connection, ident: int) -> tuple[dict[str, str], dict[str, int]]:
        rows = every(conn, f"/api/domain/{_PROPERTIES}/{ident}/property.json", cv.property_row)
        return cv.properties_from_wire(rows), cv.property_ids(rows)

    def write_properties(self, conn: Connection, model: Annotation, new_object: bool = False) -> None:
        """Make the server's properties of ``model`` what the model says: keys set to None or
        removed from a loaded dict are deleted, the others created or changed. A just created
        annotation has none, so they are not read first."""
        wanted = dict(model.properties or {})
        loaded = model.original("properties")
        current, ids = ({}, {}) if new_object else self.read_properties(conn, model.id)
        base = f"/api/domain/{_PROPERTIES}/{model.id}/property"
        new = []
        for key, value in wanted.items():
            if value is None:
                continue
            text = cv.property_value(value)
            if key not in ids:
                new.append(cv.property_body(_PROPERTIES, model.id, key, text))
            elif current.get(key) != text:
                conn.transport.request("PUT", f"{base}/{ids[key]}.json",
                                       json=cv.property_body(_PROPERTIES, model.id, key, text, ids[key]))
        if len(new) > 1 and self._add_properties(conn, f"{base}.json", new):
            new = []
        for data in new:
            conn.transport.request("POST", f"{base}.json", json=data)
        removed = {k for k, v in wanted.items() if v is None} | (set(loaded or {}) - set(wanted))
        for key in sorted(removed & set(ids)):
            try:
                conn.transport.request("DELETE", f"{base}/{ids[key]}.json")
            except NotFound:
                pass  # gone already: the wanted state
        # The model shows what the server now keeps: text values, deleted keys gone.
        model.properties = {k: cv.property_value(v) for k, v in wanted.items() if v is not None}

    @staticmethod
    def _add_properties(conn: Connection, path: str, new: list[dict[str, Any]]) -> bool:
        """Several new properties in one request (the core's list form); False where the server
        takes one at a time (then nothing was stored)."""
        def parse(response: requests.Response) -> tuple[int, list[int], list[Mapping[str, Any]], str]:
            return cv.batch_reply(parse_json(response), response.status_code)

        try:
            status, _, problems, message = conn.transport.request("POST", path, json=new, parse=parse)
        except BadRequest as e:
            if "json not valid" in f"{e} {e.server_message or ''}".lower():
                return False  # a server without the list form refused the whole body
            raise
        if status != 200:
            reasons = "; ".join(str(p.get("message")) for p in problems) or message
            # Part of them may be stored: the next save reads what is there and sends the rest.
            raise BadRequest(reasons, server_message=reasons)
        return True

    # -- creating -------------------------------------------------------------------------------------------
    @staticmethod
    def _note_sent(models: Sequence[Annotation]) -> None:
        """When each create was sent: what settling a lost reply relies on."""
        now = time.time()
        with _LOCK:
            for model in models:
                _SENT[model] = now

    @staticmethod
    def _created(conn: Connection, model: Annotation, new_id: int) -> None:
        model.id = new_id
        CLAIMS.take(conn, "annotation", new_id, model)

    def create(self, conn: Connection, model: Annotation, modifiers: Mapping[str, Any]) -> None:
        naming.resolve_models(conn, [model])
        self._note_sent([model])
        created = self.send(conn, "create", json=cv.annotation_body(model), parse=self.read_command)
        properties = model.properties
        model.assign(created)
        self._created(conn, model, created.id)
        if properties:
            model.properties = properties
            self._created_properties(conn, model)

    def _created_properties(self, conn: Connection, model: Annotation) -> None:
        """Properties of a just created annotation. If they cannot be written, the annotation
        stays stored (its id kept) with only the properties left as a change for the next save."""
        wanted = model.properties
        try:
            self.write_properties(conn, model, new_object=True)
        except BaseException:
            model.properties = None
            model.mark_clean()
            model.properties = wanted
            raise

    def create_chunk(self, conn: Connection, chunk: Sequence[Annotation], modifiers: Mapping[str, Any]) -> Errors:
        errors = self._save_chunk(conn, list(chunk))
        for i, model in enumerate(chunk):
            if errors[i] is None and model.properties:
                try:
                    self._created_properties(conn, model)
                except Exception as e:  # noqa: BLE001 - this item's error, the others stand
                    errors[i] = e
        return errors

    def _save_chunk(self, conn: Connection, chunk: list[Annotation]) -> list[BaseException | None]:
        naming.resolve_models(conn, chunk)
        payload = cv.annotation_bodies(chunk)
        self._note_sent(chunk)

        def parse(response: requests.Response) -> tuple[int, list[int], list[Mapping[str, Any]], str]:
            # The legacy core answers with the status on the HTTP line: keep it with the body.
            reply = cv.batch_reply(parse_json(response), response.status_code)
            status, ids, problems, message = reply
            if status == 200 and len(ids) != len(chunk):
                # Stored, but which id went to which input cannot be read: unknown, not failed.
                raise ProtocolError(f"a batch of {len(chunk)} was stored but the reply names {len(ids)} ids "
                                    f"({message[:100]!r})")
            return reply

        status, ids, problems, message = self.send(conn, "create", json=payload, parse=parse)
        if status == 200:
            for model, new_id in zip(chunk, ids):  # ids come in input order
                self._created(conn, model, new_id)
            return [None] * len(chunk)
        if status == 400 and not ids:
            # Nothing stored: each item fails with its own message where the server named it.
            reasons = self._match_errors(chunk, payload, problems)
            return [BadRequest(reasons.get(i) or message, server_message=reasons.get(i) or message) for i in range(len(chunk))]
        reasons = self._match_errors(chunk, payload, problems)
        if status == 206 and len(ids) + len(reasons) == len(chunk) and len(reasons) == len(problems):
            saved = [m for i, m in enumerate(chunk) if i not in reasons]
            for model, new_id in zip(saved, ids):
                self._created(conn, model, new_id)
            return [BadRequest(reasons[i], server_message=reasons[i]) if i in reasons else None for i in range(len(chunk))]
        # Which input got which id cannot be told for certain: undo what the server created
        # and send the chunk one annotation at a time, each reply naming its own id.
        undo = conn.transport.map(lambda i: self.send(conn, "delete", {"id": i}), ids)
        for o in undo:
            if o.error is not None and not isinstance(o.error, NotFound):
                raise ProtocolError(f"an ambiguous batch reply ({message!r}) could not be undone: {o.error}",
                                    sent=True, outcome_unknown=True)  # some may be stored: settled, not resent
        return [o.error for o in conn.transport.map(lambda m: self.create(conn, m, {}), chunk)]

    @staticmethod
    def _match_errors(chunk: list[Annotation], payload: list[dict[str, Any]], problems: list[Mapping[str, Any]]) -> dict[int, str]:
        """Input index -> error message, for errors whose echoed data matches exactly one input."""
        reasons: dict[int, str] = {}
        for problem in problems:
            data = problem.get("data") or {}
            hits = [i for i, item in enumerate(payload)
                    if i not in reasons and all(data.get(k) == v for k, v in item.items())]
            if len(hits) == 1:
                reasons[hits[0]] = str(problem.get("message", "refused"))
        return reasons

    # -- changing -------------------------------------------------------------------------------------------
    def update(self, conn: Connection, model: Annotation, changes: Mapping[str, Any], modifiers: Mapping[str, Any]) -> None:
        if {"geometry", "image"} & set(changes):
            fresh = self.send(conn, "update", {"id": model.id}, json=cv.annotation_put(model), parse=self.read_command)
            model.geometry, model.extra = fresh.geometry, fresh.extra
        if "terms" in changes:
            naming.resolve_models(conn, [model])
            self._change_terms(conn, model)
        if "properties" in changes:
            self.write_properties(conn, model)

    def _change_terms(self, conn: Connection, model: Annotation) -> None:
        """Terms change through the annotation-term routes (the PUT leaves them alone). One new
        term in place of others is one request (clearBefore), where the server has it."""
        before, after = set(model.original("terms") or []), set(model.terms or [])
        state = CytomineState.of(conn)
        if len(after) == 1 and before - after and state.clear_before is not False:
            if state.clear_before is None:
                with state.probe:  # one request finds out whether the server has the route
                    if state.clear_before is None and self._clear_before(conn, model, state):
                        return
            if state.clear_before and self._clear_before(conn, model, state):
                return
        for term in sorted(after - before):
            self.send(conn, "add a term to", {"id": model.id, "term": term},
                      json=cv.body({"userannotation": model.id, "term": term}))
        for term in sorted(before - after):
            self.send(conn, "remove a term from", {"id": model.id, "term": term})

    def _clear_before(self, conn: Connection, model: Annotation, state: CytomineState) -> bool:
        """Replace the terms by the one new term in one request; False where the server has no
        such route (older cores), which is remembered for the connection."""
        (term,) = set(required(model.terms, "its terms"))
        try:
            self.send(conn, "replace the terms of", {"id": model.id, "term": term}, params={"clearForAll": "true"},
                      json=cv.body({"userannotation": model.id, "term": term}))
        except NotFound as e:
            if "no static resource" not in f"{e} {e.server_message or ''}".lower():
                raise
            state.clear_before = False  # an older server without the route: add and delete instead
            return False
        state.clear_before = True
        return True

    def list_params(self, conn: Connection, modifiers: Mapping[str, Any]) -> dict[str, Any]:
        params = naming.resolve_filters(conn, dict(modifiers))
        if not any(k in params for k in ("project", "image", "images", "slice", "slices")):
            params["project"] = check_id(conn.project, int, "project id (set project= on the connection or the filter)")
        if not any(k in params for k in _SHOW):
            # Any show flag replaces the server's default groups: ask for the geometry and its
            # measures (area, perimeter) too.
            params.update(showMeta=True, showTerm=True, showWKT=True, showGIS=True)
        bbox = params.get("bbox")
        if isinstance(bbox, (tuple, list)):
            params["bbox"] = ",".join(f"{v:g}" for v in bbox)
        return params
