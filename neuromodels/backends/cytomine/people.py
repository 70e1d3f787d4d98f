"""People: user accounts and their keys and roles, project representatives, and what users did
(positions, annotation actions, project connections, image consultations)."""

from __future__ import annotations

from typing import Any, Mapping

from ...connection import Connection
from ...core.errors import NotFound
from ...transport import parse_json
from ...core.backend import check_id, check_name
from ...core.capabilities import Delete, M
from ...core.routes import Route
from . import converter as cv
from .documents import BOOL, Doc, f
from .domains import CommandCRUD, CommandCreate, CommandFetch, CommandList, current_user, every
from .models import (
    AnnotationAction, ApiKeys, ImageConsultation, Position, ProjectConnection, ProjectRepresentative, Role, UserAccount,
)

_TIME = (int, str)


class CytomineUserAccount(Doc[UserAccount], CommandCRUD[UserAccount]):
    requests = {"keys": Route("GET", "/api/user/{id}/keys.json"), "roles": Route("GET", "/api/user/{id}/role.json"),
                "add a role": Route("POST", "/api/user/{id}/role.json"),
                "remove a role": Route("DELETE", "/api/user/{id}/role/{role}.json")}
    route = key = "user"
    model_type = UserAccount
    routes = {"project": "/api/project/{project}/user.json", "ontology": "/api/ontology/{ontology}/user.json",
              "": "/api/user.json"}
    filters = {"project": f("project", "members of this project id"),
               "ontology": f("ontology", "users of the projects of this ontology id")}

    def validate(self, model: UserAccount, operation: str) -> None:
        check_name(model.username, "a username")
        if operation == "create" and not model.password:
            raise ValueError("a new user account needs a password")

    def create(self, conn: Connection, model: UserAccount, modifiers: Mapping[str, Any]) -> None:
        super().create(conn, model, modifiers)
        model.password = None  # sent once, never kept

    def keys(self, conn: Connection, model: UserAccount) -> ApiKeys:
        def parse(response: Any) -> ApiKeys:
            data = parse_json(response)
            return ApiKeys(public_key=str(data["publicKey"]), private_key=str(data["privateKey"]))

        return self.send(conn, "keys", {"id": self.saved(model)}, parse=parse)  # type: ignore[no-any-return]

    def current(self, conn: Connection, cls: type) -> UserAccount:
        return self.fetch_model(conn, "/api/user/current.json")

    def _roles(self, conn: Connection) -> dict[str, int]:
        return {str(r["authority"]): int(r["id"]) for r in every(conn, "/api/role.json", lambda row: row)}

    def roles(self, conn: Connection, model: UserAccount) -> list[str]:
        rows = every(conn, self.requests["roles"].path_for(id=self.saved(model)), lambda row: row)
        return sorted(str(r["authority"]) for r in rows)

    def _role_id(self, conn: Connection, authority: str) -> int:
        from ...core.capabilities import did_you_mean

        known = self._roles(conn)
        if authority not in known:
            raise ValueError(f"no role {authority!r}{did_you_mean(authority, known)}; roles: {', '.join(sorted(known))}")
        return known[authority]

    def add_role(self, conn: Connection, model: UserAccount, authority: str) -> None:
        role = self._role_id(conn, authority)
        ident = self.saved(model)
        self.send(conn, "add a role", {"id": ident}, json=cv.body({"user": ident, "role": role}))

    def remove_role(self, conn: Connection, model: UserAccount, authority: str) -> None:
        role = self._role_id(conn, authority)
        try:
            self.send(conn, "remove a role", {"id": self.saved(model), "role": role})
        except NotFound:
            pass  # the user had no such role: the wanted state


class CytomineRole(Doc[Role], CommandFetch[Role], CommandList[Role]):
    route = key = "role"
    model_type = Role
    routes = {"": "/api/role.json"}
    not_supported = {op: "Cytomine's roles are fixed; grant them with UserAccount.add_role"
                     for op in ("create", "update", "delete")}


