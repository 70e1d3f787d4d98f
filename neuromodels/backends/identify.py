"""Telling which kind of server a URL is, when an answer does not fit the kind asked for.

A CATMAID connection pointed at a Cytomine server sees "No static resource 1/skeletons/...";
pointed at a plain web server, an HTML 404 or 501 page. Neither says what is wrong. When an
answer looks like that (404, 405 or 501), the transport asks
once per connection: does the server answer the expected kind's cheap, public "who are you"
request? If not, the error says which kind was expected and which one answered, if any.

The same place makes two common mistakes name what was expected: a project (CATMAID) the server
does not have, and a Clio version the dataset does not have.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, Callable, Mapping
from urllib.parse import urlsplit

import requests

from ..core.errors import BadRequest, NeuromodelsError, NotFound, WrongServer

if TYPE_CHECKING:
    from ..transport import Transport

log = logging.getLogger("neuromodels")


def _is_catmaid(body: Any) -> bool:
    return isinstance(body, Mapping) and "SERVER_VERSION" in body


def _is_cytomine(body: Any) -> bool:
    return isinstance(body, Mapping) and "alive" in body


def _is_neuromorpho(body: Any) -> bool:
    return isinstance(body, Mapping) and body.get("status") == "UP"


def _is_clio(body: Any) -> bool:
    return isinstance(body, Mapping) and all(isinstance(v, Mapping) and "versions" in v for v in body.values())


#: backend name -> (its name for people, the request every server of the kind answers, the check)
SIGNATURES: dict[str, tuple[str, str, Callable[[Any], bool]]] = {
    "catmaid": ("CATMAID", "/version", _is_catmaid),
    "cytomine": ("Cytomine", "/server/ping", _is_cytomine),
    "neuromorpho": ("NeuroMorpho.org", "/api/health", _is_neuromorpho),
    "clio": ("Clio", "/v2/datasets", _is_clio),
}

#: Statuses a server of another kind (or none) typically answers our paths with.
SUSPECT_STATUSES = (404, 405, 501)

#: A "who are you" request gets at most this long: it runs on an error path only.
PROBE_TIMEOUT = 5.0


def suspect(response: requests.Response, error: NeuromodelsError) -> bool:
    """Whether an error answer could come from a server of another kind (a path it does not
    have, a method it does not take). A 500 page is the right server failing: not asked."""
    return response.status_code in SUSPECT_STATUSES


class _NoAnswer(Exception):
    """The probe itself could not be made (no connection, a replay without it): nothing is known."""


def _probe(transport: "Transport", path: str) -> Any:
    """GET ``path`` once (no retries, no cache): the decoded JSON of a 200, else None; raises
    :class:`_NoAnswer` when no answer came."""
    import orjson

    try:
        response = transport.session.get(transport.base_url + path, timeout=min(transport.timeout, PROBE_TIMEOUT),
                                         allow_redirects=False, verify=transport.verify)
    except Exception as e:  # noqa: BLE001 - any failure to ask means: cannot tell (never a wrong verdict)
        raise _NoAnswer(str(e)) from None
    if response.status_code != 200:
        return None
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None


def _try(transport: "Transport", path: str) -> Any:
    try:
        return _probe(transport, path)
    except _NoAnswer:
        return None


def check_kind(transport: "Transport", error: NeuromodelsError) -> WrongServer | None:
    """None when the server answers as the connection's kind (or the kind has no signature);
    else the :class:`WrongServer` error to raise instead of ``error``."""
    own = transport.backend.name
    if own not in SIGNATURES:
        return None
    label, path, check = SIGNATURES[own]
    try:
        if check(_probe(transport, path)):
            return None
    except _NoAnswer:
        return None
    found = next((kind for kind, (_, other_path, other) in SIGNATURES.items()
                  if kind != own and other(_try(transport, other_path))), None)
    where = urlsplit(transport.base_url)
    url = f"{where.scheme}://{where.netloc.rsplit('@', 1)[-1]}{where.path}"
    said = f"{error.method} {error.path} -> {error.status}: {error.message}"[:200]
    if found is not None:
        instead = f"it answers as a {SIGNATURES[found][0]} server: use backend={found!r}"
    else:
        instead = f"it does not answer as any server kind neuromodels knows (GET {path} is not {label}'s answer)"
    message = (f"{url} is not a {label} server (backend={own!r}): {instead}. Check the URL, including its "
               f"path, and backend=. The request was {said}")
    return WrongServer(message, expected=own, found=found, status=error.status, method=error.method,
                       path=error.path, server_message=error.server_message, sent=error.sent)


def explain(transport: "Transport", error: NeuromodelsError) -> str | None:
    """What was expected, for an error about a missing project, version or dataset (None for
    other errors: those cost no request)."""
    own = transport.backend.name
    text = f"{error.message} {error.server_message or ''}"
    parts = (error.path or "").split("/")
    hint = None
    if own == "catmaid" and isinstance(error, NotFound) and "Project matching query" in text:
        project = parts[1] if len(parts) > 1 else "?"
        projects = _try(transport, "/projects/")
        if isinstance(projects, list):
            names = ", ".join(f"{p.get('id')} ({p.get('title')!r})" for p in projects[:20] if isinstance(p, Mapping))
            hint = (f"project {project!r} is not on this CATMAID server or not visible to this user; "
                    f"the projects it shows: {names or 'none'}")
    elif own == "clio" and isinstance(error, BadRequest) and "version" in text.lower() and len(parts) > 3:
        project = parts[3]  # /v2/json-annotations/<dataset>/...
        said = re.search(r"version (\S+)", text, re.IGNORECASE)
        version = said.group(1) if said else "?"
        datasets = _try(transport, "/v2/datasets")
        entry = datasets.get(str(project)) if isinstance(datasets, Mapping) else None
        if isinstance(entry, Mapping):
            versions = [str(v.get("version")) for v in entry.get("versions") or [] if isinstance(v, Mapping)]
            hint = (f"version {version!r} is not a version of dataset {project!r}; its versions: "
                    f"{', '.join(versions) or 'none'} (default {entry.get('tag')!r})")
    elif own == "clio" and isinstance(error, NotFound) and "dataset" in text.lower() and len(parts) > 3:
        datasets = _try(transport, "/v2/datasets")
        if isinstance(datasets, Mapping):
            hint = f"dataset {parts[3]!r} is not on this Clio server; its datasets: {', '.join(map(str, datasets)) or 'none'}"
    return hint


def note_kind(transport: "Transport", response: requests.Response, error: NeuromodelsError) -> None:
    """An answer that another kind of server would give: ask once whether this is the kind of
    server the backend expects, and say so at once (no retries) when it is not. Parallel tasks
    failing alike wait for one look and share what it found; a hint for the error is added."""
    with transport._identify_lock:
        if transport.kind_confirmed is not True and suspect(response, error):
            wrong = check_kind(transport, error)
            transport.kind_confirmed = wrong is None
            if wrong is not None:
                raise wrong
        key = (type(error).__name__, error.message)
        if key not in transport._hints:
            if len(transport._hints) > 100:
                transport._hints.clear()
            transport._hints[key] = explain(transport, error)
        hint = transport._hints[key]
    if hint is not None:
        error.message = f"{error.message} ({hint})"
        error.args = (error.message,)
