"""The materialization engine: versions and their metadata, the tables of a version, a table's
metadata and count, queries at a version (v2 and v3 paths) and the live query at a timestamp."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from ...harness import route
from ..base import CaveBase, CaveError, body_of, flag, seconds
from ..query import run
from ..store import ALIGNED_VOLUME, DATASTACK, PCG_TABLE, iso, now

V2 = "/materialize/api/v2/datastack/<datastack>"
V3 = "/materialize/api/v3/datastack/<datastack>"


class MaterializeViews(CaveBase):
    def version_rows(self, expired: bool) -> list[tuple[int, float, float, int]]:
        rows = self.db.read("SELECT version, time_stamp, expires_on, valid FROM version ORDER BY version")
        return [r for r in rows if expired or r[3]]

    def version_time(self, version: int) -> float:
        rows = self.db.read("SELECT time_stamp FROM version WHERE version = ? AND valid = 1", (version,))
        if not rows:
            raise CaveError(404, f"version {version} not found for datastack {DATASTACK}")
        return float(rows[0][0])

    @staticmethod
    def version_meta(version: int, stamp: float, expires: float, valid: int) -> dict[str, Any]:
        return {"id": version, "version": version, "datastack": DATASTACK, "time_stamp": iso(stamp),
                "expires_on": iso(expires), "valid": bool(valid), "status": "AVAILABLE", "is_merged": True,
                "parent_version": None}

    @route(f"{V2}/versions", f"{V3}/versions", methods=("GET",))
    def versions(self, request: Request, user: Any, datastack: str) -> list[int]:
        self.check_datastack(datastack)
        return [r[0] for r in self.version_rows(flag(request.args.get("expired")))]

    @route(f"{V2}/metadata", f"{V3}/metadata", methods=("GET",))
    def versions_metadata(self, request: Request, user: Any, datastack: str) -> list[dict[str, Any]]:
        self.check_datastack(datastack)
        return [self.version_meta(*r) for r in self.version_rows(flag(request.args.get("expired")))]

    @route(f"{V2}/version/<int(signed=True):version>", f"{V3}/version/<int(signed=True):version>", methods=("GET",))
    def version_metadata(self, request: Request, user: Any, datastack: str, version: int) -> dict[str, Any]:
        self.check_datastack(datastack)
        for row in self.version_rows(True):
            if row[0] == version:
                return self.version_meta(*row)
        raise CaveError(404, "No version found")

    @route(f"{V2}/version/<int(signed=True):version>/tables", f"{V3}/version/<int(signed=True):version>/tables",
           methods=("GET",))
    def tables(self, request: Request, user: Any, datastack: str, version: int) -> list[str]:
        self.check_datastack(datastack)
        return self.table_names(self.version_time(version))

    def table_metadata(self, name: str, at: float) -> dict[str, Any]:
        schema_type, meta, created = self.table(name, at)
        return {**meta, "aligned_volume": ALIGNED_VOLUME, "table_name": name, "annotation_table": name,
                "schema": schema_type, "schema_type": schema_type, "valid": True, "created": iso(created),
                "last_modified": iso(created), "segmentation_source": None, "pcg_table_name": PCG_TABLE,
                "deleted": None}

    @route(f"{V2}/version/<int(signed=True):version>/table/<table>/metadata",
           f"{V3}/version/<int(signed=True):version>/table/<table>/metadata", methods=("GET",))
    def metadata(self, request: Request, user: Any, datastack: str, version: int, table: str) -> dict[str, Any]:
        self.check_datastack(datastack)
        return self.table_metadata(table, self.version_time(version))

    @route(f"{V2}/version/<int(signed=True):version>/table/<table>/count", methods=("GET",))
    def count(self, request: Request, user: Any, datastack: str, version: int, table: str) -> int:
        self.check_datastack(datastack)
        at = self.version_time(version)
        self.table(table, at)
        return len(self.rows_at(table, at))

    @route(f"{V2}/version/<int(signed=True):version>/table/<table>/query",
           f"{V3}/version/<int(signed=True):version>/table/<table>/query", methods=("POST",))
    def query(self, request: Request, user: Any, datastack: str, version: int, table: str) -> Response:
        self.check_datastack(datastack)
        body = body_of(request) or {}
        if not isinstance(body, dict):
            raise CaveError(400, "the query body must be a JSON object")
        return run(self, table, self.version_time(version), body, request.args)

    @route(f"{V3}/query", methods=("POST",))
    def live_query(self, request: Request, user: Any, datastack: str) -> Response:
        """The live query: the table as it is at ``timestamp`` (roots from the chunked graph then)."""
        self.check_datastack(datastack)
        body = body_of(request) or {}
        if not isinstance(body, dict) or not isinstance(body.get("table"), str):
            raise CaveError(400, "the live query needs a body with 'table' and 'timestamp'")
        at = seconds(body.get("timestamp"), "timestamp")
        if at is None:
            raise CaveError(400, "timestamp: Missing data for required field.")
        if at > now() + 60:
            raise CaveError(400, f"timestamp {body['timestamp']} is in the future")
        return run(self, body["table"], at, body, request.args)
