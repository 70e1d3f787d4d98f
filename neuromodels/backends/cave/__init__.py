"""The CAVE backend (FlyWire, MICrONS): declarations in :mod:`.resources` and :mod:`.neurons`;
the token, the error envelope and ``ping`` here.

``Connection(url, backend="cave", project=<datastack>)`` where ``url`` is the deployment's global
server (info, auth and schema services; e.g. ``https://global.daf-apis.com``). Without
``token=``, the token is read as CAVEclient reads it: ``CAVE_TOKEN``, then
``~/.cloudvolume/secrets/<server>-cave-secret.json``, then
``~/.cloudvolume/secrets/cave-secret.json`` (``{"token": "..."}``), then the older
``chunkedgraph-secret.json``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests

from ...connection import Connection, Secret
from ...core.errors import CredentialsRequired, NeuromodelsError, error_for_status
from ...models import Annotation, Connector, ImageInstance, Neuron, Project, Volume
from ...transport import error_text
from ...core.backend import Backend, ServerIdentity, decode_json
from . import resources

TOKEN_ENV = "CAVE_TOKEN"
SECRETS = Path("~/.cloudvolume/secrets")
NO_TOKEN = ("CAVE needs a token: pass token= to Connection, set CAVE_TOKEN, or save one as CAVEclient does "
            "(client.auth.save_token)")


def token_files(server: str) -> list[Path]:
    """Where CAVEclient keeps tokens, most specific first."""
    netloc = urlsplit(server if "://" in server else "https://" + server).netloc
    folder = SECRETS.expanduser()
    return [folder / f"{netloc}-cave-secret.json", folder / "cave-secret.json", folder / "chunkedgraph-secret.json"]


def stored_token(server: str) -> Secret | None:
    """The token from the environment or CAVEclient's secrets files, if any (see the module docstring)."""
    if os.environ.get(TOKEN_ENV, "").strip():
        return Secret(os.environ[TOKEN_ENV].strip())
    for path in token_files(server):
        if not path.is_file():
            continue
        try:
            body = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError:
            continue
        token = body.get("token") if isinstance(body, dict) else None
        if isinstance(token, str) and token.strip():
            return Secret(token.strip())
    return None


#: How the services' error bodies start (flask-restx's envelope).
ENVELOPES = (b'{"message"', b'{"code"', b'{"error"')


class CaveAuth(requests.auth.AuthBase):
    def __init__(self, token: Secret) -> None:
        self._token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        return r

    def __repr__(self) -> str:
        return "<CaveAuth>"


class CaveBackend(Backend):
    name = "cave"
    demo = "neuromodels.backends.cave.demo:demo"
    #: The materialization service lists the API versions it serves (CAVEclient asks the same).
    identity = ServerIdentity("CAVE", "/materialize/api/versions",
                              lambda body: isinstance(body, list) and bool(body) and all(type(v) is int for v in body))
    resources = {
        Project: resources.CaveProject,
        Annotation: resources.CaveAnnotation,
        Neuron: resources.CaveNeuron,
        Connector: resources.CaveConnector,
        ImageInstance: resources.CaveImageInstance,
        Volume: resources.CaveVolume,
    }
    #: A public deployment is shared by many: fewer parallel requests than a private server.
    default_max_workers = 4
    #: ``version``: the materialization version every read is at (as CAVEclient's ``version=``);
    #: ``timestamp``: the moment reads are for. A collection's own ``version=``/``timestamp=`` wins.
    options = {"version": None, "timestamp": None}

    def auth(self, conn: Connection) -> requests.auth.AuthBase | None:
        token = Secret(conn.token) if conn.token else stored_token(conn.url)
        return CaveAuth(token) if token is not None else None

    def error_from_response(self, response: requests.Response) -> NeuromodelsError | None:
        """The services answer errors as ``{"message": ...}`` (flask-restx), sometimes with
        ``"error"``, or as a bare JSON string."""
        status = response.status_code
        if status < 400 and not response.content.startswith(ENVELOPES):
            return None
        body = decode_json(response)
        if status < 400:  # an error envelope alone is never a success reply of these services
            if not (isinstance(body, dict) and "message" in body and set(body) <= {"message", "code", "error", "traceback"}):
                return None
            status = 400
        message = body.get("message") or body.get("error") if isinstance(body, dict) else body
        if isinstance(message, (dict, list)):
            message = orjson.dumps(message).decode()
        text = str(message or error_text(response) or response.reason or f"HTTP {status}")
        if status == 401 and "Authorization" not in (getattr(response.request, "headers", None) or {}):
            return CredentialsRequired(f"{NO_TOKEN} (it said: {text[:120]})", server_message=text)
        return error_for_status(status)(text, server_message=text)

    def ping(self, conn: Connection) -> Any:
        """Who the token belongs to (the auth service's user record): checks the server and the token.

        >>> conn.ping()["email"]                         # conn: a connection to the bundled CAVE
        'local.user@localhost'
        """
        return conn.transport.request("GET", "/auth/api/v1/user/cache")


BACKEND = CaveBackend
