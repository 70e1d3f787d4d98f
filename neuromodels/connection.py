"""Connection: one server, its credentials and options, and the current-connection stack."""

from __future__ import annotations

import contextvars
import importlib
import os
import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from .backends.base import Backend
from .errors import NoConnection
from .transport import Transport

#: Backend name -> module holding its ``BACKEND`` class. Imported on first use only.
BACKENDS: dict[str, str] = {
    "catmaid": "neuromodels.backends.catmaid",
    "cytomine": "neuromodels.backends.cytomine",
    "neuromorpho": "neuromodels.backends.neuromorpho",
    "clio": "neuromodels.backends.clio",
}

_current: contextvars.ContextVar[tuple["Connection", ...]] = contextvars.ContextVar(
    "neuromodels_connections", default=()
)
#: The reset tokens of the ``with`` blocks open in this context (thread or task), innermost last.
_tokens: contextvars.ContextVar[tuple[contextvars.Token[tuple["Connection", ...]], ...]] = contextvars.ContextVar(
    "neuromodels_connection_tokens", default=()
)


def load_backend(name: str) -> Backend:
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; the backends are: {', '.join(sorted(BACKENDS))}")
    try:
        module = importlib.import_module(BACKENDS[name])
    except ModuleNotFoundError as e:
        from .errors import NotSupported

        raise NotSupported(f"the {name} backend is not part of this version of neuromodels") from e
    return module.BACKEND()


def _strip_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if "@" in parts.netloc:
        parts = parts._replace(netloc=parts.netloc.rsplit("@", 1)[1])
    return urlunsplit(parts)


