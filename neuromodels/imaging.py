"""Image regions as numpy arrays: CATMAID tiles assembled, Cytomine windows and crops decoded.

``ImageInstance.read_region(x, y, width, height, z=0, scale=1.0)`` returns the region whose
top-left pixel is ``(x, y)`` in the image's own full-resolution pixel coordinates (rows grow
downwards), ``round(height * scale) x round(width * scale)`` pixels (``x C`` for colour images),
each output pixel the nearest one of the image.

- CATMAID: the stack's tiles, from its first mirror whose tile source type is 1, 4 or 5 (or the
  one given with ``mirror=``), at the coarsest zoom level that still has at least the requested
  resolution, fetched in parallel through the connection's transport (retries, timeouts and
  progress as everywhere). Tiles on the CATMAID server's own origin are fetched with its
  credentials; tiles on another host (the usual static tile server) without any. A missing tile
  (404) becomes zeros, with one warning naming how many were missing.
- Cytomine: the image server's ``window-{x}-{y}-{w}-{h}.png`` (``maxSize`` for ``scale < 1``);
  ``Annotation.crop(scale=..., mask=False)`` is the annotation's bounding box
  (``userannotation/{id}/crop.png``), or with ``mask=True`` its mask over that box (a bool array,
  ``mask.png``), as Cytomine's own client downloads them.
- Other servers raise :class:`~neuromodels.NotSupported` saying why.

Decoding uses Pillow (PNG, JPEG, WebP, TIFF tiles alike).

>>> image = ImageInstance.fetch(1)
>>> image.read_region(1000, 2000, 600, 300).shape
(300, 600)
"""

from __future__ import annotations

import math
import warnings
from io import BytesIO
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import urlsplit

import attrs
import numpy as np

from .backends.resource import Resource, capability
from .errors import NotFound, NotSupported, ProtocolError
from .transport import Transport, json_as, same_origin

if TYPE_CHECKING:
    from .connection import Connection


class MissingTilesWarning(UserWarning):
    """Some tiles of a region were missing on the tile server; they were filled with zeros."""


# -- what a region is ------------------------------------------------------------------------------
@attrs.frozen
class Region:
    """A request for pixels: the full-resolution window, the slice and the scale."""

    x: int
    y: int
    width: int
    height: int
    z: int = 0
    scale: float = 1.0

    @property
    def out_width(self) -> int:
        return max(1, round(self.width * self.scale))

    @property
    def out_height(self) -> int:
        return max(1, round(self.height * self.scale))

    def columns(self) -> np.ndarray:
        """The full-resolution columns the output pixels show (nearest pixel)."""
        return self.x + (np.arange(self.out_width, dtype=np.int64) * self.width) // self.out_width

    def rows(self) -> np.ndarray:
        return self.y + (np.arange(self.out_height, dtype=np.int64) * self.height) // self.out_height


