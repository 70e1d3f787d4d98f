"""A Cytomine annotation's DataFrame rows: the server's metadata as typed columns."""

from __future__ import annotations

from typing import Any, Sequence


from ...connection import Connection
from ...transport import parse_json
from ...core.capabilities import Resource
from ...models import Annotation
from . import converter as cv

from .domains import CytomineState, _drop_empty, _number, every


class AnnotationRows(Resource[Annotation]):
    # -- tables -------------------------------------------------------------------------------------------------
    def rows(self, conn: Connection | None, models: Sequence[Annotation]) -> list[dict[str, Any]]:
        """Columns: id, image, project, user, username, created (UTC), area, perimeter (and their
        units, as the server measures them: microns where the image is calibrated, else pixels),
        terms (ids), term_names, geometry; properties when any member has them loaded."""
        names = self._term_names(conn, models) if conn is not None else {}
        users = self._usernames(conn, {m.project for m in models if m.project is not None}) if conn is not None else {}
        with_properties = any(m.properties is not None for m in models)
        rows = []
        for m in models:
            x = m.extra
            user = x.get("user")
            row: dict[str, Any] = {
                "id": m.id, "image": m.image, "project": m.project, "user": user,
                "username": users.get(user) if user is not None else None,
                "created": cv.timestamp(x.get("created")),
                "area": _number(x.get("area")), "area_unit": x.get("areaUnit"),
                "perimeter": _number(x.get("perimeter")), "perimeter_unit": x.get("perimeterUnit"),
                "terms": list(m.terms or []),
                "term_names": [names.get(t, str(t)) for t in m.terms or []],
                "geometry": m.geometry,
            }
            if with_properties:
                row["properties"] = m.properties
            rows.append(row)
        return _drop_empty(rows)

    def _term_names(self, conn: Connection, models: Sequence[Annotation]) -> dict[int, str]:
        """Term id -> name, read once per ontology (of the annotations' projects)."""
        state = CytomineState.of(conn)
        names: dict[int, str] = {}
        for project in {m.project for m in models if m.project is not None}:
            if project not in state.ontologies:
                state.ontologies[project] = conn.transport.request(
                    "GET", f"/api/project/{project}.json", parse=lambda r: parse_json(r).get("ontology"))
            ontology = state.ontologies[project]
            if ontology is None:
                continue
            if ontology not in state.term_names:
                state.term_names[ontology] = {
                    int(t["id"]): str(t["name"])
                    for t in every(conn, f"/api/ontology/{ontology}/term.json", lambda row: row)}
            names.update(state.term_names[ontology])
        return names

    def _usernames(self, conn: Connection, projects: set[Any]) -> dict[int, str]:
        state = CytomineState.of(conn)
        found: dict[int, str] = {}
        for project in projects:
            if project not in state.usernames:
                state.usernames[project] = {int(u["id"]): str(u.get("username")) for u in every(
                    conn, f"/api/project/{project}/user.json", lambda row: row)}
            found.update(state.usernames[project])
        me = state.me
        if me is not None and me.username is not None:
            found.setdefault(me.id, me.username)
        return found
