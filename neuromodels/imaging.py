"""Image regions as numpy arrays: the ReadRegion and Crop capabilities and the model methods.
Each backend reads its own kind of image source (CATMAID: ``backends/catmaid/tiles.py``;
Cytomine: ``backends/cytomine/windows.py``).

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

from io import BytesIO
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import numpy as np

from .core.capabilities import M, Resource, capability
from .core.errors import NotSupported, ProtocolError

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


def check_inside(box: Region, width: Any, height: Any) -> None:
    """A region that shares no pixel with the image is a ValueError on every backend, before any
    request (Cytomine's server would answer BadRequest; CATMAID's tiles would give zeros)."""
    if width is None or height is None:
        return
    if box.x >= int(width) or box.y >= int(height):
        raise ValueError(f"the region x={box.x}, y={box.y}, {box.width} x {box.height} lies entirely outside the "
                         f"image ({int(width)} x {int(height)} pixels)")


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
class ReadRegion(Resource[M]):
    """Reads a region of an image as an array: implement :meth:`read_region`."""

    operation = "read a region of"
    #: The plane coordinates beyond ``z`` the server's images have (``"channel"``, ``"time"``).
    planes: ClassVar[frozenset[str]] = frozenset()

    def read_region(self, conn: "Connection", model: M, box: Region, **options: Any) -> np.ndarray:
        raise NotImplementedError


@capability
class Crop(Resource[M]):
    """Crops the bounding box of an annotation (or its mask) from its image."""

    operation = "crop"

    def crop(self, conn: "Connection", model: M, scale: float, mask: bool) -> np.ndarray:
        raise NotImplementedError


# -- the model methods -----------------------------------------------------------------------------
def _resource(model: Any, connection: "Connection | None") -> tuple["Connection", Resource[Any]]:
    """The connection a call uses and the model's resource on it (as ``Model._resource``)."""
    from .connection import Connection

    conn = Connection.current(connection)
    return conn, conn.backend.resource(type(model))


class ImageRegionMixin:
    """``read_region`` on :class:`~neuromodels.ImageInstance`."""

    __slots__ = ()

    def read_region(self, x: int, y: int, width: int, height: int, *, z: int = 0, scale: float = 1.0,
                    mirror: int | None = None, channel: int = 0, time: int = 0,
                    connection: "Connection | None" = None) -> np.ndarray:
        """The pixels of a region as a numpy array, ``height x width`` at ``scale=1`` (``x C``
        for colour images).

        ``(x, y)`` is the region's top-left pixel in the image's full-resolution coordinates
        (rows grow downwards), ``z`` the slice, ``scale`` in (0, 1] the size of the result
        (0.5: half as many pixels each way; the server's nearest pyramid level is used).
        Cytomine: ``channel`` and ``time`` pick the plane with ``z`` (its slice instance).
        CATMAID: ``mirror`` picks a tile source by mirror id or position (default: the first
        readable one). A region partly beyond the image has zeros there, and tiles the tile server
        lacks are zeros with a :class:`MissingTilesWarning`; a region entirely outside the image
        is a ValueError on every backend, before any request.

        >>> stack = ImageInstance.fetch(1)
        >>> tile_border = stack.read_region(500, 500, 24, 24)      # crosses 512-pixel tiles
        >>> tile_border.shape, tile_border.dtype.name
        ((24, 24), 'uint8')
        >>> stack.read_region(0, 0, 4096, 4096, scale=1 / 16).shape
        (256, 256)
        """
        box = region(x, y, width, height, z, scale)
        check_inside(box, getattr(self, "width", None), getattr(self, "height", None))
        planes = {}
        for name, value in (("channel", channel), ("time", time)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0, not {value!r}")
            if value:
                planes[name] = int(value)
        conn, resource = _resource(self, connection)
        reader = resource.require(ReadRegion)
        if set(planes) - reader.planes:
            raise NotSupported(f"{conn.backend.name} images have no {' or '.join(sorted(set(planes) - reader.planes))} "
                               "to choose from")
        if mirror is not None:
            result: np.ndarray = reader.read_region(conn, self, box, mirror=mirror, **planes)
        else:
            result = reader.read_region(conn, self, box, **planes)
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


__all__ = ["AnnotationCropMixin", "Crop", "ImageRegionMixin", "MissingTilesWarning", "ReadRegion", "Region", "decode"]