class Connection:
    """A server, its credentials and its options; the context every model call uses.

    >>> from neuromodels import Connection
    >>> conn = Connection("catmaid+http://127.0.0.1:8000", project=1, token="secret")
    >>> conn
    <Connection catmaid http://127.0.0.1:8000 project=1>

    Use it as a context manager to make it current for the code inside (nesting restores the
    previous one; other threads never see it), or pass ``connection=`` to any model call.
    Constructing a connection sends nothing.
    """

    def __init__(
        self,
        url: str,
        backend: str | None = None,
        *,
        project: Any = None,
        token: str | None = None,
        http_user: str | None = None,
        http_password: str | None = None,
        timeout: float = 30.0,
        max_workers: int | None = None,
        retries: int = 3,
        backoff: float = 0.5,
        verify: bool | str = True,
        progress: bool | None = None,
        public_key: str | None = None,
        private_key: str | None = None,
        **backend_options: Any,
    ) -> None:
        if not isinstance(url, str) or not url:
            raise TypeError("url must be a non-empty string")
        scheme, sep, rest = url.partition("://")
        if "+" in scheme:
            prefix, scheme = scheme.split("+", 1)
            if backend is not None and backend != prefix:
                raise ValueError(f"the URL says backend {prefix!r} but backend={backend!r} was given")
            backend = prefix
        if not sep or scheme not in ("http", "https"):
            raise ValueError("url must start with http:// or https:// (optionally 'backend+' before it)")
        if backend is None:
            raise ValueError(f"say which server this is: backend= one of {', '.join(sorted(BACKENDS))}")
        if not (isinstance(timeout, (int, float)) and timeout > 0):
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        if not (isinstance(retries, int) and retries >= 0):
            raise ValueError(f"retries must be a whole number >= 0, not {retries!r}")
        if max_workers is not None and not (isinstance(max_workers, int) and max_workers >= 1):
            raise ValueError(f"max_workers must be a whole number >= 1, not {max_workers!r}")
        if not isinstance(verify, (bool, str)):
            raise TypeError("verify must be True, False or the path of a CA bundle")
        self.backend: Backend = load_backend(backend)
        unknown = set(backend_options) - set(self.backend.options)
        if unknown:
            allowed = ", ".join(sorted(self.backend.options)) or "none"
            raise TypeError(f"unknown option(s) {', '.join(sorted(unknown))} for {backend}; its own options: {allowed}")
        self.options: dict[str, Any] = {**self.backend.options, **backend_options}
        self.url = f"{scheme}://{rest}".rstrip("/")
        self.project = project
        # Credentials live in private attributes and never reach repr, logs or errors.
        self._token = token
        self._http_user = http_user
        self._http_password = http_password
        self._public_key = public_key
        self._private_key = private_key
        self.timeout = float(timeout)
        self.max_workers = max_workers or self.backend.default_max_workers
        self.retries = retries
        self.verify = verify
        self.progress = progress
        #: Per-connection memo for things read once (relation ids, field lists...).
        self.cache: dict[str, Any] = {}
        self._active = 0  # open `with` blocks, across threads
        self._active_lock = threading.Lock()
        self.transport = Transport(
            self.url,
            self.backend,
            auth=self.backend.auth(self),
            timeout=self.timeout,
            retries=retries,
            backoff=backoff,
            max_workers=self.max_workers,
            verify=verify,
            progress=progress,
        )

    # Read access for backends; deliberately not shown anywhere.
    @property
    def token(self) -> str | None:
        return self._token

    @property
    def http_auth(self) -> tuple[str, str] | None:
        if self._http_user is None:
            return None
        return (self._http_user, self._http_password or "")

    @property
    def keys(self) -> tuple[str | None, str | None]:
        return (self._public_key, self._private_key)

    @classmethod
    def from_env(cls, **overrides: Any) -> "Connection":
        """A connection from ``NEUROMODELS_*`` environment variables (keywords override them).

        >>> # NEUROMODELS_URL=catmaid+https://catmaid.example.org NEUROMODELS_PROJECT=1 ...
        >>> # conn = Connection.from_env()
        """
        env = os.environ
        url = overrides.pop("url", None) or env.get("NEUROMODELS_URL")
        if not url:
            raise ValueError("NEUROMODELS_URL is not set")
        kwargs: dict[str, Any] = {}
        names = {
            "backend": "NEUROMODELS_BACKEND",
            "project": "NEUROMODELS_PROJECT",
            "token": "NEUROMODELS_TOKEN",
            "public_key": "NEUROMODELS_PUBLIC_KEY",
            "private_key": "NEUROMODELS_PRIVATE_KEY",
            "http_user": "NEUROMODELS_HTTP_USER",
            "http_password": "NEUROMODELS_HTTP_PASSWORD",
        }
        for key, var in names.items():
            if env.get(var):
                kwargs[key] = env[var]
        project = kwargs.get("project")
        if isinstance(project, str) and project.lstrip("-").isdigit():
            kwargs["project"] = int(project)
        kwargs.update(overrides)
        return cls(url, **kwargs)

    # -- current-connection stack ---------------------------------------------------------------
    def __enter__(self) -> "Connection":
        # The token stack lives in the context, so threads sharing this connection each
        # restore their own previous connection.
        _tokens.set(_tokens.get() + (_current.set(_current.get() + (self,)),))
        with self._active_lock:
            self._active += 1
        return self

    def __exit__(self, *exc: Any) -> None:
        stack = _tokens.get()
        _current.reset(stack[-1])
        _tokens.set(stack[:-1])
        with self._active_lock:
            self._active -= 1
            last = self._active == 0
        if last:  # the session closes when no thread is inside a `with` block any more
            self.close()

    def close(self) -> None:
        """Close the HTTP session (a later request opens a new one)."""
        self.transport.close()

    @staticmethod
    def current(connection: "Connection | None" = None) -> "Connection":
        """The connection to use: ``connection`` if given, else the innermost ``with``."""
        if connection is not None:
            if not isinstance(connection, Connection):
                raise TypeError(f"connection= must be a Connection, not {type(connection).__name__}")
            return connection
        stack = _current.get()
        if not stack:
            raise NoConnection(
                "no current connection: use `with Connection(...):` or pass connection=..."
            )
        return stack[-1]

    # -- conveniences -----------------------------------------------------------------------------
    def ping(self) -> Any:
        """Ask the server about itself (CATMAID: ``/version``)."""
        return self.backend.ping(self)

    def __repr__(self) -> str:
        project = f" project={self.project!r}" if self.project is not None else ""
        return f"<Connection {self.backend.name} {_strip_userinfo(self.url)}{project}>"

    __str__ = __repr__


def basic_auth(conn: Connection) -> requests.auth.HTTPBasicAuth | None:
    """HTTP basic auth from the connection's ``http_user``/``http_password``, if any."""
    pair = conn.http_auth
    return requests.auth.HTTPBasicAuth(*pair) if pair else None
