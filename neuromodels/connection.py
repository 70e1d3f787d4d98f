"""Connection: one server, its credentials and options, and the current-connection stack.

Which backends there are is :mod:`neuromodels.registry`'s (its names are importable from here too).
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from .core.backend import Backend
from .registry import (  # noqa: F401 - re-exported: where scripts and tests found them first
    BACKENDS as BACKENDS, ENTRY_POINT_GROUP as ENTRY_POINT_GROUP, available_backends as available_backends,
    load_backend as load_backend, register_backend as register_backend,
)
from .credentials import (
    BasicAuth, Secret, _env_settings, _profile_settings, _reveal, _secret, _split_userinfo, _strip_userinfo, basic_auth,
)
from .core.errors import NoConnection, NotSupported
from .options import COMMON_OPTIONS, _number, _suggest
from .retry import RetryPolicy
from .raw import RawRequestsMixin
from .transport import DEFAULT_MAX_BODY, Transport

if TYPE_CHECKING:
    from .cache import ReadCache

from .core import context
from .core.context import _current  # noqa: F401 - where tests and tools looked for it first


class Connection(RawRequestsMixin):
    """A server, its credentials and its options; the context every model call uses.

    >>> from neuromodels import Connection
    >>> conn = Connection("catmaid+http://127.0.0.1:8000", project=1, token="secret")
    >>> conn
    <Connection catmaid http://127.0.0.1:8000 project=1>

    Use it as a context manager to make it current for the code inside (nesting restores the
    previous one; other threads never see it), or pass ``connection=`` to any model call.
    In a notebook, :meth:`activate` makes it current for the rest of the session instead.
    Constructing a connection sends nothing. ``conn.get(path, params=...)``, ``post``, ``put``
    and ``delete`` send raw requests with the same authentication, retries and typed errors.

    Credentials (``token``, ``public_key``, ``private_key``, ``http_password``, or a password in
    the URL as ``https://user:password@host``) are kept in :class:`Secret` wrappers: never in
    ``conn.url``, ``repr(conn)``, ``vars(conn)``, log lines or error texts. Surrounding
    whitespace is stripped from tokens and keys. ``timeout`` bounds each request as a whole
    (body included); ``max_body`` caps a decoded response (bytes, default 256 MiB, ``None`` for
    no cap). ``verify`` is ``True``, ``False`` or the path of a CA bundle, and holds whatever
    ``REQUESTS_CA_BUNDLE`` says.

    Worker threads you start yourself do not inherit a ``with`` block: give them the connection
    explicitly, either ``Neuron.fetch(16, connection=conn)`` or ``with conn:`` inside the thread.
    (A connection made current with :meth:`activate` is seen by every thread.)
    """

    def __init__(
        self,
        url: str,
        backend: str | None = None,
        *,
        project: Any = None,
        token: "str | Secret | None" = None,
        http_user: str | None = None,
        http_password: "str | Secret | None" = None,
        timeout: float = 30.0,
        max_workers: int | None = None,
        retries: "int | RetryPolicy" = 3,
        backoff: float = 0.5,
        verify: bool | str = True,
        progress: bool | None = None,
        public_key: "str | Secret | None" = None,
        private_key: "str | Secret | None" = None,
        max_body: int | None = DEFAULT_MAX_BODY,
        cache: bool | str | None = None,
        cache_ttl: float | None = None,
        **backend_options: Any,
    ) -> None:
        # Credentials are wrapped first, rebinding the argument names, so that no frame of a
        # traceback raised from here on holds them in clear.
        token = _secret("token", token)
        public_key = _secret("public_key", public_key)
        private_key = _secret("private_key", private_key)
        http_password = _secret("http_password", http_password, strip=False)
        if not isinstance(url, str) or not url:
            raise TypeError("url must be a non-empty string")
        url, url_user, url_password = _split_userinfo(url.strip())
        if url_user is not None:
            if http_user is not None and http_user != url_user:
                raise ValueError("the URL names another http_user than http_user=")
            http_user = url_user
            http_password = http_password or url_password
        scheme, sep, rest = url.partition("://")
        if "+" in scheme:
            prefix, scheme = scheme.split("+", 1)
            if backend is not None and backend != prefix:
                raise ValueError(f"the URL says backend {prefix!r} but backend={backend!r} was given")
            backend = prefix
        if not sep or scheme not in ("http", "https"):
            raise ValueError("url must start with http:// or https:// (optionally 'backend+' before it)")
        if backend is None:
            if backend_options:
                backend_options = dict.fromkeys(backend_options, "***")  # a misplaced token stays out of locals
                self._refuse_unknown(backend_options, [])
            raise ValueError(f"say which server this is: backend= one of {', '.join(available_backends())}")
        _number("timeout", timeout, minimum=0, strictly=True)
        _number("backoff", backoff, minimum=0)
        if isinstance(retries, RetryPolicy):
            retry = retries
        else:
            _number("retries", retries, minimum=0, whole=True)
            retry = RetryPolicy(total=retries, backoff=backoff)
        if max_workers is not None:
            _number("max_workers", max_workers, minimum=1, whole=True)
        if max_body is not None:
            _number("max_body", max_body, minimum=1, whole=True)
        if not isinstance(verify, (bool, str)):
            raise TypeError("verify must be True, False or the path of a CA bundle")
        if isinstance(verify, str) and not os.path.exists(os.path.expanduser(verify)):
            raise ValueError(f"verify={verify!r}: no such CA bundle file or directory")
        if progress is not None and not isinstance(progress, bool):
            raise TypeError(f"progress must be True, False or None, not {progress!r}")
        if cache is not None and not isinstance(cache, (bool, str)):
            raise TypeError(f"cache must be True (in memory), a SQLite file's path, or None, not {cache!r}")
        if cache_ttl is not None:
            _number("cache_ttl", cache_ttl, minimum=0, strictly=True)
        self.backend: Backend = load_backend(backend)
        unknown = set(backend_options) - set(self.backend.options)
        if unknown:
            backend_options = dict.fromkeys(backend_options, "***")
            self._refuse_unknown({k: backend_options[k] for k in unknown}, list(self.backend.options))
        self.options: dict[str, Any] = {**self.backend.options, **backend_options}
        self.url = f"{scheme}://{rest}".rstrip("/")
        self.project = self.backend.check_project(project)
        # Credentials live in Secret wrappers and never reach repr, logs or errors.
        self._token = token
        self._http_user = http_user
        self._http_password = http_password
        self._public_key = public_key
        self._private_key = private_key
        self.timeout = float(timeout)
        self.max_workers = max_workers or self.backend.default_max_workers
        #: When a request is tried again; ``retries`` is its number of further attempts.
        self.retry = retry
        self.retries = retry.total
        self.verify: bool | str = os.path.expanduser(verify) if isinstance(verify, str) else verify
        self.progress = progress
        self.max_body = max_body
        self._active = 0  # open `with` blocks, across threads
        self._active_lock = threading.Lock()
        self.transport = Transport(
            self.url,
            self.backend,
            auth=self.backend.auth(self),
            timeout=self.timeout,
            retry=retry,
            max_workers=self.max_workers,
            verify=self.verify,
            progress=progress,
            max_body=max_body,
            cache=self._read_cache(cache, cache_ttl),
        )

    def _read_cache(self, cache: bool | str | None, ttl: float | None) -> "ReadCache | None":
        if cache is None or cache is False:
            return None
        from .cache import ReadCache

        # Entries are keyed by a fingerprint of who asks, never by the credentials themselves
        # (hashed at once, so no frame holds them in clear).
        return ReadCache(os.path.expanduser(cache) if isinstance(cache, str) else True, ttl, hashlib.sha256(
            "\x00".join(str(v) for v in (self.url, self.backend.name, self.project, self.token, self.http_auth,
                                         self.keys)).encode()).hexdigest())

    def _refuse_unknown(self, given: Mapping[str, Any], own: list[str]) -> None:
        known = list(COMMON_OPTIONS) + own
        names = ", ".join(_suggest(name, known) for name in sorted(given))
        mine = f"; this backend's own options: {', '.join(sorted(own))}" if own else ""
        raise TypeError(f"Connection() got unknown option(s) {names}{mine}")

    # Read access for backends; deliberately not shown anywhere.
    @property
    def token(self) -> str | None:
        return _reveal(self._token)

    @property
    def http_auth(self) -> tuple[str, str] | None:
        if self._http_user is None:
            return None
        return (self._http_user, _reveal(self._http_password) or "")

    @property
    def keys(self) -> tuple[str | None, str | None]:
        return (_reveal(self._public_key), _reveal(self._private_key))

    # -- other ways to make one ---------------------------------------------------------------------
    @classmethod
    def from_env(cls, **overrides: Any) -> "Connection":
        """A connection from environment variables (keywords override them).

        ``NEUROMODELS_URL``, ``NEUROMODELS_BACKEND``, ``NEUROMODELS_PROJECT``,
        ``NEUROMODELS_TOKEN``, ``NEUROMODELS_PUBLIC_KEY``, ``NEUROMODELS_PRIVATE_KEY``,
        ``NEUROMODELS_HTTP_USER``, ``NEUROMODELS_HTTP_PASSWORD``. Without ``NEUROMODELS_URL``,
        the variables of other clients that backends declare
        (:class:`~neuromodels.core.backend.ForeignEnvironment`) are read: for CATMAID, pymaid's
        (``CATMAID_SERVER``, ``CATMAID_API_TOKEN``, ``CATMAID_HTTP_USER``,
        ``CATMAID_HTTP_PASSWORD``), connecting to project 1 unless ``NEUROMODELS_PROJECT`` or
        ``project=`` says otherwise, as in pymaid.

        >>> import os
        >>> os.environ.update(NEUROMODELS_URL="catmaid+http://127.0.0.1:8000", NEUROMODELS_PROJECT="1")
        >>> Connection.from_env()
        <Connection catmaid http://127.0.0.1:8000 project=1>
        >>> for name in ("NEUROMODELS_URL", "NEUROMODELS_PROJECT"):
        ...     del os.environ[name]
        """
        return cls(**_env_settings(overrides))

    @staticmethod
    def profiles_path() -> Path:
        """Where named profiles live: ``$XDG_CONFIG_HOME/neuromodels/profiles.ini``
        (``~/.config/neuromodels/profiles.ini`` by default)."""
        base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
        return Path(base) / "neuromodels" / "profiles.ini"

    @classmethod
    def from_profile(cls, name: str, *, path: "str | os.PathLike[str] | None" = None, **overrides: Any) -> "Connection":
        """A connection from a named profile (keywords override it).

        A profile is a section of an INI file (:meth:`profiles_path`; keep it readable by you
        only, ``chmod 600``) whose keys are :class:`Connection`'s keywords, plus ``url`` and
        ``token_file`` (a file holding the token, read and stripped)::

            [lab]
            url = https://catmaid.lab.example.org
            backend = catmaid
            project = 3
            token_file = ~/.config/neuromodels/lab-token

        >>> import pathlib, tempfile
        >>> ini = pathlib.Path(tempfile.mkdtemp()) / "profiles.ini"
        >>> _ = ini.write_text("[local]\\nurl = http://127.0.0.1:8000\\nbackend = catmaid\\nproject = 2\\n")
        >>> Connection.from_profile("local", path=ini)
        <Connection catmaid http://127.0.0.1:8000 project=2>
        """
        file = Path(path) if path is not None else cls.profiles_path()
        return cls(**{**_profile_settings(name, file), **overrides})

    # -- current-connection stack ---------------------------------------------------------------
    def __enter__(self) -> "Connection":
        self._refuse_closed()
        # The token stack lives in the context, so threads sharing this connection each
        # restore their own previous connection.
        context.enter(self)
        with self._active_lock:
            self._active += 1
        return self

    def __exit__(self, *exc: Any) -> None:
        context.leave()
        with self._active_lock:
            self._active -= 1
            last = self._active == 0
        if last and context.activated() is not self:  # closes when no thread uses it any more
            self.transport.close()

    def activate(self) -> "Connection":
        """Make this the current connection for the rest of the session (a notebook or a
        script), without a ``with`` block; returns the connection.

        Every thread sees it wherever no ``with`` block says otherwise; ``with other:`` still
        takes precedence inside its block. :meth:`deactivate` or :meth:`close` ends it.

        >>> conn = Connection("catmaid+http://127.0.0.1:8000", project=1).activate()
        >>> Connection.current() is conn
        True
        >>> conn.deactivate()
        """
        context.activate(self)
        return self

    def deactivate(self) -> None:
        """Stop being the session's current connection (if it is)."""
        context.deactivate(self)

    def close(self) -> None:
        """Close the HTTP session and :meth:`deactivate`. A closed connection stays closed: using
        it again (``with conn:``, ``connection=conn``) raises :class:`NoConnection` rather than
        quietly opening a new session; make a new ``Connection`` instead."""
        self._closed = True
        self.deactivate()
        self.transport.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return getattr(self, "_closed", False)

    def _refuse_closed(self) -> None:
        if self.closed:
            raise NoConnection(f"{self!r} was closed (conn.close()); a closed connection is not reopened: "
                               "make a new Connection")

    @staticmethod
    def current(connection: "Connection | None" = None) -> "Connection":
        """The connection to use: ``connection`` if given, else the innermost ``with``, else the
        one made current by :meth:`activate` (the rule lives in :mod:`neuromodels.core.context`)."""
        if connection is not None and not isinstance(connection, Connection):
            raise TypeError(f"connection= must be a Connection, not {type(connection).__name__}")
        return context.current(connection)

    # -- conveniences -----------------------------------------------------------------------------
    def ping(self) -> Any:
        """Ask the server about itself (CATMAID: ``/version``)."""
        return self.backend.ping(self)

    def get(self, path: str, *, params: Any = None) -> Any:
        """A raw GET of ``path`` (from the server's root, e.g. ``"/1/skeletons/"``) for what the
        models do not cover: the connection's auth, retries, deadlines and typed errors; the
        parsed JSON body. Backends without raw requests raise ``NotSupported``."""
        return self._raw("GET", path, params=params, data=None, read=True)

    def post(self, path: str, *, data: Any = None, params: Any = None, read: bool = False) -> Any:
        """A raw POST (see :meth:`get`); ``read=True`` declares it only reads, so it is retried
        like a GET."""
        return self._raw("POST", path, params=params, data=data, read=read)

    def _raw(self, method: str, path: str, **kwargs: Any) -> Any:
        raw = getattr(self.backend, "raw_request", None)
        if raw is None:
            raise NotSupported(f"the {self.backend.name} backend has no raw requests; use its models")
        return raw(self, method, path, **kwargs)

    def __repr__(self) -> str:
        # getattr: also shown half-built, as a local variable of a failing __init__
        backend = getattr(getattr(self, "backend", None), "name", "?")
        url = getattr(self, "url", None)
        project = getattr(self, "project", None)
        where = _strip_userinfo(url) if url else "(not set up)"
        return f"<Connection {backend} {where}{f' project={project!r}' if project is not None else ''}>"

    __str__ = __repr__


__all__ = ["BACKENDS", "BasicAuth", "COMMON_OPTIONS", "ENTRY_POINT_GROUP", "Connection", "Secret", "available_backends",
           "basic_auth", "load_backend", "register_backend"]
