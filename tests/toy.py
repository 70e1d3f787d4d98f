"""A toy server and backend for the core tests: real HTTP on loopback, no patching.

The server keeps "items" {id, name, description} in SQLite and pages with offset/max (page of
10). The backend maps them onto the shared Project model (name, description).
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

import orjson
import requests
from werkzeug.wrappers import Request, Response

from neuromodels import Project
from neuromodels.core.backend import Backend, Filter
from neuromodels.core.capabilities import Count, Create, Delete, Fetch, List, Settle, Settlement, Update
from neuromodels.connection import register_backend
from neuromodels.core.paging import OffsetPaging, Page, Window
from neuromodels.core.routes import Route
from neuromodels.errors import NeuromodelsError, error_for_status
from neuromodels.testing.harness import Database, LocalServer

PAGE = 10
SCHEMA = "CREATE TABLE IF NOT EXISTS item (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, description TEXT);"


class ToyApp:
    def __init__(self, path: str) -> None:
        self.db = Database(path, SCHEMA)

    def __call__(self, request: Request) -> Response:
        parts = [p for p in request.path.split("/") if p]
        if request.headers.get("Authorization") != "Bearer toy-secret-token":
            return self.json({"message": "bad credentials"}, 401)
        if parts == ["items"] and request.method == "GET":
            offset, size = int(request.args.get("offset", 0)), int(request.args.get("max", PAGE))
            rows = self.db.read("SELECT id, name, description FROM item ORDER BY id")
            if request.args.get("name") is not None:
                rows = [r for r in rows if r[1] == request.args["name"]]
            page = rows[offset : offset + size]
            return self.json({"items": [dict(zip(("id", "name", "description"), r)) for r in page], "total": len(rows)})
        if parts == ["items"] and request.method == "POST":
            body = request.get_json()
            if not body.get("name"):
                return self.json({"message": "name is required"}, 400)
            try:
                with self.db.transaction() as cur:
                    cur.execute("INSERT INTO item (name, description) VALUES (?, ?)", (body["name"], body.get("description")))
                    new = cur.execute("SELECT last_insert_rowid()").fetchone()[0]
            except Exception:
                return self.json({"message": f"an item named {body['name']!r} exists"}, 409)
            return self.json({"id": new, **body}, 201)
        if len(parts) == 2 and parts[0] == "items":
            item = int(parts[1])
            rows = self.db.read("SELECT id, name, description FROM item WHERE id = ?", (item,))
            if not rows:
                return self.json({"message": f"no item {item}"}, 404)
            if request.method == "GET":
                return self.json(dict(zip(("id", "name", "description"), rows[0])))
            if request.method == "PATCH":
                body = request.get_json()
                with self.db.transaction() as cur:
                    for key in ("name", "description"):
                        if key in body:
                            cur.execute(f"UPDATE item SET {key} = ? WHERE id = ?", (body[key], item))
                return self.json({"ok": True})
            if request.method == "DELETE":
                with self.db.transaction() as cur:
                    cur.execute("DELETE FROM item WHERE id = ?", (item,))
                return self.json({"ok": True})
        if parts == ["echo-error"]:
            return self.json({"error": "it went wrong inside"}, 200)
        return self.json({"message": "no such endpoint"}, 404)

    @staticmethod
    def json(body: Any, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")


class ToyServer(LocalServer):
    backend = "toy"
    project = None
    token = "toy-secret-token"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(ToyApp, **kwargs)

    def error_body(self, status: int) -> str:
        return json.dumps({"message": f"injected {status}"})


class ToyAuth(requests.auth.AuthBase):
    def __init__(self, token: str | None) -> None:
        self._token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self._token}"
        return r


def item(row: Mapping[str, Any]) -> Project:
    return Project(id=row["id"], name=row["name"], description=row.get("description"))


class ToyItems(Fetch[Project], List[Project], Count[Project], Create[Project], Update[Project], Delete[Project],
               Settle[Project]):
    filters = {"name": Filter("name", (str,), "exact name")}
    paging = OffsetPaging(size=PAGE, start="offset", length="max")
    #: copy_to between toy servers: fields as they are, the origin kept in the description.
    copies_from = {"toy": "neuromodels.transfer.generic:copy_fields"}
    copy_marker_field = "description"
    #: The requests, declared once: the methods below send them, the docs print them.
    requests = {"fetch": Route("GET", "/items/{id}"), "list": Route("GET", "/items"), "create": Route("POST", "/items"),
                "update": Route("PATCH", "/items/{id}"), "delete": Route("DELETE", "/items/{id}")}

    def fetch_one(self, conn: Any, id: Any, **options: Any) -> Project:
        return item(self.send(conn, "fetch", {"id": id}))

    def read_page(self, conn: Any, modifiers: Mapping[str, Any], window: Window, **options: Any) -> Page[Project]:
        params = {**self.paging.params(window), **({"name": modifiers["name"]} if "name" in modifiers else {})}
        body = self.send(conn, "list", params=params)
        return Page([item(r) for r in body["items"]], total_items=body["total"])

    def count(self, conn: Any, modifiers: Mapping[str, Any]) -> int:
        params = {"max": 0, **({"name": modifiers["name"]} if "name" in modifiers else {})}
        return self.send(conn, "list", params=params)["total"]

    def validate(self, model: Project, operation: str) -> None:
        if not isinstance(model.name, str) or not model.name:
            raise ValueError("an item needs a name")

    def create(self, conn: Any, model: Project, modifiers: Mapping[str, Any]) -> None:
        body = self.send(conn, "create", json={"name": model.name, "description": model.description})
        model.id = body["id"]

    def update(self, conn: Any, model: Project, changes: Mapping[str, Any], modifiers: Mapping[str, Any]) -> None:
        self.send(conn, "update", {"id": model.id}, json=dict(changes))

    def delete(self, conn: Any, model: Project) -> None:
        self.send(conn, "delete", {"id": model.id})

    def settle(self, conn: Any, models: Sequence[Project]) -> list[Settlement]:
        names = {p.name: p.id for page in self.pages(conn, {}, None) for p in page}
        return [Settlement.stored(names[m.name]) if m.name in names else Settlement.absent() for m in models]


class ToyBackend(Backend):
    name = "toy"
    resources = {Project: ToyItems}

    def auth(self, conn: Any) -> requests.auth.AuthBase | None:
        return ToyAuth(conn.token)

    def error_from_response(self, response: requests.Response) -> NeuromodelsError | None:
        try:
            body = orjson.loads(response.content) if response.content else None
        except orjson.JSONDecodeError:
            body = None
        if response.status_code == 200 and isinstance(body, dict) and "error" in body:
            return error_for_status(400)(body["error"], server_message=body["error"])
        if response.status_code < 400:
            return None
        message = body.get("message") if isinstance(body, dict) else response.text[:200]
        return error_for_status(response.status_code)(str(message), server_message=str(message))


BACKEND = ToyBackend
register_backend("toy", ToyBackend)  # as a third-party backend would, without editing the core
