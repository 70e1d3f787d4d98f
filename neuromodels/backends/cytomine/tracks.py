"""Tracks through the slices of an image, annotation groups across the images of an image group,
their links, and saved annotation filters."""

from __future__ import annotations

from typing import Any

from ...connection import Connection
from ...core.backend import check_id, check_name
from ...core.capabilities import Delete, M
from ...core.routes import Route
from .documents import Doc, f
from .domains import CommandCRUD, CommandCreate, CommandList
from .models import AnnotationFilter, AnnotationGroup, AnnotationLink, AnnotationTrack, Track
from .wire_domains import ANNOTATION_CLASS


class CytomineTrack(Doc[Track], CommandCRUD[Track]):
    route = key = "track"
    model_type = Track
    routes = {"image": "/api/imageinstance/{image}/track.json", "project": "/api/project/{project}/track.json"}
    filters = {"image": f("image", "tracks of this image instance id"),
               "project": f("project", "tracks of this project id (default: the connection's)")}
    default_project = True

    def validate(self, model: Track, operation: str) -> None:
        check_name(model.name, "a track name")
        check_id(model.image, int, "image instance id")
        if model.color is not None and not (isinstance(model.color, str) and model.color.startswith("#")):
            raise ValueError(f"a track color is '#RRGGBB', not {model.color!r}")


class _Annotated(Doc[M]):
    """Objects that name an annotation by class and id (the class is always a user annotation here)."""

    def to_wire(self, model: M) -> dict[str, Any]:
        return {**super().to_wire(model), "annotationClassName": ANNOTATION_CLASS}


class CytomineAnnotationTrack(_Annotated[AnnotationTrack], CommandCreate[AnnotationTrack], CommandList[AnnotationTrack],
                              Delete[AnnotationTrack]):
    requests = {"delete": Route("DELETE", "/api/annotationtrack/{annotation}/{track}.json")}
    route = key = "annotationtrack"
    model_type = AnnotationTrack
    routes = {"track": "/api/track/{track}/annotationtrack.json",
              "annotation": "/api/annotation/{annotation}/annotationtrack.json"}
    filters = {"track": f("track", "annotations on this track id"), "annotation": f("annotation", "tracks of this annotation id")}
    not_supported = {"fetch": "read it through AnnotationTrackCollection(annotation=...) or (track=...)",
                     "update": "an annotation is on a track or not: delete the link and add another"}

    def validate(self, model: AnnotationTrack, operation: str) -> None:
        check_id(model.annotation, int, "annotation id")
        check_id(model.track, int, "track id")

    def delete(self, conn: Connection, model: AnnotationTrack) -> None:
        self.send_for(conn, "delete", model)


class CytomineAnnotationGroup(Doc[AnnotationGroup], CommandCRUD[AnnotationGroup]):
    requests = {"merge": Route("POST", "/api/annotationgroup/{id}/annotationgroup/{other}/merge.json")}
    route = key = "annotationgroup"
    model_type = AnnotationGroup
    routes = {"image_group": "/api/imagegroup/{image_group}/annotationgroup.json",
              "project": "/api/project/{project}/annotationgroup.json"}
    filters = {"project": f("project", "groups of this project id (default: the connection's)"),
               "image_group": f("image_group", "groups of this image group id")}
    default_project = True

    def validate(self, model: AnnotationGroup, operation: str) -> None:
        check_id(model.project, int, "project id")
        check_id(model.image_group, int, "image group id")
        if model.type is None:
            model.type = "SAME_OBJECT"

    def merge(self, conn: Connection, model: AnnotationGroup, other: int) -> AnnotationGroup:
        check_id(other, int, "the other annotation group's id")
        self.send(conn, "merge", {"id": self.saved(model), "other": other})
        model.assign(self.fetch_one(conn, model.id))
        model.mark_clean()
        return model


class CytomineAnnotationLink(_Annotated[AnnotationLink], CommandCreate[AnnotationLink], CommandList[AnnotationLink],
                             Delete[AnnotationLink]):
    requests = {"delete": Route("DELETE", "/api/annotationgroup/{group}/annotation/{annotation}.json")}
    route = key = "annotationlink"
    model_type = AnnotationLink
    routes = {"group": "/api/annotationgroup/{group}/annotationlink.json",
              "annotation": "/api/annotation/{annotation}/annotationlink.json"}
    filters = {"group": f("group", "links of this annotation group id"),
               "annotation": f("annotation", "links of this annotation id")}
    not_supported = {"fetch": "read it through AnnotationLinkCollection(group=...) or (annotation=...)",
                     "update": "a link ties one annotation to one group: delete it and add another"}

    def validate(self, model: AnnotationLink, operation: str) -> None:
        check_id(model.annotation, int, "annotation id")
        check_id(model.group, int, "annotation group id")

    def delete(self, conn: Connection, model: AnnotationLink) -> None:
        self.send_for(conn, "delete", model)


class CytomineAnnotationFilter(Doc[AnnotationFilter], CommandCRUD[AnnotationFilter]):
    """Saved filters. The Cytomine CE core has no controller for them; the routes are the
    legacy core's, which the Python client still calls (inferred, see the tests)."""

    route = key = "annotationfilter"
    model_type = AnnotationFilter
    routes = {"project": "/api/annotationfilter.json"}
    filters = {"project": f("project", "filters of this project id (default: the connection's)")}
    default_project = True

    def validate(self, model: AnnotationFilter, operation: str) -> None:
        check_name(model.name, "a filter name")
        check_id(model.project, int, "project id")
