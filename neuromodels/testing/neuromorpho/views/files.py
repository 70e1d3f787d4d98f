"""The files beside the API: standardized (CNG) SWC, the original upload (Source-Version) and
the neuron's PNG image."""

from __future__ import annotations

import json
import struct
import zlib
from urllib.parse import unquote

import numpy as np
from werkzeug.wrappers import Request, Response

from ...harness import route
from ..base import NeuroMorphoBase
from .measures import tree

MISSING = ("<!DOCTYPE html>\n<html>\n<head><title>NeuroMorpho.Org</title></head>\n<body>\n"
           "<h2>The requested resource could not be found.</h2>\n</body>\n</html>\n")


def missing() -> Response:
    return Response(MISSING, content_type="text/html")  # 200 with an HTML page, as the real file server may answer


def original(name: str, swc: str) -> str:
    """The neuron as a Neurolucida-style ASCII upload (what Source-Version keeps, in its own format)."""
    xyz, radius, _ = tree(swc)
    points = "\n".join(f"  ({x:.2f} {y:.2f} {z:.2f} {2 * r:.2f})" for (x, y, z), r in zip(xyz, radius))
    return f'; {name}: original reconstruction as uploaded\n("{name}"\n  (Dendrite)\n{points}\n)  ; End of tree\n'


def png(swc: str, size: int = 64) -> bytes:
    """A small grey PNG of the neuron seen from above (x, y), written without an imaging library."""
    xyz, _, parent = tree(swc)
    low, span = xyz[:, :2].min(axis=0), np.ptp(xyz[:, :2], axis=0).max() or 1.0
    pixels = np.full((size, size), 255, dtype=np.uint8)
    for i, p in enumerate(parent):
        a, b = xyz[i, :2], xyz[p if p >= 0 else i, :2]
        for t in np.linspace(0.0, 1.0, 8):
            x, y = ((a + (b - a) * t - low) / span * (size - 1)).astype(int)
            pixels[size - 1 - y, x] = 0
    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


class FileViews(NeuroMorphoBase):
    def neuron_file(self, archive: str, name: str) -> tuple[dict[str, object], str] | None:
        rows = self.db.read("SELECT record, swc FROM neuron WHERE name = ?", (name,))
        if not rows or rows[0][1] is None:
            return None
        record = json.loads(rows[0][0])
        if record["archive"].lower() != archive.lower():
            return None
        return record, rows[0][1]

    @route("/dableFiles/<path:rest>")
    def files(self, request: Request, user: None, rest: str) -> Response:
        parts = unquote(rest).split("/")
        if len(parts) != 3:
            return missing()
        archive, folder, filename = parts
        if folder == "CNG version" and filename.endswith(".CNG.swc"):
            found = self.neuron_file(archive, filename[: -len(".CNG.swc")])
            return Response(found[1], content_type="text/plain") if found else missing()
        if folder == "Source-Version" and "." in filename:
            name, ext = filename.rsplit(".", 1)
            found = self.neuron_file(archive, name)
            if found is None or str(found[0]["original_format"]).rsplit(".", 1)[-1].lower() != ext.lower():
                return missing()
            return Response(original(name, found[1]), content_type="application/octet-stream")
        return missing()

    @route("/images/imageFiles/<archive>/<filename>")
    def image(self, request: Request, user: None, archive: str, filename: str) -> Response:
        found = self.neuron_file(archive, filename[: -len(".png")]) if filename.endswith(".png") else None
        return Response(png(found[1]), content_type="image/png") if found else missing()
