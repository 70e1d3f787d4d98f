"""Connections held to a deadline: a watchdog that cuts a socket when the call's time is up,
pools whose waits end there too, and reading a body within the deadline and a size cap."""

from __future__ import annotations

import heapq
import socket
import ssl
import threading
import time
from typing import Any, Callable

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError


#: A body that decodes to more than this many times its size on the wire, past BOMB_SIZE bytes,
#: is a compression bomb (JSON node tables compress about 5-10 times), refused like one over
#: ``max_body`` (``max_body=None`` lifts both).
BOMB_RATIO = 100
BOMB_SIZE = 32 * 1024 * 1024
_CHUNK = 1024 * 1024
_GRACE = 0.1


# -- the deadline watchdog -----------------------------------------------------------------------
class _Watch:
    __slots__ = ("deadline", "sock", "active", "fired")

    def __init__(self, deadline: float, sock: socket.socket) -> None:
        self.deadline = deadline
        self.sock = sock
        self.active = True
        self.fired = False

    def __lt__(self, other: "_Watch") -> bool:
        return self.deadline < other.deadline


class _Watchdog:
    """One thread that shuts a socket down when its request's deadline has passed, so a reader
    blocked on a server that drips bytes returns at once (a socket timeout only bounds the wait
    for each single packet)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[_Watch] = []
        self._thread: threading.Thread | None = None

    def watch(self, deadline: float, sock: socket.socket) -> _Watch:
        entry = _Watch(deadline, sock)
        with self._cond:
            heapq.heappush(self._heap, entry)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="neuromodels-deadlines", daemon=True)
                self._thread.start()
            if self._heap[0] is entry:
                self._cond.notify()
        return entry

    def cancel(self, entry: _Watch) -> bool:
        """Stop watching; True when the deadline had already cut the socket."""
        with self._cond:
            entry.active = False
            return entry.fired

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and not self._heap[0].active:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait(30.0)
                    if not self._heap:
                        self._thread = None
                        return
                    continue
                wait = self._heap[0].deadline - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                entry = heapq.heappop(self._heap)
                entry.fired = True
                entry.active = False
                try:  # the plain socket's shutdown, also under TLS: wakes the blocked reader
                    socket.socket.shutdown(entry.sock, socket.SHUT_RDWR)
                except OSError:
                    pass


_WATCHDOG = _Watchdog()
_local = threading.local()


def _watch_current_socket(sock: Any) -> None:
    deadline = getattr(_local, "deadline", None)
    if deadline is not None and isinstance(sock, socket.socket):
        _local.watches.append(_WATCHDOG.watch(deadline, sock))


def _watched(conn: Any) -> Any:
    """Wrap a new connection's ``getresponse`` so its socket is watched while a reply arrives.
    (On the instance, not by subclassing the connection: recorders such as vcrpy replace the
    pools' connection classes, and must keep doing so.)"""
    original = conn.getresponse

    def getresponse(*args: Any, **kwargs: Any) -> Any:
        _watch_current_socket(getattr(conn, "sock", None))
        return original(*args, **kwargs)

    object.__setattr__(conn, "getresponse", getresponse)  # vcrpy's stubs forward plain setattr
    return conn


def _free_connection(pool: Any, get: Callable[..., Any], timeout: Any) -> Any:
    """Wait for a free pooled connection no longer than the request's deadline: a connection
    never given back (a leak anywhere below us) must not hold a call forever. Past the deadline
    urllib3 raises EmptyPoolError, which the transport treats as a connection never made."""
    deadline = getattr(_local, "deadline", None)
    if timeout is None and deadline is not None:
        timeout = max(0.001, deadline - _GRACE - time.monotonic())
    return get(timeout=timeout)  # EmptyPoolError past it: see Transport._send


class _WatchedHTTPPool(HTTPConnectionPool):
    def _new_conn(self) -> Any:
        return _watched(super()._new_conn())

    def _get_conn(self, timeout: float | None = None) -> Any:
        return _free_connection(self, super()._get_conn, timeout)


class _WatchedHTTPSPool(HTTPSConnectionPool):
    def _new_conn(self) -> Any:
        return _watched(super()._new_conn())

    def _get_conn(self, timeout: float | None = None) -> Any:
        return _free_connection(self, super()._get_conn, timeout)


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class Adapter(HTTPAdapter):
    """requests' adapter whose connections are cut off at the request's deadline."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(*args, **kwargs)
        if "socks" not in type(manager).__name__.lower():  # SOCKS brings its own connection classes
            manager.pool_classes_by_scheme = _POOLS
        return manager


class NoDHAdapter(Adapter):
    """TLS without Diffie-Hellman key exchange, for servers whose DH key OpenSSL refuses as too
    small. Certificates and host names are still verified."""

    @staticmethod
    def context() -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        ctx.set_ciphers("DEFAULT:!kDHE:!kDHEPSK:!DH")
        return ctx

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self.context()
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["ssl_context"] = self.context()
        return super().proxy_manager_for(*args, **kwargs)


class _TooSlow(Exception):
    """The reply was arriving, but not all of it within the deadline."""


class _TooLarge(Exception):
    pass


class _Garbled(Exception):
    """The body does not decode as its Content-Encoding says."""


def _read_body(response: requests.Response, deadline: float, max_body: int | None) -> None:
    """Read the whole body (in large pieces: requests' 10 KiB chunks cost more than parsing
    multi-megabyte node tables), within the deadline and the size cap, and give the connection
    back to the pool."""
    declared = response.headers.get("Content-Length", "")
    if max_body is not None and declared.isdigit() and int(declared) > max_body:
        response.close()
        raise _TooLarge(f"the server announced {int(declared)} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            chunk = response.raw.read(_CHUNK, decode_content=True)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if max_body is not None and size > max_body:
                response.close()
                raise _TooLarge(f"more than {max_body} bytes after decoding")
            if max_body is not None and size > BOMB_SIZE and size > BOMB_RATIO * max(response.raw.tell(), 1):
                response.close()
                raise _TooLarge(f"{size} bytes decoded from {response.raw.tell()} on the wire: a compression bomb")
            if time.monotonic() > deadline:
                response.close()
                raise _TooSlow()
    except urllib3.exceptions.DecodeError:
        response.close()
        raise _Garbled() from None
    except (urllib3.exceptions.HTTPError, OSError) as e:
        response.close()
        if time.monotonic() > deadline:
            raise _TooSlow() from None
        raise requests.ConnectionError(f"the body was cut off ({type(e).__name__})") from None
    response._content = b"".join(chunks)
    response._content_consumed = True
    response.close()  # content consumed: releases the connection for reuse


def _refused(error: requests.RequestException) -> bool:
    """True when the connection was never made, so the server cannot have seen the request."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0] if error.args else None, "reason", None)
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))
