"""HTTP in one place: session, timeouts, retries with backoff, error mapping, a parallel map.

Retry policy (the one rule every backend inherits):

* A request that is *safe to repeat* (a GET, or a POST the backend declares a read) is retried
  on 5xx, connection resets, timeouts and responses that cannot be parsed.
* *Every* request, writes included, is retried when the server certainly did not process it:
  a refused connection, or 429/503 with ``Retry-After``.
* A write whose fate is unknown (reset or timed out after it was sent) is never repeated; it
  raises :class:`ServerUnavailable` with ``sent=True`` so batch code can report it as unknown.
* Redirects are followed for GETs only: following a 301 turns a POST into a GET.
"""

from __future__ import annotations

import logging
import random
import ssl
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence, TypeVar

import attrs
import orjson
import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from .errors import (
    NeuromodelsError,
    ProtocolError,
    RateLimited,
    ServerError,
    ServerUnavailable,
    error_for_status,
)

if TYPE_CHECKING:
    from .backends.base import Backend

log = logging.getLogger("neuromodels")

T = TypeVar("T")
R = TypeVar("R")

#: The longest pause a ``Retry-After`` header can impose on us, in seconds.
MAX_RETRY_AFTER = 60.0


@attrs.frozen
class Outcome:
    """The result of one item of :meth:`Transport.map`: a value or the error it raised."""

    item: Any
    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def parse_json(response: requests.Response) -> Any:
    """Decode a JSON body (orjson: several times faster than the stdlib on node tables)."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as e:
        raise ProtocolError(f"the server sent a body that is not valid JSON ({e})") from e


def parse_text(response: requests.Response) -> str:
    return response.text


class NoDHAdapter(HTTPAdapter):
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


def _read_body(response: requests.Response) -> None:
    """Read the whole body in one call and give the connection back to the pool.

    requests' default reads bodies in 10 KiB chunks, which costs more than the parsing on
    multi-megabyte node tables.
    """
    try:
        response._content = response.raw.read(decode_content=True) or b""
    except (urllib3.exceptions.HTTPError, OSError) as e:
        response.close()
        raise requests.ConnectionError(f"the body was cut off ({type(e).__name__})") from None
    response._content_consumed = True
    response.close()  # content consumed: releases the connection for reuse


def _refused(error: requests.RequestException) -> bool:
    """True when the connection was never made, so the server cannot have seen the request."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0] if error.args else None, "reason", None)
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return None  # an HTTP date: treated as "no hint", plain backoff applies


