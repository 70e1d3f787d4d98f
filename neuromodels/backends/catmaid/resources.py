"""CATMAID's six resources. Projects, stacks and volumes are here; neurons, annotations and
connectors have a module each."""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

import time

import numpy as np

from ...connection import Connection
from .tiles import CatmaidTiles
from ...core.errors import NotFound
from ...transport import json_as, parse_json
from ...models import ImageInstance, Project, Volume
from ...core.backend import Filter, as_list, check_name
from ...core.capabilities import Count, Create, Delete, Fetch, List, Settle, Settlement, Update
from ...core.routes import Route
from ..settling import settle_each
from . import api, converter as cv, replies
from .api import pid

from .activity import CatmaidProjectActivity
from .common import INT
from .annotations import CatmaidAnnotation
from .connectors import CatmaidConnector
from .neurons import CatmaidNeuron

__all__ = ["CatmaidAnnotation", "CatmaidConnector", "CatmaidImageInstance", "CatmaidNeuron", "CatmaidProject",
           "CatmaidVolume"]


# -- Project -----------------------------------------------------------------------------------------
class CatmaidProject(Fetch[Project], List[Project], CatmaidProjectActivity):
    #: The requests behind each operation (shown in the docs' capability tables).
    requests = {"fetch": Route("GET", "/projects/", note="every project this user sees, then the one asked for"),
                "list": Route("GET", "/projects/")}
    endpoints = {
        "list the members of": "GET /user-list (every user of the server)",
        "read the activity of": "POST /{project}/logs/list, annotations/query-targets; GET transactions/, "
                                "stats/user-history",
    }
    not_supported = {
        "tag": "CATMAID tags label skeleton nodes; annotate neurons with Annotation(name=..., targets=...)",
        "attach files to": "CATMAID keeps no attached files",
        "create": "CATMAID projects are created by administrators",
        "update": "CATMAID projects are edited by administrators",
        "delete": "CATMAID projects are deleted by administrators",
    }

    def _all(self, conn: Connection) -> list[Project]:
        def projects(body: Any) -> list[Project]:
            return [cv.project_from_wire(row) for row in replies.projects(body) if int(row.get("id", -1)) >= 0]

        found: list[Project] = self.send(conn, "list", parse=json_as(projects))
        return found

    def fetch_one(self, conn: Connection, id: Any, **options: Any) -> Project:
        for project in self._all(conn):
            if project.id == id:
                return project
        raise NotFound(f"no project {id} visible to this user", missing=[id])

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, **options: Any) -> Iterator[Sequence[Project]]:
        yield self._all(conn)


# -- ImageInstance (stack) -----------------------------------------------------------------------------
class CatmaidImageInstance(Fetch[ImageInstance], List[ImageInstance], Count[ImageInstance], CatmaidTiles):
    #: The requests behind each operation (shown in the docs' capability tables).
    requests = {"fetch": Route("GET", "/{project}/stack/{id}/info"),
                "list": Route("GET", "/{project}/stacks", note="then each stack's info")}
    endpoints = {"read a region of": "the stack mirror's tiles (tile source types 1, 4, 5)"}
    filters = {"project": Filter("project", INT, "project id (default: the connection's)")}
    not_supported = {
        "tag": "CATMAID tags label skeleton nodes; annotate neurons with Annotation(name=..., targets=...)",
        "attach files to": "CATMAID keeps no attached files",
        "create": "CATMAID stacks are created by administrators",
        "update": "CATMAID stacks are edited by administrators",
        "delete": "CATMAID stacks are deleted by administrators",
    }

    def _info(self, conn: Connection, project: int, sid: int) -> ImageInstance:
        info: ImageInstance = self.send(conn, "fetch", {"project": project, "id": sid},
                                        parse=json_as(cv.image_from_stack_info))
        return info

    def fetch_one(self, conn: Connection, id: Any, **options: Any) -> ImageInstance:
        return self._info(conn, pid(conn), id)

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, **options: Any) -> Iterator[Sequence[ImageInstance]]:
        project = int(modifiers.get("project", pid(conn)))
        stacks: list[int] = self.send(conn, "list", {"project": project}, parse=json_as(replies.stacks))
        yield conn.transport.map_values(lambda s: self._info(conn, project, s), stacks, desc="stacks")

    def count(self, conn: Connection, modifiers: Mapping[str, Any]) -> int:
        project = int(modifiers.get("project", pid(conn)))
        return len(self.send(conn, "list", {"project": project}, parse=json_as(replies.stacks)))


