"""Where users look and what they do: viewer positions and annotation actions (Cytomine keeps
both in MongoDB; the bundled server keeps them beside everything else)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from ..harness import route
from .base import CytomineBase, CytomineError, not_found, reply

POSITION_FIELDS = ("topLeftX", "topLeftY", "topRightX", "topRightY", "bottomLeftX", "bottomLeftY", "bottomRightX",
                   "bottomRightY", "zoom", "rotation", "broadcast")


class SocialViews(CytomineBase):
    def reference(self, image: int | None, slice_: int | None) -> tuple[int, int | None, int]:
        """(image, slice, project) of an image or of one of its slices."""
        if slice_ is not None:
            doc = self.doc("sliceinstance", slice_)
            if doc is None:
                raise not_found("SliceInstance", slice_)
            image = doc["image"]
        row = self.image_row(image)
        if row is None:
            raise not_found("ImageInstance", image)
        return row[0], slice_ if slice_ is not None else row[3], row[1]

    def position_json(self, doc: dict[str, Any]) -> dict[str, Any]:
        """PersistentUserPosition.getDataFromDomain: the view as a polygon, its centroid as x, y."""
        from shapely.geometry import Polygon

        corners = [(float(doc.get(f"{c}X") or 0), float(doc.get(f"{c}Y") or 0))
                   for c in ("topLeft", "topRight", "bottomRight", "bottomLeft")]
        view = Polygon(corners)
        centre = view.centroid if view.area > 0 else Polygon(corners).exterior.centroid
        return {"class": "be.cytomine.domain.social.PersistentUserPosition", "id": doc["id"], "created": doc["created"],
                "updated": doc["updated"], "user": doc["user"], "image": doc["image"], "slice": doc["slice"],
                "project": doc["project"], **{k: doc.get(k) for k in POSITION_FIELDS},
                "location": view.wkt, "x": centre.x, "y": centre.y}

    @route("/api/imageinstance/<int:image>/position.json", "/api/sliceinstance/<int:slice_>/position.json", methods=("POST",))
    def add_position(self, request: Request, user: int, image: int | None = None, slice_: int | None = None) -> Response:
        data = self.body_dict(request)
        image, slice_, project = self.reference(image, slice_)
        with self.db.transaction() as cur:
            pid = self.doc_add(cur, "position", {"user": user, "image": image, "slice": slice_, "project": project,
                                                 **{k: data.get(k) for k in POSITION_FIELDS}})
            return reply(self.position_json(self.doc("position", pid, cur) or {}))

    @route("/api/imageinstance/<int:image>/positions.json", "/api/sliceinstance/<int:slice_>/positions.json", methods=("GET",))
    def positions(self, request: Request, user: int, image: int | None = None, slice_: int | None = None) -> Response:
        image, slice_ref, _ = self.reference(image, slice_)
        found = self.docs("position", image=image) if slice_ is None else self.docs("position", slice=slice_)
        if request.args.get("user"):
            found = [d for d in found if str(d["user"]) == request.args["user"]]
        return self.envelope(request, [self.position_json(d) for d in found])

    @route("/api/position/<int:id>.json", methods=("GET",))
    def position(self, request: Request, user: int, id: int) -> Response:
        doc = self.doc("position", id)
        if doc is None:
            raise not_found("PersistentUserPosition", id)
        return reply(self.position_json(doc))

    # -- annotation actions -------------------------------------------------------------------------
    def action_json(self, doc: dict[str, Any]) -> dict[str, Any]:
        return {"class": "be.cytomine.domain.social.AnnotationAction", "id": doc["id"], "created": doc["created"],
                **{k: doc.get(k) for k in ("user", "image", "slice", "project", "action", "annotationIdent",
                                           "annotationClassName", "annotationCreator")}}

    @route("/api/annotation_action.json", methods=("POST",))
    def add_action(self, request: Request, user: int) -> Response:
        data = self.body_dict(request)
        rows = self.db.read("SELECT image, slice, project, user FROM annotation WHERE id = ?", (data.get("annotationIdent"),))
        if not rows:
            raise CytomineError(404, f"Annotation {data.get('annotationIdent')} not found")
        image, slice_, project, creator = rows[0]
        with self.db.transaction() as cur:
            aid = self.doc_add(cur, "annotationaction", {
                "user": user, "image": image, "slice": slice_, "project": project, "action": data.get("action"),
                "annotationIdent": data["annotationIdent"], "annotationClassName": "be.cytomine.domain.ontology.UserAnnotation",
                "annotationCreator": creator})
            return reply(self.action_json(self.doc("annotationaction", aid, cur) or {}))

    @route("/api/imageinstance/<int:image>/annotation_action.json", "/api/sliceinstance/<int:slice_>/annotation_action.json",
           methods=("GET",))
    def actions(self, request: Request, user: int, image: int | None = None, slice_: int | None = None) -> Response:
        image, _, _ = self.reference(image, slice_)
        found = self.docs("annotationaction", image=image) if slice_ is None else self.docs("annotationaction", slice=slice_)
        return self.envelope(request, [self.action_json(d) for d in found])

    @route("/api/annotation_action/<int:id>.json", methods=("GET",))
    def action(self, request: Request, user: int, id: int) -> Response:
        doc = self.doc("annotationaction", id)
        if doc is None:
            raise not_found("AnnotationAction", id)
        return reply(self.action_json(doc))
