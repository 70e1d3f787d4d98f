"""Regions of Cytomine images (the image server's windows) and crops and masks of annotations."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ...imaging import Crop, ReadRegion, Region, _fit, decode
from ...models import Annotation, ImageInstance

if TYPE_CHECKING:
    from ...connection import Connection


# -- Cytomine: windows and crops ---------------------------------------------------------------------
class CytomineWindows(ReadRegion[ImageInstance]):
    """Regions of Cytomine image instances through the image server's window endpoint (mixed into
    the image instance resource, which provides ``slice_at``)."""

    planes = frozenset({"channel", "time"})

    if TYPE_CHECKING:
        def slice_at(self, conn: "Connection", model: ImageInstance, channel: int, z: int, time: int) -> int: ...

    def read_region(self, conn: "Connection", model: ImageInstance, box: Region, **options: Any) -> np.ndarray:
        if model.id is None:
            raise ValueError("this image has no id: fetch it first")
        params = {}
        if box.scale < 1:
            params["maxSize"] = max(box.out_width, box.out_height)
        channel, time = options.get("channel", 0), options.get("time", 0)
        if box.z or channel or time:
            # Another plane than the reference slice: the window of the slice at (c, z, t).
            slice_id = self.slice_at(conn, model, channel, box.z, time)
            base = f"/api/sliceinstance/{slice_id}"
        else:
            base = f"/api/imageinstance/{model.id}"
        path = f"{base}/window-{box.x}-{box.y}-{box.width}-{box.height}.png"
        array = conn.transport.request("GET", path, params=params, parse=lambda r: decode(r.content))
        return _fit(array, box.out_height, box.out_width)


class CytomineCrops(Crop[Annotation]):
    """Crops and masks of Cytomine annotations (``userannotation/{id}/crop.png``, ``mask.png``)."""

    def crop(self, conn: "Connection", model: Annotation, scale: float, mask: bool) -> np.ndarray:
        if model.id is None:
            raise ValueError("this annotation has no id: save or fetch it first")
        geometry = model.geometry
        if geometry is None:
            geometry = type(model).fetch(model.id, connection=conn).geometry
        minx, miny, maxx, maxy = geometry.bounds
        width = max(math.ceil(maxx), math.floor(minx) + 1) - math.floor(minx)
        height = max(math.ceil(maxy), math.floor(miny) + 1) - math.floor(miny)
        out_w, out_h = max(1, round(width * scale)), max(1, round(height * scale))
        params = {"maxSize": max(out_w, out_h)} if scale < 1 else {}
        path = f"/api/userannotation/{model.id}/{'mask' if mask else 'crop'}.png"
        array = _fit(conn.transport.request("GET", path, params=params, parse=lambda r: decode(r.content)), out_h, out_w)
        if mask:
            grey = array if array.ndim == 2 else array[..., 0]
            return np.asarray(grey > 127)
        return array