# -- Volume ---------------------------------------------------------------------------------------------------------
class CatmaidVolume(Fetch[Volume], List[Volume], Create[Volume], Update[Volume], Delete[Volume], Settle[Volume]):
    #: The requests behind each operation (shown in the docs' capability tables).
    copies_from = {"catmaid": "neuromodels.backends.catmaid.copy_volumes:copy_from_catmaid"}
    requests = {
        "fetch": Route("GET", "/{project}/volumes/{id}/"),
        "list": Route("GET", "/{project}/volumes/"),
        "create": Route("POST", "/{project}/volumes/add"),
        "update": Route("POST", "/{project}/volumes/{id}/"),
        "delete": Route("DELETE", "/{project}/volumes/{id}/"),
    }
    filters = {"name": Filter("name", (str,), "exact volume name", many=True)}

    def fetch_one(self, conn: Connection, id: Any, **options: Any) -> Volume:
        volume: Volume = self.send(conn, "fetch", {"id": id}, parse=api.shaped(cv.volume_from_detail))
        return volume

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, **options: Any) -> Iterator[Sequence[Volume]]:
        wanted = None if modifiers.get("name") is None else set(as_list(modifiers["name"]))
        volumes: list[Volume] = self.send(conn, "list", parse=api.shaped(cv.volumes_from_table))
        yield [v for v in volumes if wanted is None or v.name in wanted]

    def validate(self, model: Volume, operation: str) -> None:
        check_name(model.name, "a volume name")
        if operation == "create" or model.vertices is not None:
            v, f = model.vertices, model.faces
            if v is None or f is None:
                raise ValueError("a volume needs vertices and faces")
            if v.ndim != 2 or v.shape[1] != 3 or len(v) < 3:
                raise ValueError("vertices must be an N×3 array with at least 3 points")
            if f.ndim != 2 or f.shape[1] != 3 or len(f) < 1:
                raise ValueError("faces must be an M×3 array with at least one face")
            if not np.isfinite(v).all():
                raise ValueError("vertices must be finite (found NaN or infinity)")
            if f.min() < 0 or f.max() >= len(v):
                raise ValueError("a face refers to a vertex that does not exist")

    def create(self, conn: Connection, model: Volume, modifiers: Mapping[str, Any]) -> None:
        api.TICKETS[model] = (time.time(), 0)  # what settle() compares creation times with
        model.id = self.send(conn, "create", data=cv.converter.unstructure(model),
                             parse=lambda r: cv.created_volume(parse_json(r)))
        api.claim(conn, model.id, model, "volume")

    def settle(self, conn: Connection, models: Sequence[Volume]) -> list[Settlement]:
        """A create whose reply was lost is adopted only onto a volume with its name and its
        mesh, created (server clock) after the create was sent, by the token's user where that
        is known, that no other model of this process holds. None: not stored (sent again).
        Several, or a lookup that failed: unknown."""
        skew, slack = api.clock_skew(conn, api.date_offset(conn))
        listed = self.send(conn, "list", parse=lambda r: cv.volume_rows(parse_json(r)))
        return settle_each(conn, models, lambda model: self._settle_one(conn, model, listed, skew - slack))

    def _settle_one(self, conn: Connection, model: Volume, listed: Sequence[Mapping[str, Any]], shift: float) -> Settlement:
        ticket = api.TICKETS.get(model)
        if ticket is None:
            return Settlement.unknown("this process did not send its create, so no volume can be shown to be it")
        user = api.CatmaidState.of(conn).user
        others = api.claimed(conn, model, "volume")
        since = ticket[0] + shift
        recent = [int(row["id"]) for row in listed if row["name"] == model.name and int(row["id"]) not in others
                  and api.epoch(str(row["creation_time"])) >= since and (user is None or int(row["user_id"]) == user)]
        same = [v.id for v in (self.fetch_one(conn, i) for i in recent) if _same_mesh(v, model)]
        if not same:
            return Settlement.absent()
        adopted = api.CLAIMS.adopt(conn, "volume", model, same)
        if adopted is None:
            return Settlement.unknown(f"{len(same)} volumes named {model.name!r} with its mesh were made since it was sent")
        return Settlement.stored(adopted)

    def update(self, conn: Connection, model: Volume, changes: Mapping[str, Any], modifiers: Mapping[str, Any]) -> None:
        full: dict[str, str] = cv.converter.unstructure(model)
        wanted = {"title"} if "name" in changes else set()
        wanted |= {"comment"} if "comment" in changes else set()
        wanted |= {"type", "mesh"} if {"vertices", "faces"} & set(changes) else set()
        self.send(conn, "update", {"id": model.id}, data={k: v for k, v in full.items() if k in wanted},
                  parse=api.shaped(None))

    def delete(self, conn: Connection, model: Volume) -> None:
        self.send(conn, "delete", {"id": model.id})


def _same_mesh(stored: Volume, model: Volume) -> bool:
    """The same vertices (in any order, to a micron) and as many faces."""
    if stored.vertices is None or stored.faces is None or model.faces is None:
        return False
    a, b = np.asarray(stored.vertices, dtype=float), np.asarray(model.vertices, dtype=float)
    if a.shape != b.shape or len(stored.faces) != len(model.faces):
        return False
    return bool(np.allclose(np.unique(a.round(3), axis=0), np.unique(b.round(3), axis=0), atol=1e-3))
