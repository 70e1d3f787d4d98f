"""The Clio backend: declarations in :mod:`.resources`; tokens in :mod:`.tokens`.

Beyond body annotations, functions of the (current) connection: :func:`roles`, the versions
(:func:`versions`, :func:`head_tag`, :func:`head_uuid`, :func:`tag_to_uuid`,
:func:`uuid_to_tag`), :func:`point_annotations`, and on the dataset's DVID server
:func:`ids_exist`, :func:`json_schema` and :func:`check_schema`; tokens: :func:`use_token`,
:func:`refresh_token`, :func:`save_token`, :func:`token_expiry`.

Without ``token=``, the token is read from ``CLIO_TOKEN``, then ``~/.config/neuromodels/clio-token``
(the bare token), then the file clio-py's ``clio.set_token()`` writes, ``~/clio_token.json``
(``{"token": "..."}``).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

import requests

from ...connection import Connection
from ...core.errors import BadRequest, CredentialsRequired, NeuromodelsError, NotFound, error_for_status
from ...transport import error_text
from ...models import Annotation, Connector, ImageInstance, Neuron, Project, Volume
from ...core.backend import Backend, ServerIdentity, decode_json
from . import resources
from .dvid import check_schema, ids_exist, json_schema
from .services import (
    STORE_URL, TEST_STORE_URL, head_tag, head_uuid, point_annotations, roles, tag_to_uuid, uuid_to_tag, versions,
)
from .tokens import (
    CLIO_PY_TOKEN_FILE, FRESH, NO_TOKEN, TOKEN_ENV, TOKEN_FILE, ClioAuth, auth_for, refresh_token, save_token, stored_token,
    token_expiry, use_token,
)
from ...landmarks import Landmark, LandmarkGroup, Sampler
from ...core.capabilities import absent

class ClioBackend(Backend):
    name = "clio"
    demo = "neuromodels.backends.clio.demo:demo"
    units = "8 nanometer"
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
    identity = ServerIdentity("Clio", "/v2/datasets", lambda body: isinstance(body, Mapping) and all(
        isinstance(v, Mapping) and "versions" in v for v in body.values()))

    def hint(self, error: NeuromodelsError, ask: Callable[[str], Any]) -> str | None:
        """A version the dataset does not have, or a dataset the server does not have: the
        ones there are."""
        text = f"{error.message} {error.server_message or ''}"
        parts = (error.path or "").split("/")  # /v2/json-annotations/<dataset>/...
        if len(parts) <= 3 or not isinstance(error, (BadRequest, NotFound)):
            return None
        dataset = parts[3]
        if isinstance(error, BadRequest) and "version" in text.lower():
            said = re.search(r"version (\S+)", text, re.IGNORECASE)
            version = said.group(1) if said else "?"
            datasets = ask("/v2/datasets")
            entry = datasets.get(str(dataset)) if isinstance(datasets, Mapping) else None
            if isinstance(entry, Mapping):
                versions = [str(v.get("version")) for v in entry.get("versions") or [] if isinstance(v, Mapping)]
                return (f"version {version!r} is not a version of dataset {dataset!r}; its versions: "
                        f"{', '.join(versions) or 'none'} (default {entry.get('tag')!r})")
        if isinstance(error, NotFound) and "dataset" in text.lower():
            datasets = ask("/v2/datasets")
            if isinstance(datasets, Mapping):
                return f"dataset {dataset!r} is not on this Clio server; its datasets: {', '.join(map(str, datasets)) or 'none'}"
        return None

    def auth(self, conn: Connection) -> requests.auth.AuthBase | None:
        return auth_for(conn)

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
        said = message
        if status == 401 and message == "Could not validate credentials":
            # Clio says the same of a wrong, revoked or expired token: opaque tokens expire too.
            said = f"{message} (a wrong, revoked or expired token: Clio tokens expire; {FRESH})"
        return error_for_status(status if status >= 400 else 400)(said, server_message=message)

    def ping(self, conn: Connection) -> Any:
        return conn.transport.request("GET", "/v2/datasets")


BACKEND = ClioBackend

__all__ = ["BACKEND", "CLIO_PY_TOKEN_FILE", "ClioAuth", "ClioBackend", "STORE_URL", "TEST_STORE_URL", "TOKEN_ENV",
           "TOKEN_FILE", "check_schema", "head_tag", "head_uuid", "ids_exist", "json_schema", "point_annotations",
           "refresh_token", "roles", "save_token", "stored_token", "tag_to_uuid", "token_expiry", "use_token",
           "uuid_to_tag", "versions"]
