"""The images of an image group (RestImageGroupImageInstanceController and the image group
listing of RestImageInstanceController)."""

from __future__ import annotations

from typing import Any, Mapping

from werkzeug.wrappers import Request, Response

from ..harness import route
from .base import CytomineBase, CytomineError, not_found, reply


class ImageGroupViews(CytomineBase):
    def member_json(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        group = self.doc("imagegroup", doc["group"]) or {}
        return {"class": "be.cytomine.domain.image.group.ImageGroupImageInstance", "id": doc["id"],
                "created": doc["created"], "updated": doc["updated"], "image": doc["image"], "group": doc["group"],
                "groupName": group.get("name")}

    @route("/api/imagegroup/<int:group>/imageinstance/<int:image>.json", methods=("POST", "DELETE"))
    def group_member(self, request: Request, user: int, group: int, image: int) -> Response:
        if self.doc("imagegroup", group) is None:
            raise not_found("ImageGroup", group)
        if self.image_row(image) is None:
            raise not_found("ImageInstance", image)
        found = self.docs("imagegroupimageinstance", group=group, image=image)
        if request.method == "POST":
            if found:
                raise CytomineError(409, f"Image {image} is already in group {group}", wrapper=True)
            with self.db.transaction() as cur:
                did = self.doc_add(cur, "imagegroupimageinstance", {"group": group, "image": image})
                obj = self.member_json(self.doc("imagegroupimageinstance", did, cur) or {})
            return self.command("Add", "imageGroupImageInstance", "imagegroupimageinstance", obj,
                                f"Image {image} added to group {group}")
        if not found:
            raise CytomineError(404, f"ImageGroupImageInstance not found with filters : {{group={group}, image={image}}}")
        obj = self.member_json(found[0])
        with self.db.transaction() as cur:
            self.doc_delete(cur, [found[0]["id"]])
        return self.command("Delete", "imageGroupImageInstance", "imagegroupimageinstance", obj,
                            f"Image {image} removed from group {group}")

    @route("/api/imageinstance/<int:image>/imagegroupimageinstance.json", methods=("GET",))
    def groups_of_image(self, request: Request, user: int, image: int) -> Response:
        if self.image_row(image) is None:
            raise not_found("ImageInstance", image)
        return self.envelope(request, [self.member_json(d) for d in self.docs("imagegroupimageinstance", image=image)])

    @route("/api/imagegroup/<int:group>/imageinstance.json", methods=("GET",))
    def images_of_group(self, request: Request, user: int, group: int) -> Response:
        if self.doc("imagegroup", group) is None:
            raise CytomineError(404, f"ImageInstance not found with filters : {{ImageGroup={group}}}")
        rows = [self.image_row(d["image"]) for d in self.docs("imagegroupimageinstance", group=group)]
        return self.envelope(request, [self.image_json(r) for r in rows if r])  # type: ignore[attr-defined]


__all__ = ["ImageGroupViews", "reply"]
