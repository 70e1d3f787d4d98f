"""The chunked graph (PyChunkedGraph): roots of supervoxels (binary and JSON), which roots are
latest, when roots were made, lineage graphs, past and future ids, valid nodes, and the graphene
info CloudVolume reads."""

from __future__ import annotations

from typing import Any

import numpy as np
from werkzeug.wrappers import Request, Response

from ...harness import route
from ..base import CaveBase, CaveError, body_of, flag, seconds
from ..store import LAYER_SHIFT, N_LAYERS, PCG_TABLE, layer_of, now

PREFIX = "/segmentation/api/v1/table/<table>"


def node_ids(body: Any, key: str) -> list[int]:
    ids = body.get(key) if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise CaveError(400, f"{key}: a list of node ids is required")
    return [int(i) for i in ids]


class ChunkedGraphViews(CaveBase):
    @staticmethod
    def check_table(table: str) -> None:
        if table != PCG_TABLE:
            raise CaveError(404, f"table {table} not found")

    def at(self, request: Request, name: str = "timestamp") -> float:
        stamp = seconds(request.args.get(name), name)
        return now() if stamp is None else stamp

    @route("/segmentation/table/<table>/info", methods=("GET",))
    def graphene_info(self, request: Request, user: Any, table: str) -> dict[str, Any]:
        self.check_table(table)
        size = [65536, 65536, 1024]
        return {"app": {"supported_api_versions": [0, 1]}, "chunks_start_at_voxel_offset": True,
                "data_dir": f"{request.host_url.rstrip('/')}/segmentation/watershed", "data_type": "uint64",
                "graph": {"bounding_box": [2048, 2048, 512], "chunk_size": [256, 256, 512], "cv_mip": 0,
                          "n_bits_for_layer_id": 64 - LAYER_SHIFT, "n_layers": N_LAYERS,
                          "spatial_bit_masks": {str(i): 10 for i in range(1, N_LAYERS + 1)}},
                "mesh": "local_meshes", "num_channels": 1, "type": "segmentation",
                "scales": [{"chunk_sizes": [[256, 256, 32]], "encoding": "compressed_segmentation",
                            "compressed_segmentation_block_size": [8, 8, 8], "key": "4_4_40", "resolution": [4, 4, 40],
                            "size": size, "voxel_offset": [0, 0, 0]}]}

    @route("/segmentation/watershed/provenance", methods=("GET",), public=True)
    def watershed_provenance(self, request: Request, user: Any) -> dict[str, Any]:
        """What CloudVolume reads of the (absent) watershed layer besides the graphene info."""
        return {"description": "no voxels are served by the bundled CAVE", "owners": [], "processing": [], "sources": []}

    @route(f"{PREFIX}/roots_binary", methods=("POST",))
    def roots_binary(self, request: Request, user: Any, table: str) -> Response:
        self.check_table(table)
        data = request.get_data()
        if len(data) % 8:
            raise CaveError(400, "the body must be uint64 supervoxel ids")
        svs = np.frombuffer(data, dtype=np.uint64).astype(np.int64).tolist()
        roots = self.roots_at(svs, self.at(request))
        return Response(np.array(roots, dtype=np.uint64).tobytes(), content_type="application/octet-stream")

    @route(f"{PREFIX}/node/<int:node>/root", methods=("GET",))
    def root_of(self, request: Request, user: Any, table: str, node: int) -> dict[str, int]:
        self.check_table(table)
        return {"root_id": self.roots_at([node], self.at(request))[0]}

    @route(f"{PREFIX}/is_latest_roots", methods=("POST",))
    def is_latest(self, request: Request, user: Any, table: str) -> dict[str, list[bool]]:
        self.check_table(table)
        at = self.at(request)
        out = []
        for root in node_ids(body_of(request), "node_ids"):
            row = self.root_row(root)
            out.append(row is not None and row[0] <= at and (row[1] is None or row[1] > at))
        return {"is_latest": out}

    @route(f"{PREFIX}/root_timestamps", methods=("POST",))
    def root_timestamps(self, request: Request, user: Any, table: str) -> dict[str, list[float]]:
        self.check_table(table)
        latest = flag(request.args.get("latest"))
        out = []
        for root in node_ids(body_of(request), "node_ids"):
            row = self.root_row(root)
            if row is None:
                raise CaveError(400, f"{root} is not a root id")
            out.append(row[1] if latest and row[1] is not None else (now() if latest else row[0]))
        return {"timestamp": out}

    @route(f"{PREFIX}/valid_nodes", methods=("GET", "POST"))
    def valid_nodes(self, request: Request, user: Any, table: str) -> dict[str, list[int]]:
        self.check_table(table)
        start = seconds(request.args.get("start_timestamp"), "start_timestamp") or 0.0
        end = self.at(request, "end_timestamp")
        valid = []
        for node in node_ids(body_of(request), "node_ids"):
            row = self.root_row(node)
            if row is not None and start <= row[0] <= end:
                valid.append(node)
        return {"valid_roots": valid}

    def family(self, roots: list[int], past: float, future: float) -> tuple[set[int], set[tuple[int, int]]]:
        """The roots connected to ``roots`` by edits, made before ``future`` and alive after ``past``."""
        seen: set[int] = set()
        links: set[tuple[int, int]] = set()
        todo = [r for r in roots if self.root_row(r) is not None]
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            for parent, child in self.db.read("SELECT parent, child FROM lineage WHERE parent = ? OR child = ?", (node, node)):
                other = child if parent == node else parent
                row = self.root_row(other)
                if row is not None and row[0] <= future and (row[1] is None or row[1] >= past):
                    links.add((int(parent), int(child)))
                    todo.append(int(other))
        return seen, links

    @route(f"{PREFIX}/lineage_graph_multiple", methods=("POST",))
    def lineage(self, request: Request, user: Any, table: str) -> dict[str, Any]:
        self.check_table(table)
        roots = node_ids(body_of(request), "root_ids")
        past = seconds(request.args.get("timestamp_past"), "timestamp_past") or 0.0
        future = self.at(request, "timestamp_future")
        nodes, links = self.family(roots, past, future)
        described = []
        for node in sorted(nodes):
            row = self.root_row(node)
            assert row is not None
            described.append({"id": node, "timestamp": row[0], "operation_id": row[2]})
        return {"directed": True, "multigraph": False, "graph": {}, "nodes": described,
                "links": [{"source": p, "target": c} for p, c in sorted(links)]}

    @route(f"{PREFIX}/past_id_mapping", methods=("GET", "POST"))
    def past_ids(self, request: Request, user: Any, table: str) -> dict[str, Any]:
        """For each root: the roots at ``timestamp_past`` that became it, and for each of those the
        root it became (the one with most overlap)."""
        self.check_table(table)
        past = seconds(request.args.get("timestamp_past"), "timestamp_past") or 0.0
        future = self.at(request, "timestamp_future")
        past_map: dict[str, list[int]] = {}
        future_map: dict[str, int] = {}
        for root in node_ids(body_of(request), "root_ids"):
            nodes, _ = self.family([root], past, future)
            alive = [n for n in nodes if (r := self.root_row(n)) is not None and r[0] <= past and (r[1] is None or r[1] > past)]
            past_map[str(root)] = sorted(alive) or [root]
            for n in alive:
                future_map[str(n)] = root
        return {"past_id_map": past_map, "future_id_map": future_map}

    @route(f"{PREFIX}/node/<int:node>/leaves", methods=("GET",))
    def leaves(self, request: Request, user: Any, table: str, node: int) -> dict[str, list[int]]:
        self.check_table(table)
        if layer_of(node) != N_LAYERS or self.root_row(node) is None:
            raise CaveError(400, f"{node} is not a root id")
        return {"leaf_ids": [int(s) for (s,) in self.db.read("SELECT supervoxel FROM root_supervoxel WHERE root = ? "
                                                            "ORDER BY supervoxel", (node,))]}
