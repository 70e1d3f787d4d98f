"""The frame of the bundled Cytomine: dispatch, HMAC, Cytomine's envelopes (command, collection,
error) and a small document store for the resources that need no table of their own.

Views live in the modules next to this one, one per resource family, as mixins of
:class:`CytomineBase`; each view method is declared with the harness's ``route``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import sqlite3
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import quote

import orjson
from werkzeug.wrappers import Request, Response

from ..harness import App, View
from . import store
from .store import next_ids, now_ms


class CytomineError(Exception):
    """An error the way Cytomine raises it: status, message, and which wrapper renders it.

    ``wrapper=True`` is the command-service shape ``{"success": false, "errors": "..."}``;
    otherwise the controller-advice shape ``{"errors": {"message": "..."}}``."""

    def __init__(self, status: int, message: str, wrapper: bool = False) -> None:
        super().__init__(message)
        self.status, self.message, self.wrapper = status, message, wrapper


def reply(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), status=status, content_type="application/json")


def signature(private_key: str, method: str, ctype: str, date: str, path: str | None) -> str:
    text = f"{method}\n\n{ctype}\n{date}" + (f"\n{path}" if path is not None else "")
    return base64.b64encode(hmac.new(private_key.encode(), text.encode(), hashlib.sha1).digest()).decode()


def grouped(n: int) -> str:
    return f"{n:,}"  # MessageFormat prints Long arguments with digit grouping


def not_found(kind: str, id: Any) -> CytomineError:
    """ObjectNotFoundException as the show endpoints phrase it."""
    return CytomineError(404, f"{kind} not found with filters : {{id={id}}}")


class CytomineBase(App):
    """The Cytomine frame on :class:`~neuromodels.testing.harness.App`: HMAC, Spring's error
    shapes, and the helpers every view mixin shares. ``@route(..., public=True)`` skips HMAC."""

    schema = store.SCHEMA
    seed_project: int = 0
    public_key: str = ""
    private_key: str = ""
    server_url: str = ""

    # -- hooks -------------------------------------------------------------------------------------
    def seed(self, cur: sqlite3.Connection) -> None:
        store.migrate(cur)
        self.seed_project, self.public_key, self.private_key = store.seed(cur)

    def credentials(self) -> dict[str, Any]:
        return {"project": self.seed_project, "public_key": self.public_key, "private_key": self.private_key}

    def __call__(self, request: Request) -> Response:
        self.server_url = request.host_url.rstrip("/")  # the URLs inside objects (crops, thumbs)
        return super().__call__(request)

    def authenticate(self, request: Request, view: View, args: dict[str, Any]) -> Any:
        """HMAC in both variants (with the real content type, then with none); Spring Security's
        401 body for anything else."""
        user = self.signed_user(request)
        if user is None and not view.options.get("public"):
            now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
            return reply({"timestamp": now, "status": 401, "error": "Unauthorized", "path": request.path}, 401)
        return user

    def error(self, request: Request, view: View, exc: Exception) -> Response | None:
        if isinstance(exc, CytomineError):
            if exc.wrapper:
                return reply({"success": False, "errors": exc.message, "errorValues": {}}, exc.status)
            return reply({"errors": {"message": exc.message}, "errorValues": {}}, exc.status)
        if isinstance(exc, (ValueError, TypeError, KeyError)):  # what Spring would turn into a 400
            return reply({"errors": {"message": f"{type(exc).__name__}: {exc}"}, "errorValues": {}}, 400)
        return None

    def not_found(self, request: Request) -> Response:
        return self.problem(request, 404, "Not Found", "No static resource " + request.path.lstrip("/") + ".")

    def method_not_allowed(self, request: Request, view: View | None) -> Response:
        return self.problem(request, 405, "Method Not Allowed", f"Method '{request.method}' is not supported.")

    def fault_body(self, status: int) -> str:
        return orjson.dumps({"errors": {"message": f"injected fault (HTTP {status})"}, "errorValues": {}}).decode()

    @staticmethod
    def problem(request: Request, status: int, title: str, detail: str) -> Response:
        """Spring's ProblemDetail, what the framework answers before any controller runs."""
        return Response(orjson.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail,
                                      "instance": request.path}), status=status, content_type="application/problem+json")

    def signed_user(self, request: Request) -> int | None:
        header = request.headers.get("authorization", "")
        date = request.headers.get("date")
        if not header.startswith("CYTOMINE ") or ":" not in header or not date:
            return None
        public, _, given = header[len("CYTOMINE "):].partition(":")
        row = self.db.read("SELECT id, private_key FROM user WHERE public_key = ?", (public.strip(),))
        if not row:
            return None
        user, private = row[0]
        raw_path = request.environ.get("RAW_URI") or quote(request.path)
        if "?" not in raw_path and request.environ.get("QUERY_STRING"):
            raw_path += "?" + request.environ["QUERY_STRING"]
        for ctype in (request.headers.get("content-type", ""), ""):
            for path in (None, raw_path):
                if hmac.compare_digest(signature(private, request.method, ctype, date, path), given):
                    return int(user)
        return None

    # -- request helpers ---------------------------------------------------------------------------
    @staticmethod
    def body(request: Request) -> Any:
        try:
            return json.loads(request.get_data() or b"null")
        except ValueError:
            raise CytomineError(400, "Json not valid") from None

    def body_dict(self, request: Request) -> dict[str, Any]:
        data = self.body(request)
        if not isinstance(data, dict):
            raise CytomineError(400, "Json not valid", wrapper=True)
        return data

    @staticmethod
    def paging(request: Request) -> tuple[int, int]:
        for key in request.args:
            if len(request.args.getlist(key)) > 1:
                raise CytomineError(500, "Method is not yet implemented")
        size = int(request.args.get("max", 0) or 0)
        return (size if size > 0 else 2**31 - 1), int(request.args.get("offset", 0) or 0)

    def envelope(self, request: Request, rows: list[Any], sql_paged: bool = False,
                 render: Callable[[Any], Any] | None = None,
                 render_page: Callable[[list[Any]], list[Any]] | None = None) -> Response:
        """Cytomine's collection envelope; ``sql_paged`` lists report perPage as the page length.
        ``render`` turns a row into its JSON (``render_page`` the page's rows at once), for the
        rows of the page only."""
        size, offset = self.paging(request)
        page = rows[offset : offset + size] if offset < len(rows) else []
        if render is not None:
            page = [render(row) for row in page]
        if render_page is not None:
            page = render_page(page)
        per_page = min(size, len(page)) if sql_paged else min(size, len(rows))
        total_pages = -(-len(rows) // size) if rows else 0
        return reply({"collection": page, "offset": offset, "perPage": per_page, "size": len(rows), "totalPages": total_pages})

    def counted_envelope(self, request: Request, total: int, page: list[Any]) -> Response:
        """The envelope of a page the database cut (LIMIT/OFFSET), with the total it counted."""
        size, offset = self.paging(request)
        return reply({"collection": page, "offset": offset, "perPage": min(size, total), "size": total,
                      "totalPages": -(-total // size) if total else 0})

    def command(self, action: str, domain: str, key: str, obj: Mapping[str, Any], message: str,
                extra: Mapping[str, Any] | None = None) -> Response:
        """ResponseService.createResponseMessage: message, callback, printMessage, the object under
        its lower-cased class name, and the command id."""
        with self.db.transaction() as cur:
            (command,) = next_ids(cur)
        callback = {f"{domain.lower()}ID": str(obj["id"]), "method": f"be.cytomine.{action}{domain[0].upper()}{domain[1:]}Command", **(extra or {})}
        return reply({"message": message, "callback": callback, "printMessage": True, key: obj, "command": command})

    def add_many(self, word: str, items: list[Any], add: Callable[[Any, Any], Any]) -> Response:
        """ModelService.addMultiple: each item on its own; HTTP 200 with the logical status inside."""
        ids, errors = [], []
        # One transaction, one savepoint per item: each item stands or falls on its own.
        with self.db.transaction() as cur:
            for item in items:
                cur.execute("SAVEPOINT item")
                try:
                    result = add(cur, item)
                    ids.append(result if isinstance(result, int) else result["id"])
                except CytomineError as e:
                    cur.execute("ROLLBACK TO item")
                    echo = {**item, "minPoint": None, "maxPoint": None} if isinstance(item, dict) else item
                    errors.append({"data": echo, "message": e.message})
                cur.execute("RELEASE item")
        return self.batch_reply(word, ids, errors)

    @staticmethod
    def batch_reply(word: str, ids: list[int], errors: list[dict[str, Any]]) -> Response:
        """addMultiple's answer: the ids added, or which items failed and why."""
        listed = ",".join(str(i) for i in ids)
        if not errors:
            return reply({"data": {"message": f"{word} {listed} added"}, "status": 200})
        if ids:
            return reply({"data": {"success": False, "message": f"Only part of the entries ({word} {listed}", "errors": errors}, "status": 206})
        return reply({"data": {"success": False, "message": "No entry saved", "errors": errors}, "status": 400})

    # -- the document store ------------------------------------------------------------------------
    # Storages, uploaded files, abstract images and slices, slice instances, tracks, tags and their
    # associations, properties, descriptions, attached files, roles and term relations are rows of
    # one table: kind, JSON data, timestamps. Each kind's JSON is rendered by its view module.
    @staticmethod
    def doc_add(cur: sqlite3.Connection, kind: str, data: Mapping[str, Any]) -> int:
        (did,) = next_ids(cur)
        t = now_ms()
        cur.execute("INSERT INTO doc VALUES (?, ?, ?, ?, ?)", (did, kind, json.dumps(dict(data)), t, t))
        return did

    def doc(self, kind: str, id: Any, cur: sqlite3.Connection | None = None) -> dict[str, Any] | None:
        sql, params = "SELECT id, data, created, updated FROM doc WHERE kind = ? AND id = ?", (kind, id)
        rows = cur.execute(sql, params).fetchall() if cur is not None else self.db.read(sql, params)
        return self._doc_row(rows[0]) if rows else None

    def docs(self, kind: str, cur: sqlite3.Connection | None = None, **match: Any) -> list[dict[str, Any]]:
        """Every document of a kind whose data fields equal ``match`` (oldest first), filtered in SQL."""
        where = "".join(f" AND json_extract(data, '$.{field}') IS ?" for field in match)
        params = (kind, *(int(v) if isinstance(v, bool) else v for v in match.values()))
        sql = f"SELECT id, data, created, updated FROM doc WHERE kind = ?{where} ORDER BY id"
        rows = cur.execute(sql, params).fetchall() if cur is not None else self.db.read(sql, params)
        return [self._doc_row(r) for r in rows]

    @staticmethod
    def doc_update(cur: sqlite3.Connection, id: int, data: Mapping[str, Any]) -> None:
        cur.execute("UPDATE doc SET data = ?, updated = ? WHERE id = ?", (json.dumps(dict(data)), now_ms(), id))

    @staticmethod
    def doc_delete(cur: sqlite3.Connection, ids: Iterable[int]) -> None:
        cur.executemany("DELETE FROM doc WHERE id = ?", [(i,) for i in ids])

    def delete_attached(self, cur: sqlite3.Connection, class_name: str, ident: int) -> None:
        """deleteDependencies: what hangs off a domain object (properties, description, attached
        files, tag associations) goes with it."""
        rows = cur.execute("SELECT id FROM doc WHERE kind IN ('property', 'description', 'attachedfile', 'tagdomainassociation') "
                           "AND json_extract(data, '$.domainIdent') = ? AND json_extract(data, '$.domainClassName') = ?",
                           (ident, class_name)).fetchall()
        self.doc_delete(cur, [r[0] for r in rows])

    @staticmethod
    def _doc_row(row: tuple[Any, ...]) -> dict[str, Any]:
        did, data, created, updated = row
        return {**json.loads(data), "id": did, "created": created, "updated": updated}

    # -- lookups several modules share -------------------------------------------------------------
    def image_row(self, iid: Any) -> tuple[Any, ...] | None:
        rows = self.db.read("SELECT * FROM image WHERE id = ?", (iid,))
        return rows[0] if rows else None

    def image_name(self, iid: Any) -> str:
        row = self.image_row(iid)
        return str(row[4]) if row else ""

    def user_row(self, uid: Any) -> tuple[Any, ...] | None:
        rows = self.db.read("SELECT * FROM user WHERE id = ?", (uid,))
        return rows[0] if rows else None

    def domain_exists(self, class_name: str, ident: Any) -> bool:
        """Whether the object a domain URL names exists (any Cytomine class name)."""
        simple = class_name.replace("_", ".").rsplit(".", 1)[-1].lower()
        tables = {"project": "project", "imageinstance": "image", "userannotation": "annotation",
                  "annotation": "annotation", "ontology": "ontology", "term": "term", "user": "user"}
        if simple in tables:
            return bool(self.db.read(f"SELECT 1 FROM {tables[simple]} WHERE id = ?", (ident,)))
        return bool(self.db.read("SELECT 1 FROM doc WHERE id = ?", (ident,)))