def _whole(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")
    return int(value)


def _scale(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"scale must be a number, not {type(value).__name__}")
    scale = float(value)
    if not (0 < scale <= 1):
        raise ValueError(f"scale must be in (0, 1] (1 = full resolution), not {value!r}")
    return scale


def region(x: Any, y: Any, width: Any, height: Any, z: Any = 0, scale: Any = 1.0) -> Region:
    """A checked :class:`Region` (ValueError/TypeError before any request)."""
    return Region(_whole("x", x, 0), _whole("y", y, 0), _whole("width", width, 1), _whole("height", height, 1),
                  _whole("z", z, 0), _scale(scale))


# -- decoding --------------------------------------------------------------------------------------
def decode(data: bytes) -> np.ndarray:
    """Image bytes as an array: H x W for grey images, H x W x C for colour (palette images
    are expanded to RGB/RGBA). A body that is not an image is a :class:`ProtocolError`."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(BytesIO(data)) as image:
            if image.mode == "P":
                image = image.convert("RGBA" if "transparency" in image.info else "RGB")
            elif image.mode in ("1", "LA", "CMYK", "YCbCr"):
                image = image.convert({"1": "L", "LA": "RGBA", "CMYK": "RGB", "YCbCr": "RGB"}[image.mode])
            array: np.ndarray = np.asarray(image)
            return array
    except (UnidentifiedImageError, OSError) as e:
        raise ProtocolError(f"the server sent a body that is not an image Pillow can read ({e})") from None


def _fit(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """``array`` resampled (nearest pixel) to ``height x width`` when it is not that size."""
    if array.shape[0] == height and array.shape[1] == width:
        return array
    rows = (np.arange(height) * array.shape[0]) // height
    cols = (np.arange(width) * array.shape[1]) // width
    resampled: np.ndarray = array[rows][:, cols]
    return resampled


# -- capabilities ----------------------------------------------------------------------------------
@capability
class ReadRegion(Resource):
    """Reads a region of an image as an array: implement :meth:`read_region`."""

    operation = "read a region of"

    def read_region(self, conn: "Connection", model: Any, box: Region, **options: Any) -> np.ndarray:
        raise NotImplementedError


@capability
class Crop(Resource):
    """Crops the bounding box of an annotation (or its mask) from its image."""

    operation = "crop"

    def crop(self, conn: "Connection", model: Any, scale: float, mask: bool) -> np.ndarray:
        raise NotImplementedError


# -- CATMAID: tiles --------------------------------------------------------------------------------
#: Tile URL templates of CATMAID's tile source types (``image_base`` + this).
TILE_LAYOUTS: Mapping[int, str] = {
    1: "{z}/{row}_{col}_{zoom}.{ext}",   # DefaultTileSource
    4: "{z}/{zoom}/{row}_{col}.{ext}",   # BackslashTileSource
    5: "{zoom}/{z}/{row}/{col}.{ext}",   # LargeDataTileSource
}


@attrs.frozen
class TileSource:
    """One mirror of a CATMAID stack."""

    kind: int
    image_base: str
    extension: str
    tile_width: int
    tile_height: int

    @classmethod
    def from_mirror(cls, mirror: Mapping[str, Any]) -> "TileSource":
        base = str(mirror["image_base"])
        return cls(int(mirror["tile_source_type"]), base if base.endswith("/") else base + "/",
                   str(mirror.get("file_extension") or "png"), int(mirror.get("tile_width") or 256),
                   int(mirror.get("tile_height") or 256))

    def url(self, z: int, row: int, col: int, zoom: int) -> str:
        return self.image_base + TILE_LAYOUTS[self.kind].format(z=z, row=row, col=col, zoom=zoom, ext=self.extension)


def _checked_stack_info(info: Any) -> Mapping[str, Any]:
    """A stack's info with each mirror readable as a tile source (checked inside the request, so
    a malformed one is a ProtocolError naming it)."""
    if not isinstance(info, Mapping) or not isinstance(info.get("mirrors") or [], list):
        raise TypeError("the stack info is not an object with a list of mirrors")
    for m in info.get("mirrors") or []:
        if not isinstance(m, Mapping):
            raise TypeError(f"a mirror is {type(m).__name__}, not an object")
        if int(m.get("tile_source_type", 0)) in TILE_LAYOUTS:
            TileSource.from_mirror(m)
        float(m.get("position", 0))
    return info


class CatmaidTiles(ReadRegion):
    """Regions of CATMAID stacks, assembled from tiles."""

    def stack_info(self, conn: "Connection", model: Any) -> Mapping[str, Any]:
        extra = getattr(model, "extra", None) or {}
        if "mirrors" in extra and model.width is not None and model.height is not None:
            return {"mirrors": extra["mirrors"], "dimension": {"x": model.width, "y": model.height, "z": model.depth},
                    "num_zoom_levels": extra.get("num_zoom_levels", -1)}
        if model.id is None:
            raise ValueError("this image has no id: fetch it first")
        project = model.project if model.project is not None else conn.project
        info: Mapping[str, Any] = conn.transport.request("GET", f"/{project}/stack/{model.id}/info",
                                                         parse=json_as(_checked_stack_info))
        return info

    @staticmethod
    def source(info: Mapping[str, Any], mirror: int | None) -> TileSource:
        mirrors = sorted(info.get("mirrors") or [], key=lambda m: m.get("position", 0))
        if mirror is not None:
            chosen = [m for i, m in enumerate(mirrors) if m.get("id") == mirror or (i == mirror and "id" not in m)]
            if not chosen and 0 <= mirror < len(mirrors):
                chosen = [mirrors[mirror]]
            if not chosen:
                raise ValueError(f"this stack has no mirror {mirror!r}; it has {len(mirrors)}: "
                                 + ", ".join(f"{m.get('id')} (type {m.get('tile_source_type')})" for m in mirrors))
            if int(chosen[0].get("tile_source_type", 0)) not in TILE_LAYOUTS:
                raise NotSupported(f"tile source type {chosen[0].get('tile_source_type')} is not read by neuromodels "
                                   f"(types {', '.join(map(str, TILE_LAYOUTS))} are)")
            return TileSource.from_mirror(chosen[0])
        for m in mirrors:
            if int(m.get("tile_source_type", 0)) in TILE_LAYOUTS:
                return TileSource.from_mirror(m)
        kinds = sorted({m.get("tile_source_type") for m in mirrors})
        raise NotSupported(f"this stack has no tile source neuromodels can read (its types: {kinds or 'none'}; "
                           f"readable: {', '.join(map(str, TILE_LAYOUTS))})")

    @staticmethod
    def zoom_for(scale: float, info: Mapping[str, Any], source: TileSource) -> int:
        """The coarsest zoom level whose resolution is still at least ``scale``."""
        zoom = max(0, math.floor(math.log2(1 / scale) + 1e-9))
        levels = int(info.get("num_zoom_levels", -1) if info.get("num_zoom_levels") is not None else -1)
        if levels < 0:  # CATMAID's default: down to the level where the slice fits a tile
            dim = info.get("dimension") or {}
            fit = max((dim.get("x") or 1) / source.tile_width, (dim.get("y") or 1) / source.tile_height)
            levels = max(0, math.floor(math.log2(fit))) if fit > 1 else 0
        return min(zoom, levels)

    def transport_for(self, conn: "Connection", source: TileSource) -> tuple[Transport, str, bool]:
        """The transport for this mirror's tiles, the URL prefix it adds, and whether it is a
        new one (to close): the connection's own on its origin, else one without credentials
        (same timeouts and retries), so a token never goes to another host."""
        base = conn.transport.base_url
        if same_origin(base + "/", source.image_base) and source.image_base.startswith(base + "/"):
            return conn.transport, base, False
        parts = urlsplit(source.image_base)
        origin = f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"
        t = conn.transport
        anonymous = Transport(origin, t.backend, auth=None, timeout=t.timeout, retries=t.retries, backoff=t.backoff,
                              max_workers=t.max_workers, verify=t.verify, progress=False, max_body=t.max_body)
        return anonymous, origin, True

    def read_region(self, conn: "Connection", model: Any, box: Region, *, mirror: int | None = None,
                    **options: Any) -> np.ndarray:
        info = self.stack_info(conn, model)
        dim = info.get("dimension") or {}
        width, height, depth = int(dim.get("x") or 0), int(dim.get("y") or 0), dim.get("z")
        if depth is not None and box.z >= int(depth):
            raise ValueError(f"z={box.z} is beyond this stack's {depth} slices")
        source = self.source(info, mirror)
        zoom = self.zoom_for(box.scale, info, source)
        cols, rows = box.columns(), box.rows()
        inside_c, inside_r = cols < width, rows < height
        lc, lr = cols >> zoom, rows >> zoom  # positions at the zoom level
        tw, th = source.tile_width, source.tile_height
        wanted_c = np.unique(lc[inside_c] // tw)
        wanted_r = np.unique(lr[inside_r] // th)
        tiles = [(int(r), int(c)) for r in wanted_r for c in wanted_c]
        transport, prefix, own = self.transport_for(conn, source)

        def fetch(rc: tuple[int, int]) -> np.ndarray:
            url = source.url(box.z, rc[0], rc[1], zoom)
            tile: np.ndarray = transport.request("GET", url[len(prefix):], parse=lambda r: decode(r.content))
            return tile

        try:
            outcomes = conn.transport.map(fetch, tiles, desc="tiles")
        finally:
            if own:
                transport.close()
        decoded: dict[tuple[int, int], np.ndarray] = {}
        missing = 0
        for rc, outcome in zip(tiles, outcomes):
            if outcome.error is None:
                decoded[rc] = outcome.value
            elif isinstance(outcome.error, NotFound):
                missing += 1
            else:
                raise outcome.error
        if missing:
            warnings.warn(f"{missing} of {len(tiles)} tiles of this region were missing on the tile server "
                          f"(zoom level {zoom}, z={box.z}); their pixels are zeros", MissingTilesWarning, stacklevel=4)
        sample = next(iter(decoded.values()), np.zeros((th, tw), dtype=np.uint8))
        extra_shape = sample.shape[2:]
        out = np.zeros((box.out_height, box.out_width, *extra_shape), dtype=sample.dtype)
        if not tiles:
            return out
        # Place each tile's part of the output: output pixels (i, j) show level pixel (lr[i], lc[j]).
        for (r, c), tile in decoded.items():
            if tile.shape[2:] != extra_shape:
                raise ProtocolError(f"the tiles of this stack differ in their channels ({tile.shape} vs {sample.shape})")
            sel_c = np.nonzero(inside_c & (lc // tw == c))[0]
            sel_r = np.nonzero(inside_r & (lr // th == r))[0]
            tc, tr = lc[sel_c] - c * tw, lr[sel_r] - r * th
            ok_c, ok_r = tc < tile.shape[1], tr < tile.shape[0]  # a short edge tile leaves zeros
            out[np.ix_(sel_r[ok_r], sel_c[ok_c])] = tile[np.ix_(tr[ok_r], tc[ok_c])]
        return out


# -- Cytomine: windows and crops ---------------------------------------------------------------------
class CytomineWindows(ReadRegion):
    """Regions of Cytomine image instances through the image server's window endpoint."""

    def read_region(self, conn: "Connection", model: Any, box: Region, **options: Any) -> np.ndarray:
        if box.z != 0:
            raise NotSupported("Cytomine windows are read from an image's reference slice; z must be 0")
        if model.id is None:
            raise ValueError("this image has no id: fetch it first")
        params = {}
        if box.scale < 1:
            params["maxSize"] = max(box.out_width, box.out_height)
        path = f"/api/imageinstance/{model.id}/window-{box.x}-{box.y}-{box.width}-{box.height}.png"
        array = conn.transport.request("GET", path, params=params, parse=lambda r: decode(r.content))
        return _fit(array, box.out_height, box.out_width)


