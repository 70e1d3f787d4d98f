"""Regions of CATMAID stacks, assembled from their tiles (the ReadRegion capability).

The stack's tiles come from its first mirror whose tile source type is 1, 4 or 5 (or the one
given with ``mirror=``), at the coarsest zoom level that still has at least the requested
resolution, fetched in parallel. Tiles on the CATMAID server's own origin are fetched with its
credentials; tiles on another host (the usual static tile server) through a derived transport
without any. A missing tile (404) becomes zeros, with one warning naming how many were missing.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import urlsplit

import attrs
import numpy as np

from ...core.errors import NotFound, NotSupported, ProtocolError
from ...imaging import MissingTilesWarning, ReadRegion, Region, check_inside, decode
from ...models import ImageInstance
from ...transport import Transport, json_as, same_origin

if TYPE_CHECKING:
    from ...connection import Connection


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


class CatmaidTiles(ReadRegion[ImageInstance]):
    """Regions of CATMAID stacks, assembled from tiles."""

    def stack_info(self, conn: "Connection", model: ImageInstance) -> Mapping[str, Any]:
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
        return t.derive(origin), origin, True

    def read_region(self, conn: "Connection", model: ImageInstance, box: Region, *, mirror: int | None = None,
                    **options: Any) -> np.ndarray:
        info = self.stack_info(conn, model)
        dim = info.get("dimension") or {}
        width, height, depth = int(dim.get("x") or 0), int(dim.get("y") or 0), dim.get("z")
        if depth is not None and box.z >= int(depth):
            raise ValueError(f"z={box.z} is beyond this stack's {depth} slices")
        check_inside(box, width, height)
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
