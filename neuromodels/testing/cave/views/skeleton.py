"""The skeleton service: a root's skeleton as a gzip-compressed flat dict (``flatdict``), SWC
(``swccompressed``/``swc``) or plain JSON. A skeleton here runs through the root's supervoxels
in id order, in nanometres; its first vertex is the root (the soma)."""

from __future__ import annotations

import gzip
from typing import Any

import orjson
from werkzeug.wrappers import Request, Response

from ...harness import route
from ..base import CaveBase, CaveError
from ..store import DATASTACK, N_LAYERS, RESOLUTION, layer_of

PREFIX = "/skeletoncache/api/v1/<datastack>"
SKELETON_VERSIONS = [1, 2, 3, 4]
FORMATS = ("flatdict", "jsoncompressed", "json", "swc", "swccompressed")


class SkeletonViews(CaveBase):
    @route("/skeletoncache/api/versions", methods=("GET",), public=True)
    def skeleton_versions(self, request: Request, user: Any) -> list[int]:
        return SKELETON_VERSIONS

    def skeleton(self, root: int) -> dict[str, Any]:
        if layer_of(root) != N_LAYERS or self.root_row(root) is None:
            raise CaveError(400, f"Invalid root id: {root} (perhaps this is an id corresponding to a different level "
                                 "of the PCG, e.g., a supervoxel id)")
        points = self.db.read("SELECT v.id, v.x, v.y, v.z, v.radius FROM root_supervoxel s JOIN supervoxel v "
                              "ON v.id = s.supervoxel WHERE s.root = ? ORDER BY v.id", (root,))
        vertices = [[x * RESOLUTION[0], y * RESOLUTION[1], z * RESOLUTION[2]] for _, x, y, z, _ in points]
        n = len(vertices)
        return {"meta": {"root_id": root, "skeleton_version": 4, "datastack_name": DATASTACK, "soma_pt_x": vertices[0][0],
                         "soma_pt_y": vertices[0][1], "soma_pt_z": vertices[0][2], "soma_radius": 7500},
                "root": 0, "vertices": vertices, "edges": [[i, i - 1] for i in range(1, n)],
                "radius": [float(r) for *_, r in points], "compartment": [1] + [3] * (n - 1),
                "mesh_to_skel_map": list(range(n)), "lvl2_ids": [int(sv) for sv, *_ in points]}

    @staticmethod
    def swc(skeleton: dict[str, Any]) -> str:
        parent = {child: par for child, par in skeleton["edges"]}
        lines = []
        for i, (x, y, z) in enumerate(skeleton["vertices"]):
            lines.append(f"{i} {skeleton['compartment'][i]} {x:g} {y:g} {z:g} {skeleton['radius'][i]:g} {parent.get(i, -1)}")
        return "\n".join(lines) + "\n"

    @route(f"{PREFIX}/async/get_skeleton/<int:version>/<int:root>/<fmt>",
           f"{PREFIX}/precomputed/skeleton/<int:version>/<int:root>/<fmt>", methods=("GET",))
    def get_skeleton(self, request: Request, user: Any, datastack: str, version: int, root: int, fmt: str) -> Response:
        self.check_datastack(datastack)
        if version not in SKELETON_VERSIONS:
            raise CaveError(400, f"Invalid skeleton version: {version}. Valid versions: {SKELETON_VERSIONS}")
        if fmt not in FORMATS:
            raise CaveError(400, f"Invalid output format: {fmt}. Valid formats: {list(FORMATS)}")
        skeleton = self.skeleton(root)
        if fmt.startswith("swc"):
            text = self.swc(skeleton).encode()
            if fmt == "swc":
                return Response(text, content_type="text/plain")
            return Response(gzip.compress(text), content_type="application/octet-stream")
        data = orjson.dumps(skeleton)
        if fmt == "json":
            return Response(data, content_type="application/json")
        return Response(gzip.compress(data), content_type="application/octet-stream")