class CytomineProjectRepresentative(Doc[ProjectRepresentative], CommandCreate[ProjectRepresentative],
                                    CommandList[ProjectRepresentative], Delete[ProjectRepresentative]):
    requests = {"create": Route("POST", "/api/project/{project}/representative.json"),
                "delete": Route("DELETE", "/api/project/{project}/representative/{id}.json")}
    route = key = "projectrepresentativeuser"
    model_type = ProjectRepresentative
    routes = {"project": "/api/project/{project}/representative.json"}
    filters = {"project": f("project", "representatives of this project id (default: the connection's)")}
    default_project = True
    not_supported = {"fetch": "list them with ProjectRepresentativeCollection(project=...)",
                     "update": "a representative is a user of a project: remove it and add another"}

    def validate(self, model: ProjectRepresentative, operation: str) -> None:
        check_id(model.project, int, "project id")
        check_id(model.user, int, "user id")

    def create(self, conn: Connection, model: ProjectRepresentative, modifiers: Mapping[str, Any]) -> None:
        model.assign(self.send(conn, "create", {"project": model.project}, json=self.to_wire(model),
                               parse=self.read_command))

    def delete(self, conn: Connection, model: ProjectRepresentative) -> None:
        self.send(conn, "delete", {"project": model.project, "id": self.saved(model)})


# -- activity -------------------------------------------------------------------------------------------
_SINCE = {"user": f("user", "of this user id"), "afterThan": f("afterThan", "after this time (epoch ms)", _TIME),
          "beforeThan": f("beforeThan", "before this time (epoch ms)", _TIME)}


class CytominePosition(Doc[Position], CommandFetch[Position], CommandCreate[Position], CommandList[Position]):
    requests = {"create": Route("POST", "/api/imageinstance/{image}/position.json"),
                "create on a slice": Route("POST", "/api/sliceinstance/{slice}/position.json")}
    route = key = "position"
    model_type = Position
    routes = {"slice": "/api/sliceinstance/{slice}/positions.json", "image": "/api/imageinstance/{image}/positions.json"}
    filters = {"image": f("image", "positions in this image instance id"), "slice": f("slice", "in this slice id"),
               **_SINCE, "showDetails": f("showDetails", "every position, not only a summary", BOOL)}
    not_supported = {op: "positions are a record of what users looked at" for op in ("update", "delete")}

    def validate(self, model: Position, operation: str) -> None:
        if model.slice is None:
            check_id(model.image, int, "image instance id (or slice id)")
        if model.location is None and (model.x is None or model.y is None):
            raise ValueError("a position needs location= (the view, WKT or a geometry) or x= and y=")

    def to_wire(self, model: Position) -> dict[str, Any]:
        """The view's corners (topLeftX ... bottomLeftY) as the core reads them: from
        ``location`` (a WKT polygon or a shapely geometry: its bounding box), else the point x, y."""
        import shapely.wkt
        from shapely.geometry.base import BaseGeometry

        view = model.location
        if isinstance(view, str):
            view = shapely.wkt.loads(view)
        if isinstance(view, BaseGeometry):
            minx, miny, maxx, maxy = view.bounds
        elif model.x is not None and model.y is not None:
            minx = maxx = float(model.x)
            miny = maxy = float(model.y)
        else:
            raise ValueError("a position needs location= (the view, WKT or a geometry) or x= and y=")
        corners = {"topLeftX": minx, "topLeftY": maxy, "topRightX": maxx, "topRightY": maxy,
                   "bottomRightX": maxx, "bottomRightY": miny, "bottomLeftX": minx, "bottomLeftY": miny}
        extra = {k: getattr(model, k) for k in ("zoom", "rotation", "broadcast") if getattr(model, k) is not None}
        return cv.body({**corners, **extra, "image": model.image, "slice": model.slice})

    def create(self, conn: Connection, model: Position, modifiers: Mapping[str, Any]) -> None:
        self.to_wire(model)  # refuses a position without a view before any request
        on_slice = model.slice is not None
        model.assign(self.send(conn, "create on a slice" if on_slice else "create",
                               {"slice": model.slice} if on_slice else {"image": model.image}, json=self.to_wire(model),
                               parse=lambda r: self.structure(_plain_or_command(parse_json(r), "position"))))


