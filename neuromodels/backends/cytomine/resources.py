"""Cytomine's resources: what each can do, its filters, and the requests behind them.

Paths end in ``.json``; collections come in ``{collection, offset, perPage, size, totalPages}``
and are paged with ``max``/``offset`` until ``size`` items were read. Every reply is read inside
the transport's ``parse=`` callback, so a body of the wrong shape is a ProtocolError naming the
request (and, on a write, an outcome that is unknown rather than failed).

Cytomine has no bulk forms for changing terms or deleting annotations (its core answers one
object per request; only creating annotations takes a list). What it does have is
``POST /api/annotation/{id}/term/{term}/clearBefore.json``, which replaces an annotation's terms
by one term in a single request: changing the term of an annotation costs one request, not two.
The rest goes out as bounded parallel requests (``max_workers``) with a progress bar.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence


from ...connection import Connection
from ...files import open_private
from .windows import CytomineWindows
from ...models import ImageInstance, Ontology, Project, Term
from ...core.backend import Filter, check_id, check_name
from ..extras import Members, User
from ...core.capabilities import Download, Settle, Settlement, Thumbnail, absent
from ...core.routes import Route
from ..settling import settle_each
from . import converter as cv

from .domains import (
    CLAIMS, CLOCK_SLACK, _SENT, CommandCRUD, CommandFetch, CommandList, CytomineState, DomainExtras, INT, _drop_empty,
    current_user, every, paged,
)
from .annotations import CytomineAnnotation as _Annotation
from .workflows import CytomineImageWorkflow, CytomineMembership, CytomineReview

__all__ = ["CytomineAnnotation", "CytomineImageInstance", "CytomineOntology", "CytomineProject", "CytomineState",
           "CytomineTerm", "current_user", "paged"]


# -- Annotation ----------------------------------------------------------------------------------------
class CytomineAnnotation(_Annotation, CytomineReview):
    __doc__ = _Annotation.__doc__
    endpoints = {**_Annotation.endpoints,
                 "review": "POST/DELETE /api/annotation/{id}/review.json",
                 "dump crops of": "GET /api/userannotation/{id}/{crop|mask|alphamask}.{png|jpg|tif}"}


# -- Project -----------------------------------------------------------------------------------------
class CytomineProject(CommandCRUD[Project], DomainExtras[Project], Members[Project], CytomineMembership):
    #: The requests behind each operation (shown in the docs' capability tables).
    endpoints = {"change the members of": "POST/DELETE /api/project/{id}/user/{user}(/admin).json"}
    route, key, model_type = "project", "project", Project
    filters = {
        "user": Filter("user", INT, "projects of this user id"),
        "ontology": Filter("ontology", INT, "projects using this ontology id"),
    }
    not_supported = {"read the activity of": "this neuromodels backend does not read Cytomine's activity "
                                             "endpoints (project connections, annotation actions)"}

    def to_wire(self, model: Project) -> dict[str, Any]:
        return cv.project_body(model)

    def validate(self, model: Project, operation: str) -> None:
        check_name(model.name, "a project name")
        if model.ontology is not None:
            check_id(model.ontology, int, "ontology id")

    requests = {"list a user's": Route("GET", "/api/user/{user}/project.json", note="user="),
                "list an ontology's": Route("GET", "/api/ontology/{ontology}/project.json", note="ontology=")}

    def list_path(self, conn: Connection, modifiers: Mapping[str, Any]) -> str:
        if "user" in modifiers:
            return self.requests["list a user's"].path_for(user=modifiers["user"])
        if "ontology" in modifiers:
            return self.requests["list an ontology's"].path_for(ontology=modifiers["ontology"])
        return self.requests["list"].path_for()

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, **options: Any) -> Iterator[Sequence[Project]]:
        # Both filters: the user's projects, narrowed to the ontology here.
        ontology = modifiers.get("ontology") if "user" in modifiers else None
        for page in super().pages(conn, modifiers, limit):
            yield [p for p in page if ontology is None or p.ontology == ontology]

    def count(self, conn: Connection, modifiers: Mapping[str, Any]) -> int:
        if "user" in modifiers and "ontology" in modifiers:
            return sum(len(p) for p in self.pages(conn, modifiers, None))
        return super().count(conn, modifiers)

    def rows(self, conn: Connection | None, models: Sequence[Project]) -> list[dict[str, Any]]:
        """Columns: id, name, ontology, ontology_name, created (UTC), images, annotations (the
        server's counts); a column empty for every project is left out."""
        return _drop_empty([{
            "id": p.id, "name": p.name, "ontology": p.ontology, "ontology_name": p.extra.get("ontologyName"),
            "created": cv.timestamp(p.extra.get("created")), "images": p.extra.get("numberOfImages"),
            "annotations": p.extra.get("numberOfAnnotations"),
        } for p in models])

    def members(self, conn: Connection, model: Project, managers: bool) -> list[User]:
        ident = check_id(model.id, int, "project id")
        kind = "admin" if managers else "user"
        return every(conn, f"/api/project/{ident}/{kind}.json", lambda row: cv.converter.structure(row, User))

    def current_user(self, conn: Connection) -> User:
        return current_user(conn)


# -- ImageInstance -----------------------------------------------------------------------------------------
class CytomineImageInstance(CommandFetch[ImageInstance], CommandList[ImageInstance], CytomineImageWorkflow,
                            DomainExtras[ImageInstance], Download[ImageInstance], Thumbnail[ImageInstance],
                            CytomineWindows):
    #: The requests behind each operation (shown in the docs' capability tables).
    requests = {"list": Route("GET", "/api/project/{project}/imageinstance.json"),
                "list an image group": Route("GET", "/api/imagegroup/{image_group}/imageinstance.json"),
                "download": Route("GET", "/api/imageinstance/{id}/download"),
                "make a thumbnail of": Route("GET", "/api/imageinstance/{id}/thumb.png"),
                "create": Route("POST", "/api/imageinstance.json", note="an abstract image placed in a project")}
    endpoints = {"read a region of": "GET /api/imageinstance/{id}/window-{x}-{y}-{w}-{h}.png "
                            "(other planes: /api/sliceinstance/{slice}/window-...)",
                 "review images of": "PUT/DELETE /api/imageinstance/{id}/review.json"}
    route, key, model_type = "imageinstance", "imageinstance", ImageInstance
    filters = {"project": Filter("project", INT, "project id (default: the connection's)"),
               "image_group": Filter("image_group", INT, "the images of this image group id")}
    #: A new image is placed in a project; afterwards only its name changes.
    creatable = frozenset({"name", "project"})
    writable = frozenset({"name"})

    def list_path(self, conn: Connection, modifiers: Mapping[str, Any]) -> str:
        if "image_group" in modifiers:
            if "project" in modifiers:
                raise ValueError("give image_group= or project=, not both (a group's images are in its project)")
            return self.requests["list an image group"].path_for(image_group=modifiers["image_group"])
        project = check_id(modifiers.get("project", conn.project), int,
                           "project id (set project= on the connection or the filter)")
        return self.requests["list"].path_for(project=project)

    def rows(self, conn: Connection | None, models: Sequence[ImageInstance]) -> list[dict[str, Any]]:
        """Columns: id, name, project, width, height, depth, resolution_x/y/z (physical pixel
        size), magnification, content_type, created (UTC), annotations (the server's count); a
        column empty for every image is left out."""
        rows = []
        for m in models:
            x, y, z = m.resolution or (None, None, None)
            rows.append({"id": m.id, "name": m.name, "project": m.project, "width": m.width, "height": m.height,
                         "depth": m.depth, "resolution_x": x, "resolution_y": y, "resolution_z": z,
                         "magnification": m.extra.get("magnification"), "content_type": m.extra.get("contentType"),
                         "created": cv.timestamp(m.extra.get("created")),
                         "annotations": m.extra.get("numberOfAnnotations")})
        return _drop_empty(rows)

    def download(self, conn: Connection, model: ImageInstance, path: str) -> str:
        # An original image can be gigabytes: no body cap, and a day rather than the call timeout.
        data = self.send(conn, "download", {"id": model.id}, parse=lambda r: r.content,
                         max_body=None, timeout=max(conn.timeout, 86400.0))
        with open_private(path, "wb") as fh:  # server data: owner-only (neuromodels.files)
            fh.write(data)
        return path

    def thumbnail(self, conn: Connection, model: ImageInstance, max_size: int) -> bytes:
        thumb: bytes = self.send(conn, "make a thumbnail of", {"id": model.id}, params={"maxSize": max_size},
                                 parse=lambda r: r.content)
        return thumb


# -- Term and Ontology -----------------------------------------------------------------------------------------
class CytomineTerm(CommandCRUD[Term], Settle[Term]):
    requests = {"list an ontology's": Route("GET", "/api/ontology/{ontology}/term.json", note="ontology="),
                "list a project's": Route("GET", "/api/project/{project}/term.json", note="project=")}
    route, key, model_type = "term", "term", Term
    filters = {
        "ontology": Filter("ontology", INT, "terms of this ontology id"),
        "project": Filter("project", INT, "terms of this project's ontology"),
    }

    def to_wire(self, model: Term) -> dict[str, Any]:
        return cv.term_body(model)

    def validate(self, model: Term, operation: str) -> None:
        check_name(model.name, "a term name")
        check_id(model.ontology, int, "term ontology id")
        if model.color is not None and (not isinstance(model.color, str) or not model.color.startswith("#")):
            raise ValueError(f"a term color is '#RRGGBB', not {model.color!r}")

    def settle(self, conn: Connection, models: Sequence[Term]) -> list[Settlement]:
        """Cytomine keeps term names unique within an ontology: a create whose reply was lost is
        stored when its ontology has a term of its name made (server clock) after the create
        was sent that no other model holds; with no term of its name, or only an older one (a
        second create of the name is refused by the server), it is sent again."""
        current_user(conn)  # reads the server's clock
        shift = CytomineState.of(conn).clock_offset - CLOCK_SLACK
        ontologies = {getattr(m, "ontology") for m in models}
        listing = self.requests["list an ontology's"]
        terms = {o: every(conn, listing.path_for(ontology=int(o)), self.structure) for o in ontologies}
        return settle_each(conn, models, lambda m: self._settle_one(conn, m, terms[getattr(m, "ontology")], shift))

    def _settle_one(self, conn: Connection, model: Term, terms: Sequence[Term], shift: float) -> Settlement:
        sent = _SENT.get(model)
        if sent is None:
            return Settlement.unknown("when its create was sent is not known (another session?)")
        named = [t for t in terms if t.name == model.name]
        if not named:
            return Settlement.absent()
        created = cv.timestamp(named[0].extra.get("created"))
        if created is None:
            return Settlement.unknown(f"term {named[0].id} has no creation time to compare with")
        if created.timestamp() < sent + shift:
            return Settlement.absent()  # an older term of that name: resent, the server refuses it
        if CLAIMS.adopt(conn, self.route, model, [named[0].id]) is None:
            return Settlement.unknown(f"term {named[0].id} is held by another model of this process")
        return Settlement.stored(named[0].id)

    def list_path(self, conn: Connection, modifiers: Mapping[str, Any]) -> str:
        if "ontology" in modifiers:
            return self.requests["list an ontology's"].path_for(ontology=modifiers["ontology"])
        if "project" in modifiers:
            return self.requests["list a project's"].path_for(project=modifiers["project"])
        return self.requests["list"].path_for()


class CytomineOntology(CommandCRUD[Ontology]):
    route, key, model_type = "ontology", "ontology", Ontology

    def to_wire(self, model: Ontology) -> dict[str, Any]:
        return cv.ontology_body(model)

    def validate(self, model: Ontology, operation: str) -> None:
        check_name(model.name, "an ontology name")


# -- what Cytomine does not hold -----------------------------------------------------------------------------------
CytomineNeuron = absent("Cytomine holds image annotations, not neuron reconstructions")
CytomineConnector = absent("Cytomine has no synaptic connectors")
CytomineVolume = absent("Cytomine has no meshes; annotations hold 2-D geometries")
