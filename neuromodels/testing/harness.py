"""The frame every bundled server shares: an :class:`App` with a route table on SQLite, and a
threaded loopback :class:`LocalServer` around it with injected latency and scripted faults.

A server is declared as an app (schema, seed, routes, three hooks) and a server class::

    from neuromodels.testing.harness import App, LocalServer, route

    class NotesApp(App):
        schema = "CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY, text TEXT);"

        def seed(self, cur):                      # once, in the first transaction
            cur.execute("INSERT OR IGNORE INTO note VALUES (1, 'hello')")

        def authenticate(self, request, view, args):   # a user, or a Response that refuses
            if request.headers.get("Authorization") != "Bearer notes":
                return self.json({"detail": "not authenticated"}, 401)
            return "someone"

        def error(self, request, view, exc):      # the backend's error envelope (None: re-raise)
            return self.json({"detail": str(exc)}, 400) if isinstance(exc, KeyError) else None

        @route("/notes/<int:nid>", methods=("GET",))
        def note(self, request, user, nid):       # a body (rendered as JSON) or a Response
            return {"id": nid, "text": self.db.read("SELECT text FROM note WHERE id = ?", (nid,))[0][0]}

    class NotesServer(LocalServer):
        backend = "notes"
        app = NotesApp

    with NotesServer(latency=0.01) as server:     # server.url, server.sent("GET", "/notes")
        ...

Views may live on mixin classes (one module per resource) that the app class lists; ``route``
takes extra keyword options that the hooks read from ``view.options`` (e.g. CATMAID's DRF views).

A fault is matched per request (method and a path regex) and fires ``times`` times::

    Fault("status", status=503, retry_after=0.1)       # answer 503 before the view runs
    Fault("reset", when="after", path=r"/annotations/add")  # store, then drop the connection
    Fault("stall", seconds=2)                            # hold the request past the client timeout
    Fault("truncate", when="after")                      # send half of the real body
    Fault("html")                                        # a 502 HTML error page (a proxy's)
    Fault("error200")                                    # HTTP 200 whose body is an error
    Fault("stop", when="after")                          # store, then stop the whole server

``when="before"`` faults fire before the view runs (nothing is stored); ``when="after"`` faults
fire after it ran, so the write happened but the client never learns it. An injected status
carries the backend's own error body (:meth:`App.fault_body`).
"""

from __future__ import annotations

import collections
import logging
import re
import socket
import struct
import tempfile
import threading
import time
from typing import Any, Callable, Iterable

import attrs
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from .database import Database as Database, _Transaction as _Transaction  # noqa: F401 - re-exported
from .frame import App as App, View as View, route as route  # noqa: F401 - the servers import them from here

FAULT_KINDS = ("status", "reset", "stall", "truncate", "html", "error200", "stop")


@attrs.define
class Fault:
    """One scripted fault (see the module docstring)."""

    kind: str = attrs.field(validator=attrs.validators.in_(FAULT_KINDS))
    method: str | None = None
    path: str | None = None
    times: int = 1
    when: str = attrs.field(default="before", validator=attrs.validators.in_(("before", "after")))
    status: int = 500
    retry_after: float | None = None
    seconds: float = 5.0
    #: Requests that match before this fault starts firing (e.g. stop after 5 batch chunks).
    skip: int = 0
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.fired >= self.times:
            return False
        if self.method and self.method.upper() != method:
            return False
        return not self.path or re.search(self.path, path) is not None


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # no access log on stderr
        pass


class _Reset(Exception):
    """Raised to drop a connection after its socket was reset."""


