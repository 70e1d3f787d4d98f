"""The App frame every bundled server shares: a route table, views on mixin classes, three hooks
(authenticate, error, render) and JSON/text helpers; see :mod:`neuromodels.testing.harness`."""

from __future__ import annotations

import sqlite3
from typing import Any, Callable, Iterable

import attrs
import orjson
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.wrappers import Request, Response


from .database import Database


@attrs.define
class View:
    """One route of an app: its endpoint name, path patterns, methods (None: any) and options."""

    name: str
    paths: tuple[str, ...]
    methods: tuple[str, ...] | None
    options: dict[str, Any]


def route(*paths: str, methods: tuple[str, ...] | None = None, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a view method: ``@route("/a/<int:x>", "/a/<int:x>/", methods=("GET",), public=True)``.

    Path patterns are werkzeug rules; ``methods=None`` lets every method through to the view."""

    def mark(func: Callable[..., Any]) -> Callable[..., Any]:
        func._route = (paths, methods, options)  # type: ignore[attr-defined]
        return func

    return mark


class App:
    """A bundled server's WSGI application (Request -> Response) on its own SQLite database.

    Subclasses declare ``schema``, ``seed``, views with :func:`route`, and override the hooks
    ``authenticate``, ``error``, ``render``, ``not_found``, ``method_not_allowed``, ``redirect`` and
    ``fault_body`` where their server differs from the defaults."""

    schema: str = ""
    #: Whether ``/x`` and ``/x/`` are different paths (True: the other one redirects or 404s).
    strict_slashes: bool = False

    def __init__(self, db_path: str) -> None:
        self.db = Database(db_path, self.schema)
        with self.db.transaction() as cur:
            self.seed(cur)
        self.views: dict[str, View] = {}
        rules = []
        for klass in reversed(type(self).__mro__):
            for name, func in vars(klass).items():
                spec = getattr(func, "_route", None)
                if spec is not None:
                    self.views[name] = View(name, spec[0], spec[1], dict(spec[2]))
        for view in self.views.values():
            rules += [Rule(path, endpoint=view.name) for path in view.paths]
        self.url_map = Map(rules, strict_slashes=self.strict_slashes, merge_slashes=False)

    # -- hooks ---------------------------------------------------------------------------------------
    def seed(self, cur: sqlite3.Connection) -> None:
        """Fill a new database (called in a transaction on every start: check before inserting)."""

    def credentials(self) -> dict[str, Any]:
        """What the server object shows: any of project, token, public_key, private_key."""
        return {}

    def authenticate(self, request: Request, view: View, args: dict[str, Any]) -> Any:
        """The user a request acts as, or a Response that refuses it. Default: nobody, allowed."""
        return None

    def error(self, request: Request, view: View, exc: Exception) -> Response | None:
        """The backend's error envelope for an exception a view raised (None: let it propagate)."""
        return None

    def render(self, request: Request, view: View, result: Any) -> Response:
        """A view's return value as a response (JSON unless it is a Response already)."""
        return result if isinstance(result, Response) else self.json(result)

    def not_found(self, request: Request) -> Response:
        return self.json({"detail": "Not Found"}, 404)

    def method_not_allowed(self, request: Request, view: View | None) -> Response:
        return self.json({"detail": "Method Not Allowed"}, 405)

    def redirect(self, request: Request, location: str) -> Response:
        return self.status(301, Location=location)

    def fault_body(self, status: int) -> str:
        """The error body an injected fault of this status carries."""
        return '{"error": "injected fault"}'

    # -- reply helpers --------------------------------------------------------------------------------
    @staticmethod
    def json(body: Any, status: int = 200, content_type: str = "application/json", **headers: str) -> Response:
        return Response(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), status=status, content_type=content_type,
                        headers=headers)

    @staticmethod
    def text(body: str | bytes, status: int = 200, content_type: str = "text/plain", **headers: str) -> Response:
        return Response(body, status=status, content_type=content_type, headers=headers)

    @staticmethod
    def status(status: int, content_type: str = "text/html; charset=utf-8", **headers: str) -> Response:
        return Response(b"", status=status, content_type=content_type, headers=headers)

    # -- dispatch ------------------------------------------------------------------------------------
    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """The app as a plain WSGI callable (no latency, no faults): for werkzeug's test client."""
        return self(Request(environ))(environ, start_response)

    def __call__(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, matched = adapter.match()
        except RequestRedirect as e:
            return self.redirect(request, e.new_url)
        except MethodNotAllowed:
            return self.method_not_allowed(request, None)
        except NotFound:
            return self.not_found(request)
        view, args = self.views[endpoint], dict(matched)
        user = self.authenticate(request, view, args)
        if isinstance(user, Response):
            return user
        if view.methods is not None and request.method not in view.methods:
            return self.method_not_allowed(request, view)
        try:
            # Looked up per request, so a test can replace one view on an app instance.
            result = getattr(self, endpoint)(request, user, **args)
        except Exception as e:
            response = self.error(request, view, e)
            if response is None:
                raise
            return response
        return self.render(request, view, result)
