"""The deterministic synthetic image the bundled CATMAID and Cytomine servers serve.

Every pixel is a function of its position (and of the slice ``z``), so a client can check what
it assembled pixel for pixel without any file: :func:`region` gives the expected array of any
window at any output size. The pattern changes along both axes and from one pixel to the next,
so a tile placed one pixel or one tile off is caught.

Downsampled views (zoom levels, ``maxSize``) take the nearest pixel: output pixel ``j`` of a
window ``[x, x + width)`` shown ``out_width`` wide is the full-resolution pixel
``x + floor(j * width / out_width)``. A zoom level ``n`` is the image sampled every ``2**n``
pixels.

>>> region(0, 0, 4, 2)
array([[  0,  37,  74, 111],
       [ 59,  96, 133, 170]], dtype=uint8)
>>> region(0, 0, 4, 4, out_width=2, out_height=2).tolist() == region(0, 0, 4, 4)[::2, ::2].tolist()
True
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

import numpy as np


def pixels(xs: np.ndarray, ys: np.ndarray, z: int = 0, channels: int = 1) -> np.ndarray:
    """The image at the full-resolution positions ``xs`` (columns) and ``ys`` (rows): an array
    ``len(ys) x len(xs)`` (``x channels`` when ``channels > 1``) of uint8."""
    x = np.asarray(xs, dtype=np.int64)[None, :]
    y = np.asarray(ys, dtype=np.int64)[:, None]
    base = x * 37 + y * 59 + (x // 64) * (y // 64) * 7 + int(z) * 101
    if channels == 1:
        return (base % 256).astype(np.uint8)
    planes = [((base + c * 85 + (x if c == 1 else y) * c) % 256).astype(np.uint8) for c in range(channels)]
    return np.stack(planes, axis=-1)


def sample(start: int, length: int, out: int) -> np.ndarray:
    """The full-resolution positions shown by ``out`` nearest-neighbour pixels of ``[start, start + length)``."""
    return start + (np.arange(out, dtype=np.int64) * length) // out


def region(x: int, y: int, width: int, height: int, *, z: int = 0, out_width: int | None = None,
           out_height: int | None = None, channels: int = 1) -> np.ndarray:
    """The window ``[x, x + width) x [y, y + height)`` of slice ``z``, shown ``out_width x out_height``."""
    out_width = width if out_width is None else out_width
    out_height = height if out_height is None else out_height
    return pixels(sample(x, width, out_width), sample(y, height, out_height), z, channels)


def level(x0: int, y0: int, width: int, height: int, *, zoom: int, z: int = 0, channels: int = 1,
          image_width: int | None = None, image_height: int | None = None) -> np.ndarray:
    """Pixels ``[x0, x0 + width) x [y0, y0 + height)`` of zoom level ``zoom`` (the image sampled
    every ``2**zoom`` pixels); pixels beyond the image (``image_width``/``image_height``) are 0."""
    step = 1 << zoom
    xs = (x0 + np.arange(width, dtype=np.int64)) * step
    ys = (y0 + np.arange(height, dtype=np.int64)) * step
    data = pixels(xs, ys, z, channels)
    if image_width is not None:
        data[:, xs >= image_width] = 0
    if image_height is not None:
        data[ys >= image_height, :] = 0
    return data


def scaled_size(width: int, height: int, max_size: int | None) -> tuple[int, int]:
    """The output size of a ``width x height`` window whose longer side is at most ``max_size``."""
    if max_size is None or max_size >= max(width, height):
        return width, height
    ratio = max_size / max(width, height)
    return max(1, round(width * ratio)), max(1, round(height * ratio))


def encode(array: np.ndarray, fmt: str = "png") -> tuple[bytes, str]:
    """Image bytes and their content type (PNG is lossless; ``jpg`` is not)."""
    from PIL import Image

    fmt = fmt.lower()
    kind = {"png": ("PNG", "image/png"), "jpg": ("JPEG", "image/jpeg"), "jpeg": ("JPEG", "image/jpeg"),
            "webp": ("WEBP", "image/webp")}.get(fmt)
    if kind is None:
        raise ValueError(f"unsupported image format {fmt!r}")
    out = BytesIO()
    image: Any = Image.fromarray(array)
    image.save(out, format=kind[0], **({"compress_level": 1} if kind[0] == "PNG" else {}))
    return out.getvalue(), kind[1]


__all__ = ["encode", "level", "pixels", "region", "sample", "scaled_size"]
