"""Slices as the viewer reads them: an image's reference slice, the slice at (channel, z, time),
and windows of one slice (the synthetic pixels shifted by the slice's plane, so planes differ)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from ..harness import route
from .base import CytomineBase, CytomineError, not_found, reply
from .windows import _image_response, _max_size, _window


class PlaneViews(CytomineBase):
    if TYPE_CHECKING:  # provided by the image and window views of the app
        def slice_json(self, doc: dict[str, Any]) -> dict[str, Any]: ...
        def image_size(self, iid: int) -> tuple[int, int]: ...

    @route("/api/imageinstance/<int:id>/sliceinstance/reference.json", methods=("GET",))
    def reference_slice(self, request: Request, user: int, id: int) -> Response:
        row = self.image_row(id)
        if row is None:
            raise not_found("ImageInstance", id)
        doc = self.doc("sliceinstance", row[3]) if row[3] is not None else None
        if doc is None:
            raise CytomineError(404, f"the image {id} has no reference slice")
        return reply(self.slice_json(doc))

    @route("/api/imageinstance/<int:id>/<int:channel>/<int:z>/<int:time>/sliceinstance.json", methods=("GET",))
    def slice_at(self, request: Request, user: int, id: int, channel: int, z: int, time: int) -> Response:
        if self.image_row(id) is None:
            raise not_found("ImageInstance", id)
        for doc in self.docs("sliceinstance", image=id):
            obj = self.slice_json(doc)
            if (obj["channel"] or 0, obj["zStack"] or 0, obj["time"] or 0) == (channel, z, time):
                return reply(obj)
        raise CytomineError(404, f"SliceInstance not found with filters : {{image={id}, c={channel}, z={z}, t={time}}}")

    @route("/api/sliceinstance/<int:id>/window-<int:x>-<int:y>-<int:w>-<int:h>.<fmt>", methods=("GET", "POST"))
    def slice_window(self, request: Request, user: int, id: int, x: int, y: int, w: int, h: int, fmt: str) -> Response:
        doc = self.doc("sliceinstance", id)
        if doc is None:
            raise not_found("SliceInstance", id)
        width, height = self.image_size(doc["image"])
        if w <= 0 or h <= 0:
            raise CytomineError(400, "the window must have a positive width and height")
        if x >= width or y >= height:
            raise CytomineError(400, f"the window starts outside the image ({width} x {height})")
        base = self.doc("abstractslice", doc.get("baseSlice")) or {}
        shift = 7 * int(base.get("zStack") or 0) + 3 * int(base.get("channel") or 0) + 11 * int(base.get("time") or 0)
        pixels = _window(x, y, w, h, width, height, _max_size(request, w, h))
        return _image_response(((pixels.astype("int64") + shift) % 256).astype(pixels.dtype), fmt)
