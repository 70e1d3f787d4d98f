"""Morphometry and the SWC files (CNG version)."""

from __future__ import annotations

import json
from urllib.parse import unquote

import numpy as np
from werkzeug.wrappers import Request, Response

from ...harness import route
from ..base import NeuroMorphoBase, error, reply


class FileViews(NeuroMorphoBase):
    @route("/api/morphometry/id/<int:nid>")
    def morphometry(self, request: Request, user: None, nid: int) -> Response:
        rows = self.db.read("SELECT record, swc FROM neuron WHERE id = ?", (nid,))
        if not rows:
            return error(404, "Requested neuron not found", request.path)
        record, swc = json.loads(rows[0][0]), rows[0][1] or ""
        points = [line.split() for line in swc.splitlines() if line.strip() and not line.startswith("#")]
        xyz = np.array([[float(p[2]), float(p[3]), float(p[4])] for p in points]) if points else np.zeros((1, 3))
        extent = xyz.max(axis=0) - xyz.min(axis=0)
        body = {"neuron_name": record["neuron_name"], "neuron_id": nid, "surface": record["surface"],
                "volume": record["volume"], "n_bifs": str(max(len(points) // 10, 1)), "n_branch": str(max(len(points) // 5, 1)),
                "width": f"{extent[0]:.2f}", "height": f"{extent[1]:.2f}", "depth": f"{extent[2]:.2f}",
                "n_stems": "4", "length": f"{len(points) * 3.0:.2f}", "soma_Surface": record["soma_surface"],
                "_links": {"self": {"href": f"{request.host_url.rstrip('/')}/api/morphometry/id/{nid}"}}}
        return reply(body, ctype="application/hal+json;charset=UTF-8")

    @route("/dableFiles/<path:rest>")
    def files(self, request: Request, user: None, rest: str) -> Response:
        parts = unquote(rest).split("/")
        missing = Response("<!DOCTYPE html>\n<html>\n<head><title>NeuroMorpho.Org</title></head>\n<body>\n"
                           "<h2>The requested resource could not be found.</h2>\n</body>\n</html>\n", content_type="text/html")
        if len(parts) != 3 or parts[1] != "CNG version" or not parts[2].endswith(".CNG.swc"):
            return missing
        name = parts[2][: -len(".CNG.swc")]
        rows = self.db.read("SELECT record, swc FROM neuron WHERE name = ?", (name,))
        if not rows or rows[0][1] is None or json.loads(rows[0][0])["archive"].lower() != parts[0]:
            return missing  # 200 with an HTML page, as the real file server may answer
        return Response(rows[0][1], content_type="text/plain")
