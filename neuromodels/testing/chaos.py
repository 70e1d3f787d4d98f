"""A loopback proxy that draws a random fate for every request it forwards: the faults of a bad
network and an overloaded server, at rates, for soaks of the write contract.

>>> from neuromodels.testing import serve
>>> from neuromodels.testing.chaos import ChaosProxy
>>> with serve("neuromorpho") as server, ChaosProxy(server.url, seed=1, refuse=0.0, lose=0.0) as proxy:
...     import requests
...     requests.get(proxy.url + "/api/health", timeout=5).json()["status"]
'UP'

Each request gets one fate, drawn from a seeded generator:

* ``refuse``: answer 503 with ``Retry-After`` *before* forwarding (the server never sees it);
* ``lose``: forward it, let the server answer, then drop the connection without a reply (the
  write happened, the client never learns it);
* ``slow``: forward it after ``delay`` seconds;
* otherwise forward it as it is.

The proxy speaks to 127.0.0.1 only and counts its fates (``proxy.fates``).
"""

from __future__ import annotations

import collections
import random
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import requests

#: Headers that belong to one hop, not to the request or reply forwarded.
_HOP = {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "proxy-connection"}


class ChaosProxy:
    """Forwards to ``target`` (a loopback URL) with random fates; a context manager."""

    def __init__(self, target: str, *, seed: int = 0, refuse: float = 0.15, lose: float = 0.15,
                 slow: float = 0.04, delay: float = 0.3, retry_after: float = 0.05) -> None:
        host = urlsplit(target).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"the chaos proxy forwards to loopback servers only, not {host!r}")
        if refuse + lose + slow > 1:
            raise ValueError("the fault rates add up to more than 1")
        self.target = target.rstrip("/")
        self.rates = (refuse, lose, slow)
        self.delay, self.retry_after = delay, retry_after
        self.fates: collections.Counter[str] = collections.Counter()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._upstream = threading.local()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # no access log on stderr
                pass

            def _handle(self) -> None:
                proxy._handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "ChaosProxy":
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> "ChaosProxy":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def draw(self) -> str:
        refuse, lose, slow = self.rates
        with self._lock:
            x = self._random.random()
        fate = ("refuse" if x < refuse else "lose" if x < refuse + lose
                else "slow" if x < refuse + lose + slow else "pass")
        with self._lock:
            self.fates[fate] += 1
        return fate

    def _session(self) -> requests.Session:
        session = getattr(self._upstream, "session", None)
        if session is None:
            session = self._upstream.session = requests.Session()
        return session

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        fate = self.draw()
        if fate == "refuse":
            content = b'{"error": "service unavailable (chaos proxy)"}'
            handler.send_response(503)
            handler.send_header("Retry-After", f"{self.retry_after:g}")
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(content)))
            handler.end_headers()
            handler.wfile.write(content)
            return
        if fate == "slow":
            time.sleep(self.delay)
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP}
        answer = self._session().request(handler.command, self.target + handler.path, data=body, headers=headers,
                                          allow_redirects=False, timeout=60)
        if fate == "lose":
            _drop(handler.connection)
            handler.close_connection = True
            return
        content = answer.content
        handler.send_response(answer.status_code)
        for key, value in answer.headers.items():
            if key.lower() not in _HOP and key.lower() != "content-encoding":
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(content)


def _drop(sock: socket.socket) -> None:
    """Close a connection with a reset (no reply at all)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