def _reset_socket(environ: dict[str, Any]) -> None:
    sock = environ.get("werkzeug.socket")
    if sock is None:
        return
    try:
        # SO_LINGER 0 makes the close an RST; shutdown wakes the client's read at once.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class LocalServer:
    """A bundled server on 127.0.0.1: ``.url``, credentials, ``.stop()`` and ``.start()``.

    >>> from neuromodels.testing import serve
    >>> with serve("neuromorpho") as server:
    ...     server.url.startswith("http://127.0.0.1:")
    True
    """

    backend: str = ""
    #: The app class (or any callable db_path -> app) this server runs.
    app: Callable[[str], Callable[[Request], Response]] | None = None
    project: Any = None
    token: str | None = None
    public_key: str | None = None
    private_key: str | None = None

    def __init__(
        self,
        app_factory: Callable[[str], Callable[[Request], Response]] | None = None,
        *,
        db: str | None = None,
        port: int = 0,
        latency: float = 0.0,
        faults: Iterable[Fault] | None = None,
        tls: bool = False,
    ) -> None:
        #: ``tls=True``: https with a self-signed certificate made at start; ``.certificate`` is
        #: the file a client trusts (e.g. ``verify=server.certificate``).
        self.tls = tls
        self.certificate: str | None = None
        self._tls_files: tuple[str, str] | None = None
        if db is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="neuromodels-")
            db = f"{self._tmp.name}/{self.backend or 'server'}.sqlite"
        self.db_path = db
        self.port = port
        self.latency = latency
        self.faults: list[Fault] = list(faults or [])
        self.requests = 0
        #: (method, path) of the most recent requests, for tests that count what was sent.
        self.log: collections.deque[tuple[str, str]] = collections.deque(maxlen=10000)
        self._lock = threading.Lock()
        self._stopping = False
        factory = app_factory or type(self).app
        if factory is None:
            raise TypeError(f"{type(self).__name__} declares no app")
        self._app = factory(db)
        if isinstance(self._app, App):
            for key, value in self._app.credentials().items():
                setattr(self, key, value)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> "LocalServer":
        """Start (or restart on the same database and port)."""
        if self._server is not None:
            return self
        self._stopping = False
        if self.tls and self._tls_files is None:
            from .certificate import self_signed

            self._tls_folder = tempfile.TemporaryDirectory(prefix="neuromodels-tls-")
            self._tls_files = self_signed(self._tls_folder.name)
            self.certificate = self._tls_files[0]
        server = make_server("127.0.0.1", self.port, self._wsgi, threaded=True, request_handler=_QuietHandler,
                             ssl_context=self._tls_files)
        server.daemon_threads = True  # type: ignore[attr-defined]  # ThreadingMixIn's, on the threaded server
        self.port = server.server_port
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def __enter__(self) -> "LocalServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def sent(self, method: str, path_pattern: str) -> int:
        """How many logged requests match a method and a path regex."""
        with self._lock:
            return sum(1 for m, p in self.log if m == method and re.search(path_pattern, p))

    def add_fault(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    # -- the WSGI wrapper: latency and faults around the backend's app ---------------------------------
    def _take_fault(self, method: str, path: str, when: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.when == when and fault.matches(method, path):
                    if fault.skip > 0:
                        fault.skip -= 1
                        return None
                    fault.fired += 1
                    if fault.kind == "stop":
                        # From now on every request is refused, before the server has finished
                        # stopping in its own thread: a stop is a stop for everyone at once.
                        self._stopping = True
                    return fault
        return None

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._lock:
            if self._stopping:
                _reset_socket(environ)
                raise ConnectionResetError("stopped by a fault")
            self.requests += 1
            self.log.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
        if self.latency:
            time.sleep(self.latency)
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        fault = self._take_fault(method, path, "before")
        if fault is not None:
            response = self._fault_response(fault, environ, None)
            if response is not None:
                return response(environ, start_response)
        response = self._app(Request(environ))
        after = self._take_fault(method, path, "after")
        if after is not None:
            faulty = self._fault_response(after, environ, response)
            if faulty is not None:
                return faulty(environ, start_response)
        return response(environ, start_response)

    def _fault_response(self, fault: Fault, environ: dict[str, Any], response: Response | None) -> Response | None:
        kind = fault.kind
        if kind == "stall":
            time.sleep(fault.seconds)
            return None if fault.when == "before" else response
        if kind == "reset":
            _reset_socket(environ)
            raise ConnectionResetError("fault: connection reset")
        if kind == "stop":
            _reset_socket(environ)
            threading.Thread(target=self.stop, daemon=True).start()
            raise ConnectionResetError("fault: server stopped")
        if kind == "status":
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            body = self.error_body(fault.status)
            return Response(body, status=fault.status, headers=headers, content_type="application/json")
        if kind == "html":
            page = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"
            return Response(page, status=502, content_type="text/html")
        if kind == "truncate":
            data = response.get_data() if response is not None else b'{"truncated": [1, 2, 3]}'
            return Response(data[: max(1, len(data) // 2)], status=200, content_type="application/json")
        if kind == "error200":
            return Response(self.error_body(200), status=200, content_type="application/json")
        return None

    def error_body(self, status: int) -> str:
        """The backend's own error body for an injected status."""
        if isinstance(self._app, App):
            return self._app.fault_body(status)
        return '{"error": "injected fault"}'


log = logging.getLogger("neuromodels.testing")