class CytomineCrops(Crop):
    """Crops and masks of Cytomine annotations (``userannotation/{id}/crop.png``, ``mask.png``)."""

    def crop(self, conn: "Connection", model: Any, scale: float, mask: bool) -> np.ndarray:
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


# -- the model methods -----------------------------------------------------------------------------
def _resource(model: Any, connection: "Connection | None") -> tuple["Connection", Resource]:
    """The connection a call uses and the model's resource on it (as ``Model._resource``)."""
    from .connection import Connection

    conn = Connection.current(connection)
    return conn, conn.backend.resource(type(model))


class ImageRegionMixin:
    """``read_region`` on :class:`~neuromodels.ImageInstance`."""

    __slots__ = ()

    def read_region(self, x: int, y: int, width: int, height: int, *, z: int = 0, scale: float = 1.0,
                    mirror: int | None = None, connection: "Connection | None" = None) -> np.ndarray:
        """The pixels of a region as a numpy array, ``height x width`` at ``scale=1`` (``x C``
        for colour images).

        ``(x, y)`` is the region's top-left pixel in the image's full-resolution coordinates
        (rows grow downwards), ``z`` the slice, ``scale`` in (0, 1] the size of the result
        (0.5: half as many pixels each way; the server's nearest pyramid level is used).
        CATMAID: ``mirror`` picks a tile source by mirror id or position (default: the first
        readable one). Pixels beyond the image, and tiles the tile server lacks, are zeros (the
        latter with a :class:`MissingTilesWarning`).

        >>> stack = ImageInstance.fetch(1)
        >>> tile_border = stack.read_region(500, 500, 24, 24)      # crosses 512-pixel tiles
        >>> tile_border.shape, tile_border.dtype.name
        ((24, 24), 'uint8')
        >>> stack.read_region(0, 0, 4096, 4096, scale=1 / 16).shape
        (256, 256)
        """
        box = region(x, y, width, height, z, scale)
        conn, resource = _resource(self, connection)
        reader = resource.require(ReadRegion)
        if mirror is not None:
            result: np.ndarray = reader.read_region(conn, self, box, mirror=mirror)
        else:
            result = reader.read_region(conn, self, box)
        return result


