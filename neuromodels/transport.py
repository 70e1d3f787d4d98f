"""HTTP in one place: session, deadlines, retries with backoff, error mapping, a parallel map.

Retry policy: :mod:`neuromodels.retry` holds it as a value (:class:`RetryPolicy`) and names the
ways an attempt fails (:class:`Failure`). A write whose fate is unknown (reset or timed out after
it was sent, or a reply that cannot be read) is never repeated: it raises with ``sent=True,
outcome_unknown=True``, and the write contract settles it by looking.

Deadlines and sizes:
* ``timeout`` bounds each attempt as a whole: connecting, the headers *and* the body. A server
  that answers a few bytes at a time is cut off when the time is up, and such a slow answer is
  not retried (it would be as slow again). A server that sends nothing at all for ``timeout``
  seconds is retried like any other timeout.
* ``Retry-After`` (seconds or an HTTP date; nonsense is no hint): a wait longer than ``timeout``
  ends the call at once.
* ``max_body`` caps the *decoded* size of a body (a gzip bomb stops at the cap):
  :class:`~neuromodels.core.errors.ResponseTooLarge`.

Redirects are followed for reads only, within the connection's origin (:mod:`neuromodels.origins`);
anything else is :class:`~neuromodels.core.errors.RedirectRefused`, so no credential travels to
another server. Following re-applies the connection's authentication (Cytomine signs each path).
Many requests at once and Ctrl-C: :mod:`neuromodels.parallel`; deadlines: :mod:`neuromodels.deadlines`.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence, TypeVar
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from .core.errors import (
    NeuromodelsError,
    ProtocolError,
    RedirectRefused,
    ResponseTooLarge,
    ServerError,
    ServerUnavailable,
    error_for_status,
)

if TYPE_CHECKING:
    from .core.backend import Backend
    from .cache import ReadCache

from .backends import identify
from .replies import body_text, error_text, json_as, parse_json, parse_text
from .origins import _where, same_origin
from .retry import Failure, RetryPolicy, parse_retry_after
from .deadlines import _GRACE, _WATCHDOG, Adapter, NoDHAdapter, _Garbled, _local, _read_body, _refused, _TooLarge, _TooSlow
from .parallel import Outcome, ParallelMap, _in_item, _interrupt, interrupted, note_write

log = logging.getLogger("neuromodels")

T = TypeVar("T")
R = TypeVar("R")

#: Redirects followed within one call.
MAX_REDIRECTS = 5
#: The default cap on a decoded response body, in bytes (``max_body=None`` lifts it).
DEFAULT_MAX_BODY = 256 * 1024 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)


class Transport(ParallelMap):
    """Sends requests for one connection. Created by :class:`~neuromodels.Connection`.

    >>> from neuromodels import Connection
    >>> from neuromodels.testing import serve
    >>> with serve("neuromorpho") as server:
    ...     conn = Connection(server.url, backend="neuromorpho")
    ...     conn.transport.request("GET", "/api/health")["status"]
    'UP'
    """

    def __init__(
        self,
        base_url: str,
        backend: "Backend",
        *,
        auth: requests.auth.AuthBase | None,
        timeout: float,
        retry: RetryPolicy,
        max_workers: int,
        verify: bool | str,
        progress: bool | None,
        headers: Mapping[str, str] | None = None,
        max_body: int | None = DEFAULT_MAX_BODY,
        cache: "ReadCache | None" = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.backend = backend
        self.auth = auth
        self.timeout = timeout
        #: When a request is tried again (:class:`~neuromodels.retry.RetryPolicy`).
        self.retry = retry
        self.max_workers = max_workers
        self.verify = verify
        self.progress = progress
        self.max_body = max_body
        self.headers = dict(headers or {})
        #: The opt-in read cache (:mod:`neuromodels.cache`), or None.
        self.cache = cache
        self._session: requests.Session | None = None
        self._session_lock = threading.Lock()
        #: Whether the server answered as the backend's kind (None: not asked yet; see
        #: :mod:`neuromodels.backends.identify`); whether an error was explained already.
        self.kind_confirmed: bool | None = None
        self._hints: dict[tuple[str, str], str | None] = {}
        self._identify_lock = threading.Lock()

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
        adapter = Adapter(pool_connections=4, pool_maxsize=max(self.max_workers, 4), max_retries=0, pool_block=True)
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
        parse: Callable[[requests.Response], T] = parse_json,
        timeout: float | None = None,
        max_body: int | None | object = ...,
    ) -> T:
        """Send one request and return its parsed body, or raise the typed error.

        ``read=True`` declares a POST that only reads, so it may be retried like a GET.
        ``timeout`` and ``max_body`` override the connection's for this call (``max_body=None``:
        no cap, e.g. for a whole-slide image).
        """
        method = method.upper()
        if interrupted() and not _in_item.get():
            # Ctrl-C stopped a map of this operation and nothing recorded it since: nothing more
            # is sent, and the caller gets the KeyboardInterrupt (never a NotSent of its own).
            self.reraise_interrupt()
        safe = method in ("GET", "HEAD", "OPTIONS") or read
        if not safe:
            note_write()
        cap: int | None = self.max_body if max_body is ... else max_body  # type: ignore[assignment]
        url = self.base_url + path
        key = None
        if self.cache is not None:
            if safe:
                key = self.cache.key(method, url, params, data, json)
                hit = self.cache.get(key)
                if hit is not None:
                    cached = self._outcome(hit, method, path, parse)
                    if not isinstance(cached, NeuromodelsError):
                        return cached  # type: ignore[no-any-return]
            else:
                # A write may change what any cached read answered: forget them all, before
                # (reads racing the write) and after (see the finally below).
                self.cache.clear()
                try:
                    return self._request(method, path, url, params, data, files, json, safe, parse, timeout, cap)
                finally:
                    self.cache.clear()
        result = self._request(method, path, url, params, data, files, json, safe, parse, timeout, cap, key)
        return result

    def _request(self, method: str, path: str, url: str, params: Any, data: Any, files: Any, json: Any, safe: bool,
                 parse: Callable[[requests.Response], T], timeout: float | None, cap: int | None,
                 key: str | None = None) -> T:
        follow = method in ("GET", "HEAD")
        limit = float(timeout or self.timeout)
        attempt = 0
        hops = 0
        while True:
            started = time.perf_counter()
            deadline = time.monotonic() + limit
            failure = self._send(method, url, params, data, files, json, limit, deadline, cap)
            if isinstance(failure, requests.Response):
                response = failure
            else:
                kind, detail = failure
                log.debug("%s %s -> %s after %.1f ms", method, path, kind.value, (time.perf_counter() - started) * 1e3)
                if kind is Failure.WEAK_DH:
                    continue  # the handshake never completed: nothing was sent
                if self.retry.retries_failure(kind, safe=safe, attempt=attempt) and not interrupted():
                    attempt += 1
                    self._sleep(attempt, None)
                    continue
                raise self._failure(kind, detail, method, path, url, limit, safe, cap)
            elapsed = (time.perf_counter() - started) * 1e3
            log.debug("%s %s -> %s in %.1f ms", method, path, response.status_code, elapsed)
            if response.status_code in _REDIRECTS and follow and response.headers.get("Location"):
                target = urljoin(url, response.headers["Location"])
                if not same_origin(url, target):
                    raise RedirectRefused(
                        f"the server redirected to {_where(target)}, another origin than {_where(url)}; "
                        "not followed, so that the credentials stay with the server they are for",
                        location=_where(target), status=response.status_code, method=method, path=path, sent=True,
                    )
                if hops < MAX_REDIRECTS:
                    hops += 1
                    url, params = target, None  # the Location carries its own query string
                    continue
            error = self._outcome(response, method, path, parse)
            if not isinstance(error, NeuromodelsError):
                self.kind_confirmed = True  # an answer in the API's shape: the right kind of server
                if key is not None and self.cache is not None:
                    self.cache.put(key, response)
                return error  # type: ignore[no-any-return]
            identify.note_kind(self, response, error)
            retry_after = parse_retry_after(response.headers.get("Retry-After")) if response.status_code in (429, 503) else None
            if retry_after is not None and retry_after > min(limit, self.retry.max_wait):
                error.message += f" (the server asked to wait {retry_after:.0f} s, longer than the timeout of {limit:g} s)"
                error.args = (error.message,)
                retry_after, retryable = None, False
            else:
                retryable = self.retry.retries_error(error, status=response.status_code, safe=safe,
                                                     retry_after=retry_after, attempt=attempt)
            if retryable and not interrupted():
                attempt += 1
                self._sleep(attempt, retry_after)
                continue
            error.sent = True
            if not safe and (type(error) in (ServerError, ServerUnavailable) or isinstance(error, ProtocolError)):
                # The server got it and answered badly, or its reply cannot be read: whether it
                # stored anything is unknown (never a certain failure, so never resent blindly).
                error.outcome_unknown = response.status_code >= 500 or response.status_code < 400
            raise error

    def _send(
        self, method: str, url: str, params: Any, data: Any, files: Any, json: Any, limit: float, deadline: float,
        max_body: int | None,
    ) -> requests.Response | tuple[Failure, str]:
        """One attempt: the response with its body read, or the failure and a detail."""
        # The watchdog cuts a little after the deadline, so that a server sending nothing at all
        # ends in the socket's own timeout (retried), and only a dripping one is cut (not retried).
        _local.deadline, _local.watches = deadline + _GRACE, []
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                data=data,
                files=files,
                json=json,
                timeout=(limit, limit),
                allow_redirects=False,
                stream=True,
                verify=self.verify,  # per request: REQUESTS_CA_BUNDLE cannot override it
            )
            _read_body(response, deadline, max_body)
            return response
        except _TooLarge as e:
            return (Failure.TOO_LARGE, str(e))
        except _TooSlow:
            return (Failure.SLOW, "")
        except _Garbled:
            return (Failure.GARBLED, "")
        except urllib3.exceptions.EmptyPoolError:
            return (Failure.REFUSED, "no free connection before the deadline")  # nothing was sent
        except requests.exceptions.SSLError as e:
            if "DH_KEY_TOO_SMALL" in str(e) and self._avoid_dh(url):
                return (Failure.WEAK_DH, "")
            return (Failure.TLS, type(e).__name__)
        except requests.RequestException as e:
            if _refused(e):
                return (Failure.REFUSED, "")
            if any(entry.fired for entry in _local.watches) or (
                time.monotonic() > deadline and not isinstance(e, requests.Timeout)
            ):
                return (Failure.SLOW, "")
            return (Failure.TIMEOUT if isinstance(e, requests.Timeout) else Failure.FAILED, type(e).__name__)
        finally:
            for entry in _local.watches:
                _WATCHDOG.cancel(entry)
            _local.deadline, _local.watches = None, []

    def _failure(self, kind: Failure, detail: str, method: str, path: str, url: str, limit: float,
                 safe: bool, cap: int | None) -> NeuromodelsError:
        where = urlsplit(url).netloc.rsplit("@", 1)[-1]
        if kind is Failure.REFUSED:
            return ServerUnavailable(f"the server at {where} refused the connection (is it running, and is "
                                     "the host and port right?)", method=method, path=path)
        if kind is Failure.TLS:
            return ServerUnavailable(f"TLS handshake failed with {where} ({detail})", method=method, path=path)
        if kind is Failure.TOO_LARGE:
            error: NeuromodelsError = ResponseTooLarge(
                f"the response is too large ({detail}; max_body={cap}); raise max_body= on the Connection if "
                "this is expected", limit=cap, method=method, path=path)
        elif kind is Failure.SLOW:
            error = ServerUnavailable(f"the whole reply did not arrive within {limit:g} s (the server answers too "
                                      "slowly)", method=method, path=path)
        elif kind is Failure.GARBLED:
            error = ProtocolError("the body does not decode as its Content-Encoding says", method=method, path=path)
        elif kind is Failure.TIMEOUT:
            error = ServerUnavailable(f"no answer within {limit:g} s", method=method, path=path)
        else:
            error = ServerUnavailable(f"the connection failed ({detail})", method=method, path=path)
        # The request reached the server: a write may or may not have been stored.
        error.sent = True
        error.outcome_unknown = not safe
        return error

    def _outcome(self, response: requests.Response, method: str, path: str, parse: Callable[[requests.Response], T]) -> Any:
        """The parsed body, or the typed error (returned, not raised, so no context is kept)."""
        try:
            error = self._error(response, method, path)
            if error is None:
                return parse(response)
        except ProtocolError as e:
            e.method, e.path, e.status = method, path, response.status_code
            return e
        except NeuromodelsError:
            raise  # a typed answer the parser found in the body (NotFound in a 200 ...)
        except Exception as e:  # noqa: BLE001 - the one guard of every reply read
            # The body did not have the shape the API promises (cut off, changed, hostile):
            # whatever the parser tripped on (a missing key, a wrong type, bad WKT, nesting
            # too deep) is a ProtocolError naming the request, never a raw exception.
            return ProtocolError(f"unexpected response body ({type(e).__name__}: {str(e)[:300]})",
                                 method=method, path=path, status=response.status_code)
        return error

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
                f"the server redirected to {_where(where)} (a missing trailing slash?); not followed",
                status=response.status_code,
                method=method,
                path=path,
            )
        error = self.backend.error_from_response(response)
        if error is None and response.status_code >= 400:
            text = error_text(response)
            error = error_for_status(response.status_code)(
                response.reason or f"HTTP {response.status_code}", server_message=text
            )
        if error is not None:
            error.status = response.status_code
            error.method = method
            error.path = path
        return error

    def _sleep(self, attempt: int, retry_after: float | None) -> None:
        delay = self.retry.pause(attempt, retry_after)
        flag = _interrupt.get()
        if flag is not None:
            flag.wait(delay)  # Ctrl-C ends the pause (and the retry: see the interrupted() checks)
        else:
            time.sleep(delay)

    def derive(self, base_url: str, *, auth: requests.auth.AuthBase | None = None) -> "Transport":
        """Another host (tiles, images) with this one's deadlines, retries and caps, and its own
        auth (none by default: credentials stay with their server). Close it when done."""
        derived = Transport(base_url, self.backend, auth=auth, timeout=self.timeout, retry=self.retry,
                            max_workers=self.max_workers, verify=self.verify, progress=self.progress,
                            max_body=self.max_body)
        derived.kind_confirmed = True  # another host (tiles, images): never probed for the API's kind
        return derived

__all__ = ["DEFAULT_MAX_BODY", "Failure", "Outcome", "RetryPolicy", "Transport", "body_text", "error_text",
           "interrupted", "json_as", "parse_json", "parse_retry_after", "parse_text", "same_origin"]
