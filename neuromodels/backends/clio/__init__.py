"""The Clio backend: declarations in :mod:`.resources`; Bearer tokens checked for expiry here.

Without ``token=``, the token is read from ``CLIO_TOKEN``, then ``~/.config/neuromodels/clio-token``
(the bare token), then the file clio-py's ``clio.set_token()`` writes, ``~/clio_token.json``
(``{"token": "..."}``).
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import orjson
import requests

from ...connection import Connection, Secret
from ...errors import AuthenticationError, CredentialsRequired, NeuromodelsError, error_for_status
from ...transport import error_text
from ...resources import Annotation, Connector, ImageInstance, Neuron, Project, Volume
from ..base import Backend, decode_json
from . import resources
from ...landmarks import Landmark, LandmarkGroup, Sampler
from ..resource import absent

#: Where a token is looked for when the connection has none.
TOKEN_ENV = "CLIO_TOKEN"
TOKEN_FILE = Path("~/.config/neuromodels/clio-token")
#: Where clio-py's ``set_token()`` keeps it: JSON ``{"token": "..."}``.
CLIO_PY_TOKEN_FILE = Path("~/clio_token.json")
NO_TOKEN = ("the Clio store needs a token: pass token= to Connection, or set NEUROMODELS_TOKEN or CLIO_TOKEN, "
            "or save one with clio-py's clio.set_token()")


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


class ClioAuth(requests.auth.AuthBase):
    def __init__(self, token: "str | Secret") -> None:
        self._token = token if isinstance(token, Secret) else Secret(token)
        self._expires = token_expiry(self._token.reveal())

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._expires is not None and self._expires <= time.time():
            when = dt.datetime.fromtimestamp(self._expires, dt.timezone.utc).isoformat(timespec="seconds")
            raise AuthenticationError(f"the Clio token expired at {when}; get a new one (POST /v2/server/token)")
        r.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        return r

    def __repr__(self) -> str:
        return "<ClioAuth>"


class ClioBackend(Backend):
    name = "clio"
    resources = {
        Project: resources.ClioProject,
        Annotation: resources.ClioAnnotation,
        Neuron: resources.ClioNeuron,
        ImageInstance: resources.ClioImageInstance,
        Connector: resources.ClioConnector,
        Volume: resources.ClioVolume,
        Landmark: absent("Clio annotates bodies by id; it has no landmarks"),
        LandmarkGroup: absent("Clio annotates bodies by id; it has no landmark groups"),
        Sampler: absent("Clio holds body annotations, not traced skeletons to sample"),
    }
    #: ``version``: a tag or UUID for reads and writes (default: the dataset's own);
    #: ``replace``/``conditional``: write modes (also per collection).
    options = {"version": None, "replace": False, "conditional": None}

    def auth(self, conn: Connection) -> requests.auth.AuthBase | None:
        token = Secret(conn.token) if conn.token else stored_token()
        return ClioAuth(token) if token is not None else None

    def error_from_response(self, response: requests.Response) -> NeuromodelsError | None:
        status = response.status_code
        if status < 400 and not response.content.startswith(b'{"detail"'):
            return None  # FastAPI errors are {"detail": ...}; a 200 carrying one is checked below
        body = decode_json(response)
        detail = body.get("detail") if isinstance(body, dict) else None
        if isinstance(detail, list):  # FastAPI validation errors
            detail = "; ".join(f"{'.'.join(map(str, d.get('loc', [])))}: {d.get('msg')}" for d in detail)
        if status < 400 and not (isinstance(body, dict) and set(body) == {"detail"}):
            return None
        message = str(detail or error_text(response) or response.reason or f"HTTP {status}")
        if status == 401 and "Authorization" not in (getattr(response.request, "headers", None) or {}):
            return CredentialsRequired(f"{NO_TOKEN} (it said: {message[:120]})", server_message=message)
        return error_for_status(status if status >= 400 else 400)(message, server_message=message)

    def ping(self, conn: Connection) -> Any:
        return conn.transport.request("GET", "/v2/datasets")


BACKEND = ClioBackend