class AnnotationCropMixin:
    """``crop`` on :class:`~neuromodels.Annotation`."""

    __slots__ = ()

    def crop(self, *, scale: float = 1.0, mask: bool = False, connection: "Connection | None" = None) -> np.ndarray:
        """The annotation's bounding box cut from its image (Cytomine), as a numpy array
        (H x W x C); with ``mask=True`` the annotation's mask over that box instead (H x W bool,
        True inside). ``scale`` in (0, 1] shrinks both alike, so crop and mask stay aligned.

        >>> import shapely
        >>> from neuromodels.testing import serve, connect
        >>> with serve("cytomine") as server, connect(server) as cytomine:
        ...     image = ImageInstanceCollection(project=server.project).fetch()[0]
        ...     box = Annotation(geometry=shapely.box(100, 200, 164, 232), image=image.id,
        ...                      project=server.project).save()
        ...     box.crop().shape, box.crop(scale=0.5).shape, bool(box.crop(mask=True).all())
        ((32, 64, 3), (16, 32, 3), True)
        """
        if not isinstance(mask, bool):
            raise TypeError(f"mask must be True or False, not {mask!r}")
        factor = _scale(scale)
        conn, resource = _resource(self, connection)
        result: np.ndarray = resource.require(Crop).crop(conn, self, factor, mask)
        return result


__all__ = ["AnnotationCropMixin", "Crop", "CatmaidTiles", "CytomineCrops", "CytomineWindows", "ImageRegionMixin",
           "MissingTilesWarning", "ReadRegion", "Region", "TileSource", "decode"]
