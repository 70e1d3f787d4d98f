"""The frame of the bundled Clio store: bearer JWTs, FastAPI's ``{"detail": ...}`` errors, and the
dataset, version and record lookups the views share."""

from __future__ import annotations

import json
from typing import Any

import orjson
from werkzeug.wrappers import Request, Response

from ..harness import App, View
from .store import DATASET, EMAIL, SCHEMA, check_token, make_token, seed

PREFIX = "/v2/json-annotations/<dataset>/neurons"


def reply(body: Any, status: int = 200, **headers: str) -> Response:
    return Response(orjson.dumps(body), status=status, content_type="application/json", headers=headers)


class ClioError(Exception):
    def __init__(self, status: int, detail: Any, plain: bool = False) -> None:
        super().__init__(detail)
        self.status, self.detail, self.plain = status, detail, plain


def hidden(key: str) -> bool:
    return key.endswith("_user") or key.endswith("_time")


class ClioBase(App):
    """Bearer JWTs signed with the store's secret; the views are mixins in :mod:`.views`."""

    schema = SCHEMA

    def seed(self, cur: Any) -> None:
        self.secret = seed(cur)
        self.token = make_token(self.secret, EMAIL, 365 * 24 * 3600)

    def credentials(self) -> dict[str, Any]:
        return {"project": DATASET, "token": self.token}

    def authenticate(self, request: Request, view: View, args: dict[str, Any]) -> Any:
        if view.options.get("dvid"):
            return None  # DVID asks for no token (clio-py sends none there)
        header = request.headers.get("Authorization", "")
        user = check_token(self.secret, header[7:]) if header.startswith("Bearer ") else None
        if user is None:
            return reply({"detail": "Could not validate credentials"}, 401, **{"WWW-Authenticate": "Bearer"})
        return user

    def error(self, request: Request, view: View, exc: Exception) -> Response | None:
        if not isinstance(exc, ClioError):
            return None
        if exc.plain:
            return Response("Internal Server Error", status=exc.status, content_type="text/plain; charset=utf-8")
        return reply({"detail": exc.detail}, exc.status)

    def render(self, request: Request, view: View, result: Any) -> Response:
        return result if isinstance(result, Response) else reply(result)

    def fault_body(self, status: int) -> str:
        return orjson.dumps({"detail": f"injected fault (HTTP {status})"}).decode()

    # -- helpers -------------------------------------------------------------------------------------
    def meta(self, dataset: str, request: Request | None = None) -> dict[str, Any]:
        """A dataset's metadata; with ``request``, its DVID url made absolute (this server)."""
        rows = self.db.read("SELECT meta FROM dataset WHERE name = ?", (dataset,))
        if not rows:
            raise ClioError(404, f"dataset {dataset} not found")
        meta: dict[str, Any] = json.loads(rows[0][0])
        if request is not None and str(meta.get("dvid", "")).startswith("/"):
            meta["dvid"] = request.host_url.rstrip("/") + meta["dvid"]
        return meta

    def node(self, dataset: str, version: str | None) -> tuple[str, bool]:
        """The DVID node a version names: a tag (starting with 'v'), a UUID prefix, or the default."""
        meta = self.meta(dataset)
        if not version:
            uuid = meta["uuid"]
        elif version.startswith("v"):
            rows = self.db.read("SELECT uuid FROM node WHERE dataset = ? AND tag = ?", (dataset, version))
            if not rows:
                raise ClioError(400, f"Bad version {version} used for dataset {dataset}")
            uuid = rows[0][0]
        else:
            rows = self.db.read("SELECT uuid FROM node WHERE dataset = ? AND uuid LIKE ?", (dataset, version + "%"))
            if len(rows) != 1:
                raise ClioError(400, f"uuid {version} is ambiguous because > 1 hit for neurons in dataset {dataset}"
                                if rows else f"Bad version {version} used for dataset {dataset}")
            uuid = rows[0][0]
        locked = self.db.read("SELECT locked FROM node WHERE uuid = ?", (uuid,))[0][0]
        return uuid, bool(locked)

    def records(self, uuid: str) -> dict[int, dict[str, Any]]:
        return {b: json.loads(d) for b, d in self.db.read("SELECT bodyid, data FROM record WHERE uuid = ? ORDER BY bodyid", (uuid,))}

    @staticmethod
    def shown(record: dict[str, Any], show: str | None) -> dict[str, Any]:
        keep = {"user": "_user", "time": "_time", "all": ""}.get(show or "", None)
        return {k: v for k, v in sorted(record.items())
                if not hidden(k) or (keep is not None and (keep == "" or k.endswith(keep)))}

    # -- routes ------------------------------------------------------------------------------------------
