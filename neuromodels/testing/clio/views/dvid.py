"""The DVID endpoints clio-py and dvidtools call directly (no token): a dataset's ``dvid`` url
names this server's ``/dvid``. ``:master`` is the newest node of the master branch (the head)."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

from ...harness import route
from ..base import ClioBase, ClioError, reply
from ..store import DATASET, LABELS

NODE = "/dvid/api/node/<node>"
#: The json_schema of the neuronjson instance: what DVID checks a write against.
SCHEMA = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "required": ["bodyid"],
          "properties": {"bodyid": {"type": "integer"}, "type": {"type": ["string", "null"]},
                         "hemilineage": {"type": ["string", "null"]}, "soma_side": {"type": ["string", "null"]},
                         "class": {"type": ["string", "null"]}, "status": {"type": ["string", "null"]},
                         "group": {"type": ["integer", "null"]},
                         "position": {"oneOf": [{"type": "array", "items": {"type": "integer"}, "minItems": 3,
                                                 "maxItems": 3}, {"type": "null"}]}}}


def dvid_error(status: int, message: str, path: str) -> Response:
    """DVID's own error: plain text ``<message> (<path>).``"""
    return Response(f"{message} ({path}).\n", status=status, content_type="text/plain")


class DvidViews(ClioBase):
    def dvid_node(self, node: str) -> str:
        """A UUID (or prefix) or ``:master`` -> the node's full UUID."""
        if node == ":master":
            return str(self.db.read("SELECT uuid FROM node WHERE dataset = ? AND head = 1", (DATASET,))[0][0])
        rows = self.db.read("SELECT uuid FROM node WHERE uuid LIKE ?", (node + "%",))
        if len(rows) != 1:
            raise ClioError(400, f"could not find node {node}")
        return str(rows[0][0])

    def dvid_records(self, request: Request, node: str) -> dict[int, dict[str, Any]] | Response:
        try:
            return self.records(self.dvid_node(node))
        except ClioError:
            return dvid_error(400, f"could not find node {node}", request.path)

    @route(f"{NODE}/segmentation_annotations/keys", dvid=True)
    def dvid_keys(self, request: Request, user: None, node: str) -> Response:
        records = self.dvid_records(request, node)
        return records if isinstance(records, Response) else reply([str(b) for b in records])

    @route(f"{NODE}/segmentation_annotations/all", dvid=True)
    def dvid_all(self, request: Request, user: None, node: str) -> Response:
        records = self.dvid_records(request, node)
        if isinstance(records, Response):
            return records
        return reply([self.shown(r, request.args.get("show")) for r in records.values()])

    @route(f"{NODE}/segmentation_annotations/json_schema", dvid=True)
    def dvid_schema(self, request: Request, user: None, node: str) -> Response:
        records = self.dvid_records(request, node)
        return records if isinstance(records, Response) else reply(SCHEMA)

    @route(f"{NODE}/segmentation/sizes", dvid=True)
    def dvid_sizes(self, request: Request, user: None, node: str) -> Response:
        """Voxels per body (0: no such label); the ids are a JSON list in the body of a GET."""
        try:
            ids = json.loads(request.get_data() or b"null")
        except ValueError:
            ids = None
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            return dvid_error(400, "expected a JSON list of label ids in the body", request.path)
        try:
            uuid = self.dvid_node(node)
        except ClioError:
            return dvid_error(400, f"could not find node {node}", request.path)
        annotated = {b for (b,) in self.db.read("SELECT DISTINCT bodyid FROM record WHERE uuid = ?", (uuid,))}
        return reply([(1000 + i % 997) if (i in LABELS or i in annotated) else 0 for i in ids])
