"""Names where people think in names: terms given by name (``Annotation(terms=["Tumor"])``,
``AnnotationCollection(term="Tumor")``) are resolved against the project's ontology, with
"did you mean" on a typo; and the filters on what hangs off annotations (tracks, groups ...)."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from shapely.geometry.base import BaseGeometry

from ...connection import Connection
from ...transport import parse_json
from ...core.backend import Filter, check_id
from ...core.capabilities import did_you_mean
from .domains import BOOL, INT, CytomineState, every

TERM = (*INT, str)

#: Filters beyond the basic ones (the Python client's AnnotationCollection sends them all).
MORE_FILTERS = {
    "term": Filter("term", TERM, "annotations with this term (id or name)"),
    "terms": Filter("terms", TERM, "annotations with any of these terms (ids or names)", many=True),
    "track": Filter("track", INT, "annotations on this track id"),
    "tracks": Filter("tracks", INT, "annotations on any of these track ids", many=True),
    "group": Filter("group", INT, "annotations linked in this annotation group id"),
    "groups": Filter("groups", INT, "annotations in any of these annotation group ids", many=True),
    "suggestedTerm": Filter("suggestedTerm", TERM, "annotations the retrieval suggests this term for (id or name)"),
    "annotation": Filter("annotation", INT, "only this annotation id"),
    "baseAnnotation": Filter("baseAnnotation", (int, str, BaseGeometry), "annotations near this annotation id or WKT"),
    "maxDistanceBaseAnnotation": Filter("maxDistanceBaseAnnotation", (int, float), "how near (pixels; default 0)"),
    "bboxAnnotation": Filter("bboxAnnotation", INT, "annotations in the bounding box of this annotation id"),
    "showTrack": Filter("showTrack", BOOL, "output group track"),
    "showLink": Filter("showLink", BOOL, "output group link (annotation groups)"),
}


def term_ids(conn: Connection, project: Any) -> dict[str, int]:
    """Term name -> id in the ontology of ``project`` (read once per connection)."""
    state = CytomineState.of(conn)
    ident = check_id(project, int, "project id (to find term names; set project= on the connection)")
    if ident not in state.ontologies:
        state.ontologies[ident] = conn.transport.request("GET", f"/api/project/{ident}.json",
                                                         parse=lambda r: parse_json(r).get("ontology"))
    ontology = state.ontologies[ident]
    if ontology is None:
        return {}
    if ontology not in state.term_names:
        state.term_names[ontology] = {int(t["id"]): str(t["name"])
                                      for t in every(conn, f"/api/ontology/{ontology}/term.json", lambda row: row)}
    return {name: tid for tid, name in state.term_names[ontology].items()}


def resolve(conn: Connection, project: Any, values: Sequence[Any]) -> list[int]:
    """Term ids for ids or names (names looked up in the project's ontology)."""
    if not any(isinstance(v, str) for v in values):
        return [int(v) for v in values]
    known = term_ids(conn, project)
    found = []
    for value in values:
        if isinstance(value, str):
            if value not in known:
                names = ", ".join(sorted(known)) or "none"
                raise ValueError(f"no term {value!r} in the project's ontology{did_you_mean(value, known)}; terms: {names}")
            found.append(known[value])
        else:
            found.append(value)
    return found


def _project_of(conn: Connection, params: Mapping[str, Any]) -> Any:
    if "project" in params:
        return params["project"]
    image = params.get("image") or (list(params["images"])[0] if params.get("images") else None)
    if image is not None:
        return conn.transport.request("GET", f"/api/imageinstance/{image}.json", parse=lambda r: parse_json(r)["project"])
    return conn.project


def resolve_filters(conn: Connection, params: dict[str, Any]) -> dict[str, Any]:
    """``term``/``terms``/``suggestedTerm`` given by name, as ids."""
    for key in ("term", "terms", "suggestedTerm"):
        if key not in params:
            continue
        value = params[key]
        many = isinstance(value, (list, tuple, set))
        values = list(value) if many else [value]
        if any(isinstance(v, str) for v in values):
            ids = resolve(conn, _project_of(conn, params), values)
            params[key] = ids if many else ids[0]
    return params


def resolve_models(conn: Connection, models: Sequence[Any]) -> None:
    """Replace term names in the models' ``terms`` by ids (the project is the image's)."""
    for model in models:
        if model.terms and any(isinstance(t, str) for t in model.terms):
            project = model.project if model.project is not None else _project_of(conn, {"image": model.image})
            model.terms = resolve(conn, project, list(model.terms))
