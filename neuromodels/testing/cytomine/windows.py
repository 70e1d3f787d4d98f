"""Pixels of image instances: windows, annotation crops and masks (thumbnails are in .images).

What a real Cytomine proxies from its image server (PIMS), served from the synthetic image of
:mod:`neuromodels.testing.synthetic_image` (three channels, RGB), so every byte is checkable:

- ``GET /api/imageinstance/{id}/window-{x}-{y}-{w}-{h}.{fmt}``: the window whose top-left pixel is
  ``(x, y)`` in image pixel coordinates (rows grow downwards), ``maxSize`` bounds its longer side
  (or ``zoom=n`` shows it at 1/2**n).
- ``GET /api/userannotation/{id}/crop.{fmt}`` (also ``/api/annotation/{id}/...``): the bounding box
  of the annotation, ``mask.{fmt}`` the annotation drawn white on black over that box, and
  ``alphamask.{fmt}`` the crop with an alpha channel that is 0 outside the annotation.
  Annotation geometries have their origin at the bottom left: the box's top row is
  ``height - maxy``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely.wkt
from werkzeug.wrappers import Request, Response

from .. import synthetic_image
from ..harness import route
from .base import CytomineBase, CytomineError, not_found

#: The most pixels one window or crop may have (PIMS refuses huge regions too).
MAX_PIXELS = 64 * 1024 * 1024
CHANNELS = 3


def _max_size(request: Request, width: int = 0, height: int = 0) -> int | None:
    """``maxSize``, or the longer side at ``zoom`` (each zoom level halves the region)."""
    value = request.args.get("maxSize")
    zoom = request.args.get("zoom")
    if value in (None, "") and zoom not in (None, ""):
        try:
            level = int(zoom)
        except ValueError:
            raise CytomineError(400, f"zoom must be an integer, not {zoom}") from None
        if level < 0:
            raise CytomineError(400, "zoom must not be negative")
        return max(1, math.ceil(max(width, height) / (1 << min(level, 30))))
    if value in (None, ""):
        return None
    try:
        size = int(value)
    except ValueError:
        raise CytomineError(400, f"maxSize must be an integer, not {value}") from None
    if size <= 0:
        raise CytomineError(400, "maxSize must be positive")
    return size


def _window(x: int, y: int, w: int, h: int, image_w: int, image_h: int, max_size: int | None) -> np.ndarray:
    out_w, out_h = synthetic_image.scaled_size(w, h, max_size)
    if out_w * out_h > MAX_PIXELS:
        raise CytomineError(400, f"the requested region is too large ({out_w} x {out_h} pixels); use maxSize")
    xs = synthetic_image.sample(x, w, out_w)
    ys = synthetic_image.sample(y, h, out_h)
    data = synthetic_image.pixels(xs, ys, 0, CHANNELS)
    data[:, (xs >= image_w)] = 0
    data[(ys >= image_h), :] = 0
    return data


def _image_response(data: np.ndarray, fmt: str) -> Response:
    try:
        body, content_type = synthetic_image.encode(data, fmt)
    except ValueError as e:
        raise CytomineError(400, str(e)) from None
    return Response(body, content_type=content_type)


class WindowViews(CytomineBase):
    def image_size(self, iid: int) -> tuple[int, int]:
        row = self.image_row(iid)
        if row is None:
            raise not_found("ImageInstance", iid)
        return int(row[5] or 0), int(row[6] or 0)

    @route("/api/imageinstance/<int:id>/window-<int:x>-<int:y>-<int:w>-<int:h>.<fmt>", methods=("GET", "POST"))
    def window(self, request: Request, user: int, id: int, x: int, y: int, w: int, h: int, fmt: str) -> Response:
        width, height = self.image_size(id)
        if w <= 0 or h <= 0:
            raise CytomineError(400, "the window must have a positive width and height")
        if x >= width or y >= height:
            raise CytomineError(400, f"the window starts outside the image ({width} x {height})")
        return _image_response(_window(x, y, w, h, width, height, _max_size(request, w, h)), fmt)

    @route("/api/userannotation/<int:id>/<any(crop, mask, alphamask):kind>.<fmt>",
           "/api/annotation/<int:id>/<any(crop, mask, alphamask):kind>.<fmt>", methods=("GET",), public=True)
    def annotation_crop(self, request: Request, user: int, id: int, kind: str, fmt: str) -> Response:
        rows = self.db.read("SELECT image, location FROM annotation WHERE id = ?", (id,))
        if not rows:
            raise not_found("UserAnnotation", id)
        image, location = rows[0]
        width, height = self.image_size(image)
        geometry = shapely.wkt.loads(location)
        minx, miny, maxx, maxy = geometry.bounds
        x0, x1 = math.floor(minx), max(math.ceil(maxx), math.floor(minx) + 1)
        top, bottom = height - math.ceil(maxy), max(height - math.floor(miny), height - math.ceil(maxy) + 1)
        w, h = x1 - x0, bottom - top
        max_size = _max_size(request, w, h)
        if kind == "crop":
            return _image_response(_window(x0, top, w, h, width, height, max_size), fmt)
        out_w, out_h = synthetic_image.scaled_size(w, h, max_size)
        mask = self.draw(geometry, x0, height - top, w, h, out_w, out_h)
        if kind == "mask":
            return _image_response(mask, fmt)
        rgba = np.concatenate([_window(x0, top, w, h, width, height, max_size), mask[..., None]], axis=-1)
        return _image_response(rgba, "png" if fmt == "jpg" else fmt)

    @staticmethod
    def draw(geometry: Any, x0: int, top_y: int, w: int, h: int, out_w: int, out_h: int) -> np.ndarray:
        """The geometry drawn 255 on 0 over its box (y flipped to rows), ``out_w x out_h``."""
        from PIL import Image, ImageDraw

        sx, sy = out_w / w, out_h / h
        canvas: Any = Image.new("L", (out_w, out_h), 0)
        pen = ImageDraw.Draw(canvas)
        polygons = getattr(geometry, "geoms", [geometry])
        for polygon in polygons:
            exterior = getattr(polygon, "exterior", None)
            coords = list(exterior.coords) if exterior is not None else list(polygon.coords)
            points = [((px - x0) * sx, (top_y - py) * sy) for px, py, *_ in coords]
            if len(points) >= 3:
                pen.polygon(points, fill=255)
            else:
                pen.line(points, fill=255)
            for hole in getattr(polygon, "interiors", []):
                pen.polygon([((px - x0) * sx, (top_y - py) * sy) for px, py, *_ in hole.coords], fill=0)
        return np.asarray(canvas, dtype=np.uint8)
