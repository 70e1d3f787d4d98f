"""The global services: info (datastacks), auth (who a token is), schemas (the annotation
types' JSON schemas), and the version endpoints every CAVEclient sub-client asks first."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from ...harness import route
from ..base import CaveBase, CaveError
from ..store import ALIGNED_VOLUME, DATASTACK, PCG_TABLE, RESOLUTION, SCHEMAS, SYNAPSE_TABLE

#: What each service says its version is (CAVEclient checks methods against these).
VERSIONS = {"info": "4.5.0", "materialize": "5.20.0", "segmentation": "2.20.0", "skeletoncache": "0.22.0"}


def local_server(request: Request) -> str:
    return request.host_url.rstrip("/")


def aligned_volume() -> dict[str, Any]:
    return {"id": 1, "name": ALIGNED_VOLUME, "description": "A synthetic volume with six neurons",
            "image_source": "precomputed://https://storage.invalid/local/em", "display_name": "Local volume"}


def datastack_info(request: Request) -> dict[str, Any]:
    server = local_server(request)
    return {"aligned_volume": aligned_volume(), "synapse_table": SYNAPSE_TABLE, "soma_table": None,
            "description": "The bundled local datastack: six neurons, a merge and a split",
            "local_server": server, "segmentation_source": f"graphene://{server}/segmentation/table/{PCG_TABLE}",
            "skeleton_source": f"precomputed://{server}/skeletoncache/api/v1/{DATASTACK}/precomputed/skeleton",
            "viewer_site": "https://neuroglancer.invalid", "analysis_database": None,
            "viewer_resolution_x": RESOLUTION[0], "viewer_resolution_y": RESOLUTION[1],
            "viewer_resolution_z": RESOLUTION[2], "proofreading_status_table": None, "cell_identification_table": None}


def json_schema(name: str, fields: dict[str, str]) -> dict[str, Any]:
    """A schema as EMAnnotationSchemas serves it (marshmallow-jsonschema's draft-07 form)."""
    title = "".join(part.title() for part in name.split("_"))
    properties: dict[str, Any] = {}
    for field, kind in fields.items():
        if kind == "bound":
            properties[field] = {"type": "object", "$ref": "#/definitions/BoundSpatialPoint"}
        elif kind == "point":
            properties[field] = {"type": "object", "$ref": "#/definitions/SpatialPoint"}
        else:
            properties[field] = {"title": field, "type": kind}
    position = {"title": "position", "type": "array", "items": {"title": "position", "type": "integer"}}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#", "$ref": f"#/definitions/{title}",
        "definitions": {
            title: {"type": "object", "properties": properties, "required": list(fields), "additionalProperties": False},
            "BoundSpatialPoint": {"type": "object", "properties": {
                "position": position, "supervoxel_id": {"title": "supervoxel_id", "type": ["integer", "null"]},
                "root_id": {"title": "root_id", "type": ["integer", "null"]}}, "required": ["position"]},
            "SpatialPoint": {"type": "object", "properties": {"position": position}, "required": ["position"]},
        },
    }


class InfoViews(CaveBase):
    @route("/info/version", "/materialize/version", "/segmentation/api/version", "/skeletoncache/api/version",
           methods=("GET",), public=True)
    def service_version(self, request: Request, user: Any) -> str:
        return VERSIONS[request.path.strip("/").split("/")[0]]

    @route("/materialize/api/versions", methods=("GET",), public=True)
    def materialize_api_versions(self, request: Request, user: Any) -> list[int]:
        return [2, 3]

    @route("/segmentation/api/versions", methods=("GET",), public=True)
    def segmentation_api_versions(self, request: Request, user: Any) -> list[int]:
        return [0, 1]

    @route("/schema/versions", methods=("GET",), public=True)
    def schema_api_versions(self, request: Request, user: Any) -> list[int]:
        return [1, 2]

    @route("/info/api/v2/datastacks", methods=("GET",))
    def datastacks(self, request: Request, user: Any) -> list[str]:
        return [DATASTACK]

    @route("/info/api/v2/datastack/full/<name>", methods=("GET",))
    def datastack(self, request: Request, user: Any, name: str) -> dict[str, Any]:
        self.check_datastack(name)
        return datastack_info(request)

    @route("/info/api/v2/aligned_volume/<name>", methods=("GET",))
    def aligned_volume(self, request: Request, user: Any, name: str) -> dict[str, Any]:
        if name != ALIGNED_VOLUME:
            raise CaveError(404, f"aligned volume {name} not found")
        return aligned_volume()

    @route("/auth/api/v1/user/cache", methods=("GET",))
    def whoami(self, request: Request, user: Any) -> dict[str, Any]:
        return dict(user)

    @route("/schema/api/v2/type", methods=("GET",))
    def schema_types(self, request: Request, user: Any) -> list[str]:
        return sorted(SCHEMAS)

    @route("/schema/api/v2/type/<name>", methods=("GET",))
    def schema_type(self, request: Request, user: Any, name: str) -> dict[str, Any]:
        return json_schema(name, self.fields(name))

    @route("/l2cache/api/v1/table_mapping", methods=("GET",))
    def l2cache_tables(self, request: Request, user: Any) -> dict[str, str]:
        return {PCG_TABLE: "local_l2cache"}
