"""Clio's bearer tokens: where they are found, when they expire, and handing in a fresh one.

Without ``token=``, a connection reads the token from ``CLIO_TOKEN``, then
``~/.config/neuromodels/clio-token`` (the bare token), then the file clio-py's
``clio.set_token()`` writes, ``~/clio_token.json`` (``{"token": "..."}``). Such a stored token
is read again when the one in use has expired, so saving a fresh one is enough.

Clio tokens expire (clio-store's last three weeks, the DatasetGateway's a week): an expired
JWT is refused before any request, with what to do. :func:`use_token` hands a fresh token to
a connection, :func:`refresh_token` asks the store for one while the current one is valid,
:func:`save_token` keeps one where connections find it.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import requests

from ...connection import Connection, Secret
from ...core.errors import AuthenticationError

#: Where a token is looked for when the connection has none.
TOKEN_ENV = "CLIO_TOKEN"
TOKEN_FILE = Path("~/.config/neuromodels/clio-token")
#: Where clio-py's ``set_token()`` keeps it: JSON ``{"token": "..."}``.
CLIO_PY_TOKEN_FILE = Path("~/clio_token.json")
NO_TOKEN = ("the Clio store needs a token: pass token= to Connection, or set NEUROMODELS_TOKEN or CLIO_TOKEN, "
            "or save one with clio-py's clio.set_token()")
FRESH = ("hand in a fresh one: neuromodels.backends.clio.use_token(token, connection=conn), or save it "
         "(save_token(token), CLIO_TOKEN, or clio-py's clio.set_token()) where it is read again once the "
         "one in use has expired")


def stored_token() -> Secret | None:
    """The token from the environment or a token file, if any (see the module docstring)."""
    if os.environ.get(TOKEN_ENV, "").strip():
        return Secret(os.environ[TOKEN_ENV].strip())
    path = TOKEN_FILE.expanduser()
    if path.is_file():
        text = path.read_text(encoding="utf-8").strip()
        if text:
            return Secret(text)
    path = CLIO_PY_TOKEN_FILE.expanduser()
    if path.is_file():
        try:
            body = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError:
            return None
        token = body.get("token") if isinstance(body, dict) else None
        if isinstance(token, str) and token.strip():
            return Secret(token.strip().replace('"', ""))
    return None


def token_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT, read without verifying it (None for opaque tokens)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        return None
    exp = payload.get("exp") if isinstance(payload, dict) else None
    return float(exp) if isinstance(exp, (int, float)) else None


def _expired(expires: float | None) -> bool:
    return expires is not None and expires <= time.time()


class ClioAuth(requests.auth.AuthBase):
    """The bearer token of one connection; replaceable (every session of the connection shares
    this object), and re-read from where it was stored when it came from there and expired."""

    def __init__(self, token: "str | Secret", *, stored: bool = False) -> None:
        self._lock = threading.Lock()
        self._stored = stored
        self.replace(token)

    def replace(self, token: "str | Secret") -> None:
        secret = token if isinstance(token, Secret) else Secret(token)
        with getattr(self, "_lock", threading.Lock()):
            self._token, self._expires = secret, token_expiry(secret.reveal())

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        with self._lock:
            if _expired(self._expires) and self._stored:
                fresh = stored_token()
                if fresh is not None and not _expired(token_expiry(fresh.reveal())):
                    self._token, self._expires = fresh, token_expiry(fresh.reveal())
            token, expires = self._token, self._expires
        if _expired(expires):
            assert expires is not None
            when = dt.datetime.fromtimestamp(expires, dt.timezone.utc).isoformat(timespec="seconds")
            raise AuthenticationError(f"the Clio token expired at {when}; {FRESH}")
        r.headers["Authorization"] = f"Bearer {token.reveal()}"
        return r

    def __repr__(self) -> str:
        return "<ClioAuth>"


def auth_for(conn: Connection) -> ClioAuth | None:
    if conn.token:
        return ClioAuth(Secret(conn.token))
    token = stored_token()
    return ClioAuth(token, stored=True) if token is not None else None


def _clio(connection: Connection | None, what: str) -> Connection:
    from ...core.errors import NotSupported

    conn = Connection.current(connection)
    if conn.backend.name != "clio":
        raise NotSupported(f"{what} is a Clio call; this connection is to a {conn.backend.name} server")
    return conn


def use_token(token: str, *, connection: Connection | None = None) -> None:
    """Hand a fresh token to a connection (every later request sends it).

    >>> use_token(conn.token)
    >>> Annotation.fetch(10003).properties["hemilineage"]
    '08A'
    """
    conn = _clio(connection, "use_token()")
    if not isinstance(token, str) or not token.strip():
        raise ValueError("a Clio token is a non-empty string")
    secret = Secret(token.strip())
    if _expired(token_expiry(secret.reveal())):
        raise AuthenticationError(f"this token has expired too; {FRESH}")
    transport: Any = conn.transport
    if isinstance(transport.auth, ClioAuth):
        transport.auth.replace(secret)
    else:
        transport.auth = ClioAuth(secret)
        session = getattr(transport, "_session", None)
        if session is not None:
            session.auth = transport.auth
    conn._token = secret  # what conn.token reads


def refresh_token(*, save: bool = False, connection: Connection | None = None) -> None:
    """Ask the store for a new token (``POST /v2/server/token``, while the one in use is still
    valid) and use it from now on; ``save=True`` also keeps it in
    ``~/.config/neuromodels/clio-token``.

    >>> import time
    >>> refresh_token()
    >>> round((token_expiry(conn.token) - time.time()) / 86400)  # days left: the store's tokens last 3 weeks
    21
    """
    conn = _clio(connection, "refresh_token()")
    fresh = conn.transport.request("POST", "/v2/server/token", parse=lambda r: orjson.loads(r.content))
    if not isinstance(fresh, str) or not fresh.strip():
        raise TypeError("the store answered with something else than a token")
    use_token(fresh, connection=conn)
    if save:
        save_token(fresh)


def save_token(token: str) -> Path:
    """Keep a token in ``~/.config/neuromodels/clio-token`` (readable by its owner only), where
    connections without ``token=`` find it; returns the path."""
    if not isinstance(token, str) or not token.strip():
        raise ValueError("a Clio token is a non-empty string")
    path = TOKEN_FILE.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token.strip() + "\n")
    return path