class CytomineAnnotationAction(Doc[AnnotationAction], CommandFetch[AnnotationAction], CommandCreate[AnnotationAction],
                               CommandList[AnnotationAction]):
    route = key = "annotation_action"
    model_type = AnnotationAction
    routes = {"slice": "/api/sliceinstance/{slice}/annotation_action.json",
              "image": "/api/imageinstance/{image}/annotation_action.json"}
    filters = {"image": f("image", "actions in this image instance id"), "slice": f("slice", "in this slice id"), **_SINCE}
    not_supported = {op: "annotation actions are a record of what users did" for op in ("update", "delete")}

    def validate(self, model: AnnotationAction, operation: str) -> None:
        check_id(model.annotation, int, "annotation id")
        check_name(model.action, "an action")

    def to_wire(self, model: AnnotationAction) -> dict[str, Any]:
        from .wire_domains import ANNOTATION_CLASS

        return {**super().to_wire(model), "annotationClassName": ANNOTATION_CLASS}

    def create(self, conn: Connection, model: AnnotationAction, modifiers: Mapping[str, Any]) -> None:
        model.assign(self.send(conn, "create", json=self.to_wire(model),
                               parse=lambda r: self.structure(_plain_or_command(parse_json(r), "annotationaction"))))


class _PerUser(Doc[M]):
    """Listed per project and user (the user defaults to the connection's, the project to its)."""

    def list_path(self, conn: Connection, modifiers: Mapping[str, Any]) -> str:
        values = dict(modifiers)
        values.setdefault("user", current_user(conn).id)
        if "project" not in values and conn.project is not None:
            values["project"] = conn.project
        return super().list_path(conn, values)

    def list_params(self, conn: Connection, modifiers: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def create(self, conn: Connection, model: M, modifiers: Mapping[str, Any]) -> None:
        """A record of a visit, posted under what it is about (its route's placeholders)."""
        model.assign(self.send_for(conn, "create", model, json=self.to_wire(model),
                                   parse=lambda r: self.structure(_plain_or_command(parse_json(r), self.key))))


class CytomineProjectConnection(_PerUser[ProjectConnection], CommandCreate[ProjectConnection],
                                CommandList[ProjectConnection]):
    requests = {"create": Route("POST", "/api/project/{project}/userconnection.json")}
    route = key = "projectconnection"
    model_type = ProjectConnection
    routes = {"project user": "/api/project/{project}/userconnection/{user}.json"}
    filters = {"project": f("project", "visits to this project id (default: the connection's)"),
               "user": f("user", "visits of this user id (default: the connection's user)")}
    not_supported = {op: "project connections are a record of visits" for op in ("fetch", "update", "delete")}

    def validate(self, model: ProjectConnection, operation: str) -> None:
        check_id(model.project, int, "project id")


class CytomineImageConsultation(_PerUser[ImageConsultation], CommandCreate[ImageConsultation],
                                CommandList[ImageConsultation]):
    requests = {"create": Route("POST", "/api/imageinstance/{image}/consultation.json")}
    route = key = "imageconsultation"
    model_type = ImageConsultation
    routes = {"project user": "/api/project/{project}/user/{user}/imageconsultation.json"}
    filters = {"project": f("project", "consultations in this project id (default: the connection's)"),
               "user": f("user", "consultations of this user id (default: the connection's user)")}
    not_supported = {op: "image consultations are a record of visits" for op in ("fetch", "update", "delete")}

    def validate(self, model: ImageConsultation, operation: str) -> None:
        check_id(model.image, int, "image instance id")


def _plain_or_command(reply: Any, key: str) -> Mapping[str, Any]:
    """Activity records come back alone (the social controllers) or in a command envelope."""
    if isinstance(reply, Mapping) and "id" in reply:
        return reply
    return cv.command_object(reply, key)
