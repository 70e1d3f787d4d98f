"""The frame of the bundled CAVE: tokens (``Authorization: Bearer``, the ``middle_auth_token``
cookie or query parameter), the services' ``{"message": ...}`` errors, and the lookups the views
share: tables, rows as they were at a time, the root of a supervoxel at a time."""

from __future__ import annotations

import json
from typing import Any, Iterable

import orjson
from werkzeug.wrappers import Request, Response

from ..harness import App, View
from .store import DATASTACK, SCHEMA, SCHEMAS, USER, make_token, now, seed


class CaveError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def reply(body: Any, status: int = 200, **headers: str) -> Response:
    return Response(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), status=status,
                    content_type="application/json", headers=headers)


def body_of(request: Request) -> Any:
    """The JSON body (CAVEclient also sends JSON bodies with GET)."""
    try:
        return orjson.loads(request.get_data() or b"null")
    except orjson.JSONDecodeError as e:
        raise CaveError(400, f"The browser (or proxy) sent a request that this server could not understand: {e}")


def seconds(value: Any, name: str) -> float | None:
    """A timestamp parameter: epoch seconds (the chunked graph's) or ISO 8601 (materialization's)."""
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        pass
    import datetime as dt

    try:
        stamp = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise CaveError(400, f"{name}: {value!r} is not a timestamp")
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.timezone.utc)
    return stamp.timestamp()


def flag(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1", "yes")


class CaveBase(App):
    """One process serving every CAVE service of one deployment (the info service's
    ``local_server`` is this server's own address)."""

    schema = SCHEMA

    def seed(self, cur: Any) -> None:
        self.token = make_token(seed(cur))

    def credentials(self) -> dict[str, Any]:
        return {"project": DATASTACK, "token": self.token}

    def authenticate(self, request: Request, view: View, args: dict[str, Any]) -> Any:
        if view.options.get("public"):
            return None
        header = request.headers.get("Authorization", "")
        given = (header[7:] if header.startswith("Bearer ") else None) or request.cookies.get("middle_auth_token") \
            or request.args.get("middle_auth_token")
        if not given:
            return reply({"error": "no_token", "message": "Unauthorized - No Token Provided"}, 401)
        if given != self.token:
            return reply({"error": "invalid_token", "message": "Unauthorized - Token is Invalid or Expired"}, 401)
        return USER

    def error(self, request: Request, view: View, exc: Exception) -> Response | None:
        if isinstance(exc, CaveError):
            return reply({"message": exc.message}, exc.status)
        if isinstance(exc, (KeyError, TypeError, ValueError)):
            return reply({"code": 500, "message": f"{type(exc).__name__}: {exc}"}, 500)
        return None

    def render(self, request: Request, view: View, result: Any) -> Response:
        return result if isinstance(result, Response) else reply(result)

    def not_found(self, request: Request) -> Response:
        return reply({"message": "The requested URL was not found on the server. If you entered the URL manually "
                                 "please check your spelling and try again."}, 404)

    def method_not_allowed(self, request: Request, view: View | None) -> Response:
        return reply({"message": "The method is not allowed for the requested URL."}, 405)

    def fault_body(self, status: int) -> str:
        return orjson.dumps({"message": f"injected fault (HTTP {status})"}).decode()

    # -- lookups the views share ------------------------------------------------------------------
    @staticmethod
    def check_datastack(name: str) -> None:
        if name != DATASTACK:
            raise CaveError(404, f"datastack {name} not found")

    def table(self, name: str, at: float | None = None) -> tuple[str, dict[str, Any], float]:
        """(schema type, metadata, created) of a table that exists (at ``at``)."""
        rows = self.db.read("SELECT schema_type, meta, created, deleted FROM anno_table WHERE name = ?", (name,))
        when = now() if at is None else at
        if not rows or rows[0][2] > when or (rows[0][3] is not None and rows[0][3] <= when):
            raise CaveError(404, f"table {name} not found")
        return rows[0][0], json.loads(rows[0][1]), rows[0][2]

    def table_names(self, at: float) -> list[str]:
        return [n for (n,) in self.db.read("SELECT name FROM anno_table WHERE created <= ? AND (deleted IS NULL OR deleted > ?)"
                                           " ORDER BY name", (at, at))]

    def rows_at(self, table: str, at: float) -> list[dict[str, Any]]:
        """The valid rows of ``table`` at ``at`` (each with id and created)."""
        found = self.db.read("SELECT id, data, created FROM annotation WHERE tbl = ? AND created <= ? "
                             "AND (deleted IS NULL OR deleted > ?) ORDER BY id", (table, at, at))
        return [{"id": i, "created": c, **json.loads(d)} for i, d, c in found]

    def roots_at(self, supervoxels: Iterable[int], at: float) -> list[int]:
        """The root of each supervoxel at ``at`` (0 for supervoxel 0 or one not in the graph)."""
        out = []
        for sv in supervoxels:
            rows = self.db.read("SELECT r.id FROM root_supervoxel s JOIN root r ON r.id = s.root WHERE s.supervoxel = ? "
                                "AND r.created <= ? AND (r.superseded IS NULL OR r.superseded > ?)", (int(sv), at, at))
            out.append(int(rows[0][0]) if rows else 0)
        return out

    def root_row(self, root: int) -> tuple[float, float | None, int | None] | None:
        rows = self.db.read("SELECT created, superseded, operation_id FROM root WHERE id = ?", (int(root),))
        return (rows[0][0], rows[0][1], rows[0][2]) if rows else None

    @staticmethod
    def fields(schema_type: str) -> dict[str, str]:
        if schema_type not in SCHEMAS:
            raise CaveError(404, f"schema type {schema_type} not found")
        return SCHEMAS[schema_type]