class Transport:
    """Sends requests for one connection. Created by :class:`~neuromodels.Connection`.

    >>> # conn.transport.request("GET", "/version")  -> parsed JSON
    """

    def __init__(
        self,
        base_url: str,
        backend: "Backend",
        *,
        auth: requests.auth.AuthBase | None,
        timeout: float,
        retries: int,
        backoff: float,
        max_workers: int,
        verify: bool | str,
        progress: bool | None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.backend = backend
        self.auth = auth
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_workers = max_workers
        self.verify = verify
        self.progress = progress
        self.headers = dict(headers or {})
        self._session: requests.Session | None = None
        self._session_lock = threading.Lock()

    # -- session ---------------------------------------------------------------------------
    @property
    def session(self) -> requests.Session:
        with self._session_lock:
            return self._session or self._new_session()

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        # One pooled connection per worker; threads beyond that wait for a free one
        # (pool_block) instead of opening extra connections: a connection never makes more
        # than max_workers requests at once, however many threads share it.
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(self.max_workers, 4), max_retries=0,
                              pool_block=True)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.verify = self.verify
        session.auth = self.auth
        session.headers.update(self.headers)
        session.headers["User-Agent"] = "neuromodels"
        self._session = session
        return session

    def close(self) -> None:
        with self._session_lock:
            if self._session is not None:
                self._session.close()
                self._session = None

    # -- one request -------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        data: Any = None,
        files: Any = None,
        json: Any = None,
        read: bool = False,
        parse: Callable[[requests.Response], T] = parse_json,  # type: ignore[assignment]
        timeout: float | None = None,
    ) -> T:
        """Send one request and return its parsed body, or raise the typed error.

        ``read=True`` declares a POST that only reads, so it may be retried like a GET.
        """
        method = method.upper()
        safe = method in ("GET", "HEAD", "OPTIONS") or read
        url = self.base_url + path
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    files=files,
                    json=json,
                    timeout=timeout or self.timeout,
                    allow_redirects=method == "GET",
                    stream=True,
                )
                _read_body(response)
            except requests.exceptions.SSLError as e:
                if "DH_KEY_TOO_SMALL" in str(e) and self._avoid_dh(url):
                    continue  # the handshake never completed: nothing was sent
                raise ServerUnavailable(f"TLS handshake failed ({e.__class__.__name__})", method=method, path=path) from None
            except requests.RequestException as e:
                refused = _refused(e)
                kind = "refused" if refused else type(e).__name__
                log.debug("%s %s -> %s after %.1f ms", method, path, kind, (time.perf_counter() - started) * 1e3)
                if (refused or safe) and attempt < self.retries:
                    attempt += 1
                    self._sleep(attempt, None)
                    continue
                if refused:
                    message = "the server refused the connection"
                elif isinstance(e, requests.Timeout):
                    message = f"no answer within {timeout or self.timeout} s"
                else:
                    message = f"the connection failed ({type(e).__name__})"
                err = ServerUnavailable(message, method=method, path=path)
                # A write that may have reached the server: batch code reports it as unknown.
                err.sent = not refused  # type: ignore[attr-defined]
                raise err from None
            elapsed = (time.perf_counter() - started) * 1e3
            log.debug("%s %s -> %s in %.1f ms", method, path, response.status_code, elapsed)
            try:
                error = self._error(response, method, path)
                if error is None:
                    return parse(response)
            except ProtocolError as e:
                e.method, e.path, e.status = method, path, response.status_code
                error = e
            except (ValueError, KeyError, TypeError, IndexError) as e:
                # The body did not have the shape the API promises (cut off, or changed).
                error = ProtocolError(f"unexpected response body ({type(e).__name__}: {e})",
                                      method=method, path=path, status=response.status_code)
            retry_after = _retry_after(response) if response.status_code in (429, 503) else None
            retry = (retry_after is not None) or (
                safe and (type(error) in (ServerError, ServerUnavailable, RateLimited)
                          or (type(error) is ProtocolError and response.ok))
            )
            if retry and attempt < self.retries:
                attempt += 1
                self._sleep(attempt, retry_after)
                continue
            error.sent = True  # type: ignore[attr-defined]
            if type(error) in (ServerError, ServerUnavailable, ProtocolError) and not safe:
                # The server got it and answered badly: whether it stored anything is unknown.
                error.unknown_outcome = response.status_code >= 500 or response.ok  # type: ignore[attr-defined]
            raise error

    def _avoid_dh(self, url: str) -> bool:
        """Mount the no-DH adapter for this host, once. False when it is already mounted."""
        parts = urllib3.util.parse_url(url)
        prefix = f"{parts.scheme}://{parts.netloc}/"
        if isinstance(self.session.adapters.get(prefix), NoDHAdapter):
            return False
        log.warning("%s: its TLS Diffie-Hellman key is too small for OpenSSL; retrying without DH ciphers "
                    "(certificates are still verified)", parts.host)
        self.session.mount(prefix, NoDHAdapter(pool_maxsize=max(self.max_workers, 4), max_retries=0))
        return True

    def _error(self, response: requests.Response, method: str, path: str) -> NeuromodelsError | None:
        """The typed error for a response, or None when it is a success."""
        if 300 <= response.status_code < 400:
            where = response.headers.get("Location", "?")
            return ProtocolError(
                f"the server redirected to {where} (a missing trailing slash?); not followed",
                status=response.status_code,
                method=method,
                path=path,
            )
        error = self.backend.error_from_response(response)
        if error is None and response.status_code >= 400:
            error = error_for_status(response.status_code)(
                response.reason or f"HTTP {response.status_code}", server_message=response.text[:500]
            )
        if error is not None:
            error.status = response.status_code
            error.method = method
            error.path = path
        return error

    def _sleep(self, attempt: int, retry_after: float | None) -> None:
        if retry_after is not None:
            delay = retry_after
        else:
            # Exponential backoff with jitter so parallel workers do not retry in lockstep.
            delay = self.backoff * (2 ** (attempt - 1)) * random.uniform(0.5, 1.5)
        time.sleep(delay)

    # -- many requests -------------------------------------------------------------------------
    def show_progress(self, total: int) -> bool:
        if self.progress is None:
            return total > 1 and sys.stderr.isatty()
        return bool(self.progress) and total > 1

    def map_values(self, fn: Callable[[T], R], items: Iterable[T], *, desc: str | None = None) -> list[R]:
        """:meth:`map` for callers that need every value: the first error is raised."""
        outcomes = self.map(fn, items, desc=desc)
        for outcome in outcomes:
            if outcome.error is not None:
                raise outcome.error
        return [outcome.value for outcome in outcomes]

    def map(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        *,
        desc: str | None = None,
        max_workers: int | None = None,
    ) -> list[Outcome]:
        """Apply ``fn`` to every item with at most ``max_workers`` in parallel, keeping order.

        ``fn`` runs in the worker threads, so responses are parsed there too. One failure never
        throws away the others: each item gets an :class:`Outcome` with its value or error.
        """
        items = list(items)
        workers = max(1, min(max_workers or self.max_workers, len(items) or 1))

        def run(item: T) -> Outcome:
            try:
                return Outcome(item, fn(item))
            except Exception as e:  # noqa: BLE001 - reported per item, never lost
                return Outcome(item, error=e)

        bar = None
        if desc and self.show_progress(len(items)):
            from tqdm.auto import tqdm

            bar = tqdm(total=len(items), desc=desc, unit="req")
        try:
            if workers == 1:
                outcomes = []
                for item in items:
                    outcomes.append(run(item))
                    if bar is not None:
                        bar.update()
                return outcomes
            # A fresh pool per call: nested maps can never starve each other of workers.
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="neuromodels") as pool:
                futures = [pool.submit(run, item) for item in items]
                outcomes = []
                for future in futures:
                    outcomes.append(future.result())
                    if bar is not None:
                        bar.update()
                return outcomes
        finally:
            if bar is not None:
                bar.close()
