"""Wire shapes of the models only Cytomine has: which JSON key each field is, per model.

One table, read both ways: structuring a server object (keys not named go to ``extra``) and
making request bodies (fields that are None are left out; ``READ_ONLY`` fields never sent).
"""

from __future__ import annotations

from typing import Any, Mapping

from ...core.model import Model
from ...models import Annotation, ImageInstance, Ontology, Project, Term
from ...core.wire import record
from . import converter as cv
from .models import (
    AbstractImage, AbstractSlice, AnnotationAction, AnnotationFilter, AnnotationGroup, AnnotationLink, AnnotationTrack,
    Description, ImageConsultation, ImageGroup, ImageGroupImage, Position, ProjectConnection, ProjectRepresentative, Property, Role,
    SliceInstance, Storage, Tag, TermRelation, Track, UploadedFile, UserAccount,
)

#: Field -> JSON key, per model (from the server's domain classes' ``getDataFromDomain``).
WIRE: dict[type[Model], dict[str, str]] = {
    Storage: {"name": "name", "user": "user"},
    UploadedFile: {"name": "originalFilename", "filename": "filename", "size": "size", "ext": "ext",
                   "content_type": "contentType", "storage": "storage", "projects": "projects", "user": "user",
                   "status": "status", "parent": "parent"},
    AbstractImage: {"name": "originalFilename", "uploaded_file": "uploadedFile", "width": "width", "height": "height",
                    "depth": "depth", "duration": "duration", "channels": "channels", "magnification": "magnification",
                    "physical_size_x": "physicalSizeX", "physical_size_y": "physicalSizeY",
                    "physical_size_z": "physicalSizeZ"},
    AbstractSlice: {"image": "image", "uploaded_file": "uploadedFile", "mime": "mime", "channel": "channel",
                    "z": "zStack", "time": "time"},
    SliceInstance: {"image": "image", "project": "project", "base_slice": "baseSlice", "channel": "channel",
                    "z": "zStack", "time": "time"},
    ImageGroup: {"name": "name", "project": "project"},
    ImageGroupImage: {"group": "group", "image": "image"},
    Track: {"name": "name", "image": "image", "color": "color", "project": "project"},
    AnnotationTrack: {"annotation": "annotationIdent", "track": "track"},
    AnnotationGroup: {"project": "project", "image_group": "imageGroup", "type": "type"},
    AnnotationLink: {"annotation": "annotationIdent", "group": "group", "image": "image"},
    AnnotationFilter: {"name": "name", "project": "project", "users": "users", "terms": "terms"},
    UserAccount: {"username": "username", "firstname": "firstname", "lastname": "lastname", "email": "email",
                  "password": "password", "language": "language"},
    Role: {"authority": "authority"},
    ProjectRepresentative: {"project": "project", "user": "user"},
    Position: {"image": "image", "slice": "slice", "project": "project", "user": "user", "x": "x", "y": "y",
               "zoom": "zoom", "rotation": "rotation", "location": "location", "broadcast": "broadcast"},
    AnnotationAction: {"annotation": "annotationIdent", "action": "action", "image": "image", "slice": "slice",
                       "project": "project", "user": "user"},
    ProjectConnection: {"project": "project", "user": "user", "os": "os", "browser": "browser",
                        "browser_version": "browserVersion"},
    ImageConsultation: {"image": "image", "project": "project", "user": "user", "mode": "mode"},
    Property: {"key": "key", "value": "value", "domain_class": "domainClassName", "domain_id": "domainIdent"},
    Description: {"data": "data", "domain_class": "domainClassName", "domain_id": "domainIdent"},
    Tag: {"name": "name", "user": "user"},
    TermRelation: {"parent": "term1", "child": "term2"},
}
#: Fields the server computes: read, never sent.
READ_ONLY: dict[type[Model], frozenset[str]] = {
    SliceInstance: frozenset({"channel", "z", "time"}),
    Track: frozenset({"project"}),
    AnnotationLink: frozenset({"image"}),
}
#: Keys a user object carries that a record never keeps.
_DROPPED: dict[type[Model], tuple[str, ...]] = {UserAccount: tuple(cv.SECRET_KEYS)}

#: Cytomine's class name per model, for ``/api/domain/{class}/{id}/...`` routes.
CLASS_NAME: dict[type, str] = {
    Project: "be.cytomine.domain.project.Project",
    ImageInstance: "be.cytomine.domain.image.ImageInstance",
    Annotation: "be.cytomine.domain.ontology.UserAnnotation",
    Term: "be.cytomine.domain.ontology.Term",
    Ontology: "be.cytomine.domain.ontology.Ontology",
    Storage: "be.cytomine.domain.image.server.Storage",
    UploadedFile: "be.cytomine.domain.image.UploadedFile",
    AbstractImage: "be.cytomine.domain.image.AbstractImage",
    AbstractSlice: "be.cytomine.domain.image.AbstractSlice",
    SliceInstance: "be.cytomine.domain.image.SliceInstance",
    ImageGroup: "be.cytomine.domain.image.group.ImageGroup",
    Track: "be.cytomine.domain.ontology.Track",
    AnnotationGroup: "be.cytomine.domain.ontology.AnnotationGroup",
    UserAccount: "be.cytomine.domain.security.User",
}
ANNOTATION_CLASS = CLASS_NAME[Annotation]


def domain_of(target: Model) -> tuple[str, int]:
    """``(Cytomine class name, id)`` of a saved model."""
    for klass in type(target).__mro__:
        if klass in CLASS_NAME:
            if target.id is None:
                raise ValueError(f"this {type(target).__name__} has no id: save or fetch it first")
            return CLASS_NAME[klass], int(target.id)
    known = ", ".join(sorted(k.__name__ for k in CLASS_NAME))
    raise TypeError(f"Cytomine keeps properties and descriptions on {known}, not on {type(target).__name__}")


def body_of(model: Model) -> dict[str, Any]:
    """A request body: the id (when saved) and every field set, under its JSON key."""
    wire = WIRE[type(model)]
    skip = READ_ONLY.get(type(model), frozenset())
    data: dict[str, Any] = {key: getattr(model, field) for field, key in wire.items()
                            if field not in skip and getattr(model, field) is not None}
    if model.id is not None:
        data["id"] = model.id
    return cv.body(data)


def _structure_hook(model: type[Model], wire: Mapping[str, str]) -> Any:
    base: Any = record(model, id="id", **wire)  # type: ignore[arg-type]
    dropped = _DROPPED.get(model, ())

    def structure(row: Mapping[str, Any], _: Any = None) -> Any:
        if not isinstance(row, Mapping):
            raise TypeError(f"a {model.__name__} record is an object, not {type(row).__name__}")
        found = base({k: v for k, v in row.items() if k not in dropped})
        if isinstance(found, Storage) and found.user is None:  # the repository service calls the owner userId
            found.user = row.get("userId")
        return found

    return structure


for _model, _wire in WIRE.items():
    cv.converter.register_structure_hook(_model, _structure_hook(_model, _wire))
