"""Image tiles of the stacks, in the URL layouts of CATMAID's tile sources 1, 4 and 5.

A real CATMAID names its tile servers in the stack's ``mirrors`` (``image_base``,
``tile_source_type``, ``file_extension``, ``tile_width``, ``tile_height``); browsers and clients
fetch the tiles from there, usually without CATMAID's credentials (static files). The bundled
server is its own tile server: every stack has three mirrors, one per source type, serving the
synthetic image of :mod:`neuromodels.testing.synthetic_image` as lossless PNG.

Tile ``(row, col)`` of zoom level ``n`` covers level pixels ``[col * tile_width, (col + 1) *
tile_width)`` (level ``n`` is the slice sampled every ``2**n`` pixels); tiles are full size, with
zeros past the stack's edge, and a tile wholly outside the stack is a 404.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from ... import synthetic_image
from ..base import CatmaidBase, route
from ..wire import Http404

#: The mirrors of every stack: (tile source type, path below /tiles/{sid}/, tile size, title).
MIRRORS = (
    (1, "type1/", 512, "Synthetic tiles (default layout)"),
    (4, "type4/", 256, "Synthetic tiles (backslash layout)"),
    (5, "type5/", 256, "Synthetic tiles (large data layout)"),
)


class TileViews(CatmaidBase):
    def mirrors(self, request: Request, sid: int) -> list[dict[str, Any]]:
        """The ``mirrors`` of a stack's info, pointing at this server's tile routes."""
        host = request.host_url.rstrip("/")
        return [{"file_extension": "png", "id": sid * 10 + position, "image_base": f"{host}/tiles/{sid}/{path}",
                 "position": position, "tile_height": size, "tile_source_type": kind, "tile_width": size,
                 "title": title}
                for position, (kind, path, size, title) in enumerate(MIRRORS)]

    def tile(self, sid: int, kind: int, z: int, row: int, col: int, zoom: int, ext: str) -> Response:
        rows = self.db.read("SELECT dx, dy, dz FROM stack WHERE id = ?", (sid,))
        size = next((s for k, _, s, _ in MIRRORS if k == kind), 0)
        if not rows or ext != "png" or zoom < 0 or zoom > 30 or row < 0 or col < 0:
            raise Http404("No such tile")
        dx, dy, dz = rows[0]
        step = 1 << zoom
        if z >= dz or col * size * step >= dx or row * size * step >= dy:
            raise Http404("No such tile")
        data = synthetic_image.level(col * size, row * size, size, size, zoom=zoom, z=z, image_width=dx, image_height=dy)
        body, content_type = synthetic_image.encode(data, "png")
        return Response(body, content_type=content_type, headers={"Cache-Control": "max-age=3600"})

    @route("/tiles/<int:sid>/type1/<int:z>/<int:row>_<int:col>_<int:zoom>.<ext>", public=True)
    def tile_default(self, request: Request, user: int, sid: int, z: int, row: int, col: int, zoom: int, ext: str) -> Response:
        """Source type 1: ``{image_base}{z}/{row}_{col}_{zoom}.{ext}``."""
        return self.tile(sid, 1, z, row, col, zoom, ext)

    @route("/tiles/<int:sid>/type4/<int:z>/<int:zoom>/<int:row>_<int:col>.<ext>", public=True)
    def tile_backslash(self, request: Request, user: int, sid: int, z: int, zoom: int, row: int, col: int, ext: str) -> Response:
        """Source type 4: ``{image_base}{z}/{zoom}/{row}_{col}.{ext}``."""
        return self.tile(sid, 4, z, row, col, zoom, ext)

    @route("/tiles/<int:sid>/type5/<int:zoom>/<int:z>/<int:row>/<int:col>.<ext>", public=True)
    def tile_large(self, request: Request, user: int, sid: int, zoom: int, z: int, row: int, col: int, ext: str) -> Response:
        """Source type 5: ``{image_base}{zoom}/{z}/{row}/{col}.{ext}``."""
        return self.tile(sid, 5, z, row, col, zoom, ext)
