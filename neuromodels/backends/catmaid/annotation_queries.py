"""AnnotationCollection queries beyond names and neurons on CATMAID: annotations meta-annotated
with others (``annotated_with``, optionally through sub-annotations) and annotations a user
has used (``user``), with when and how often."""

from __future__ import annotations

from typing import Any, Mapping

from ...connection import Connection
from ...models import Annotation
from ...core.backend import Filter, as_list
from . import api
from .api import pid
from .common import INT
from .converter import form_list
from .finding import sub_annotation_form
from .provenance import moment
from .users import user_id

FILTERS = {
    "annotated_with": Filter("annotated_with", (str, *INT), "meta-annotation name or id: the annotations it "
                             "annotates (a list means all of them)", many=True),
    "include_sub_annotations": Filter("include_sub_annotations", (bool,), "with annotated_with=: also "
                                      "annotations further down, at any depth"),
    "user": Filter("user", (str, *INT), "user id or login: the annotations this user has put on something "
                   "(extra: uses, last_used)"),
}


def check(modifiers: Mapping[str, Any]) -> None:
    if modifiers.get("include_sub_annotations") and modifiers.get("annotated_with") is None:
        raise ValueError("include_sub_annotations=True expands annotated_with=; give annotated_with= too")
    if modifiers.get("user") is not None and modifiers.get("annotated_with") is not None:
        raise ValueError("user= and annotated_with= cannot be combined on CATMAID; filter one result yourself")


def annotated_with(conn: Connection, modifiers: Mapping[str, Any]) -> list[Annotation]:
    from .neurons import CatmaidNeuron

    neuron = CatmaidNeuron()
    groups = neuron._annotation_groups(conn, modifiers["annotated_with"])
    form = [("types[0]", "annotation")] + form_list("annotated_with", groups)
    if modifiers.get("include_sub_annotations"):
        form += sub_annotation_form(groups)
    return [Annotation(id=int(e["id"]), name=e.get("name"), project=pid(conn))
            for e in neuron._entities(conn, form, None) if e.get("type") == "annotation"]


def used_by(conn: Connection, modifiers: Mapping[str, Any]) -> list[Annotation]:
    """``annotations/table-list`` rows ``[name, last used, uses, last user, id]`` for a user."""
    uid = user_id(conn, modifiers["user"])
    rows: list[list[Any]] = []
    start, page = 0, 500
    while True:
        body = api.read(conn, "/annotations/table-list", [("user_id", str(uid)), ("iDisplayStart", str(start)),
                                                          ("iDisplayLength", str(page))])
        part = body.get("data", body.get("aaData")) or []
        rows += part
        start += len(part)
        if len(part) < page or start >= int(body.get("recordsTotal", body.get("iTotalRecords", 0)) or 0):
            break
    result = []
    for name, last, uses, user, aid in rows:
        a = Annotation(id=int(aid), name=name, project=pid(conn))
        a.extra.update({"uses": int(uses), "last_used": moment(last) if last else None, "user_id": int(user)})
        result.append(a)
    wanted = None if modifiers.get("name") is None else set(as_list(modifiers["name"]))
    return [a for a in result if wanted is None or a.name in wanted]
