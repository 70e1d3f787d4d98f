"""The bundled Clio store: clio-store's routes over DVID ``neuronjson`` semantics in SQLite.

Writes merge field by field (``null`` deletes) and stamp ``<field>_user``/``<field>_time``; a list
is written record by record and stops at the first error; every reply to a write is ``null``.
Each version (DVID node) keeps its own records; locked nodes refuse writes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import orjson
from werkzeug.wrappers import Request, Response

from ..harness import App, View, route
from .store import DATASET, EMAIL, SCHEMA, check_token, make_token, seed

__all__ = ["ClioApp", "ClioError", "DATASET", "make_token"]

PREFIX = "/v2/json-annotations/<dataset>/neurons"


def reply(body: Any, status: int = 200, **headers: str) -> Response:
    return Response(orjson.dumps(body), status=status, content_type="application/json", headers=headers)


class ClioError(Exception):
    def __init__(self, status: int, detail: Any, plain: bool = False) -> None:
        super().__init__(detail)
        self.status, self.detail, self.plain = status, detail, plain


def hidden(key: str) -> bool:
    return key.endswith("_user") or key.endswith("_time")


class ClioApp(App):
    """Bearer JWTs signed with the store's secret; FastAPI's ``{"detail": ...}`` errors."""

    schema = SCHEMA

    def seed(self, cur: Any) -> None:
        self.secret = seed(cur)
        self.token = make_token(self.secret, EMAIL, 365 * 24 * 3600)

    def credentials(self) -> dict[str, Any]:
        return {"project": DATASET, "token": self.token}

    def authenticate(self, request: Request, view: View, args: dict[str, Any]) -> Any:
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
    def meta(self, dataset: str) -> dict[str, Any]:
        rows = self.db.read("SELECT meta FROM dataset WHERE name = ?", (dataset,))
        if not rows:
            raise ClioError(404, f"dataset {dataset} not found")
        meta: dict[str, Any] = json.loads(rows[0][0])
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
    @route("/v2/datasets")
    def datasets(self, request: Request, user: str) -> Response:
        return reply({name: json.loads(meta) for name, meta in self.db.read("SELECT name, meta FROM dataset ORDER BY name")})

    @route("/v2/server/token")
    def server_token(self, request: Request, user: str) -> Response:
        return reply(make_token(self.secret, user, 21 * 24 * 3600))

    @route(f"{PREFIX}/fields")
    def fields(self, request: Request, user: str, dataset: str) -> Response:
        uuid, _ = self.node(dataset, None)
        names: set[str] = set()
        for record in self.records(uuid).values():
            names.update(record)
        return reply(sorted(names))

    @route(f"{PREFIX}/versions")
    def versions(self, request: Request, user: str, dataset: str) -> Response:
        self.meta(dataset)
        return reply({t: u for u, t in self.db.read("SELECT uuid, tag FROM node WHERE dataset = ? ORDER BY tag", (dataset,))})

    @route(f"{PREFIX}/head_tag")
    def head_tag(self, request: Request, user: str, dataset: str) -> Response:
        self.meta(dataset)
        return reply(self.db.read("SELECT tag FROM node WHERE dataset = ? AND head = 1", (dataset,))[0][0])

    @route(f"{PREFIX}/head_uuid")
    def head_uuid(self, request: Request, user: str, dataset: str) -> Response:
        self.meta(dataset)
        return reply(self.db.read("SELECT uuid FROM node WHERE dataset = ? AND head = 1", (dataset,))[0][0])

    @route(f"{PREFIX}/tag_to_uuid/<tag>")
    def tag_to_uuid(self, request: Request, user: str, dataset: str, tag: str) -> Response:
        rows = self.db.read("SELECT uuid FROM node WHERE dataset = ? AND tag = ?", (dataset, tag))
        if not rows:
            raise ClioError(404, f"Could not find tag {tag} for annotation type neurons in dataset {dataset}")
        return reply(rows[0][0])

    @route(f"{PREFIX}/all")
    def all_records(self, request: Request, user: str, dataset: str) -> Response:
        uuid, _ = self.node(dataset, None)  # /all ignores versions
        return reply([self.shown(r, request.args.get("show")) for r in self.records(uuid).values()])

    @route(f"{PREFIX}/id-number/<ids>")
    def id_number(self, request: Request, user: str, dataset: str, ids: str) -> Response:
        if request.method == "DELETE":
            uuid, _ = self.node(dataset, None)  # DELETE ignores versions: always the default node
            if not re.fullmatch(r"\d+", ids):
                raise ClioError(500, "", plain=True)
            with self.db.transaction() as cur:
                cur.execute("DELETE FROM record WHERE uuid = ? AND bodyid = ?", (uuid, int(ids)))
            return reply(None)
        uuid, _ = self.node(dataset, request.args.get("version"))
        try:
            wanted = [int(v) for v in ids.split(",") if v]
        except ValueError:
            raise ClioError(500, "", plain=True) from None
        records = self.records(uuid)
        return reply([self.shown(records[b], request.args.get("show")) for b in wanted if b in records])

    @staticmethod
    def match(record: dict[str, Any], query: dict[str, Any]) -> bool:
        for key, want in query.items():
            have = record.get(key)
            options = want if isinstance(want, list) else [want]
            ok = False
            for option in options:
                if isinstance(option, str) and option.startswith("re/"):
                    ok = ok or (isinstance(have, str) and re.search(option[3:], have) is not None)
                elif isinstance(option, str) and option.startswith("exists/"):
                    ok = ok or ((key in record) == (option == "exists/1"))
                else:
                    ok = ok or have == option
            if not ok:
                return False
        return True

    @route(f"{PREFIX}/query")
    def query(self, request: Request, user: str, dataset: str) -> Response:
        uuid, _ = self.node(dataset, request.args.get("version"))
        try:
            query = json.loads(request.get_data() or b"null")
        except ValueError:
            raise ClioError(422, [{"loc": ["body"], "msg": "value is not a valid dict", "type": "type_error.dict"}]) from None
        if isinstance(query, list) and not query:
            raise ClioError(500, "", plain=True)
        if not isinstance(query, (dict, list)):
            raise ClioError(422, [{"loc": ["body"], "msg": "value is not a valid list", "type": "type_error.list"},
                                  {"loc": ["body"], "msg": "value is not a valid dict", "type": "type_error.dict"}])
        records = self.records(uuid)
        queries = query if isinstance(query, list) else [query]
        hits = sorted({b for b, r in records.items() for q in queries if self.match(r, q)})
        if request.args.get("onlyid", "").lower() == "true":
            return reply(hits)
        return reply([self.shown(records[b], request.args.get("show")) for b in hits])

    @route(PREFIX)
    def write(self, request: Request, user: str, dataset: str) -> Response:
        if request.method not in ("POST", "PUT"):
            raise ClioError(405, "Method Not Allowed")
        uuid, locked = self.node(dataset, request.args.get("version"))
        try:
            payload = json.loads(request.get_data() or b"null")
        except ValueError:
            raise ClioError(422, [{"loc": ["body"], "msg": "value is not a valid dict", "type": "type_error.dict"}]) from None
        items = payload if isinstance(payload, list) else [payload]
        replace = request.args.get("replace", "").lower() == "true"
        conditional = {f for f in request.args.get("conditional", "").split(",") if f}
        designated = request.args.get("designated_user") or user
        stamp = dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")
        # Record by record, each in its own transaction; the first failure stops the rest.
        for item in items:
            if not isinstance(item, dict) or "bodyid" not in item:
                raise ClioError(400, "Cannot POST annotation when no bodyid field exists in JSON")
            url = f"http://127.0.0.1/dvid/api/node/{uuid}/segmentation_annotations/key/{item['bodyid']}?u={designated}"
            if locked:
                raise ClioError(400, f"Error in writing bodyid <built-in function id>, status 400, {url}: "
                                     f"b'node {uuid} is locked and cannot be written (/api/node/{uuid}/segmentation_annotations/key/{item['bodyid']}).\\n'")
            if not isinstance(item["bodyid"], int) or isinstance(item["bodyid"], bool) or item["bodyid"] <= 0:
                raise ClioError(400, f"Error in writing bodyid <built-in function id>, status 400, {url}: "
                                     f"b'body id {item['bodyid']} is reserved and so cannot be stored (/api/node/{uuid}/segmentation_annotations/key/{item['bodyid']}).\\n'")
            with self.db.transaction() as cur:
                row = cur.execute("SELECT data FROM record WHERE uuid = ? AND bodyid = ?", (uuid, item["bodyid"])).fetchone()
                old = json.loads(row[0]) if row else {}
                new = {} if replace else dict(old)
                for key, value in item.items():
                    if key == "bodyid" or hidden(key):
                        continue
                    if key in conditional and old.get(key) not in (None,):
                        continue  # conditional: an existing value is never overwritten
                    if value is None:
                        new.pop(key, None)
                    elif old.get(key) != value or replace:
                        new[key] = value
                    if old.get(key) != value:
                        new[f"{key}_user"], new[f"{key}_time"] = designated, stamp
                new["bodyid"] = item["bodyid"]
                new.setdefault("user", designated)
                cur.execute("INSERT OR REPLACE INTO record VALUES (?, ?, ?)", (uuid, item["bodyid"], json.dumps(new)))
        return reply(None)
