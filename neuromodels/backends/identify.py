"""Telling which kind of server a URL is, when an answer does not fit the kind asked for.

A CATMAID connection pointed at a Cytomine server sees "No static resource 1/skeletons/...";
pointed at a plain web server, an HTML 404 or 501 page. Neither says what is wrong. When an
answer looks like that (404, 405 or 501), the transport asks
once per connection: does the server answer the expected kind's cheap, public "who are you"
request? If not, the error says which kind was expected and which one answered, if any.

Each backend declares how its servers say what they are (``Backend.identity``), so a backend
added through an entry point is told apart like the shipped ones. The same place adds what a
backend's ``hint`` says to errors about a missing project, dataset or version.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from ..core.errors import NeuromodelsError, WrongServer

if TYPE_CHECKING:
    from ..core.backend import ServerIdentity
    from ..transport import Transport

log = logging.getLogger("neuromodels")


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


def _identities(transport: "Transport") -> dict[str, "ServerIdentity"]:
    """The identity every registered backend declares, the connection's own first."""
    from ..registry import declarations

    own = {transport.backend.name: transport.backend.identity} if transport.backend.identity else {}
    return {**own, **{name: identity for name, identity in declarations("identity") if name not in own}}


def check_kind(transport: "Transport", error: NeuromodelsError) -> WrongServer | None:
    """None when the server answers as the connection's kind (or the kind declares no
    identity); else the :class:`WrongServer` error to raise instead of ``error``."""
    own, mine = transport.backend.name, transport.backend.identity
    if mine is None:
        return None
    try:
        if mine.check(_probe(transport, mine.path)):
            return None
    except _NoAnswer:
        return None
    others = {kind: identity for kind, identity in _identities(transport).items() if kind != own}
    found = next((kind for kind, identity in others.items() if identity.check(_try(transport, identity.path))), None)
    where = urlsplit(transport.base_url)
    url = f"{where.scheme}://{where.netloc.rsplit('@', 1)[-1]}{where.path}"
    said = f"{error.method} {error.path} -> {error.status}: {error.message}"[:200]
    if found is not None:
        instead = f"it answers as a {others[found].label} server: use backend={found!r}"
    else:
        instead = f"it does not answer as any server kind neuromodels knows (GET {mine.path} is not {mine.label}'s answer)"
    message = (f"{url} is not a {mine.label} server (backend={own!r}): {instead}. Check the URL, including its "
               f"path, and backend=. The request was {said}")
    return WrongServer(message, expected=own, found=found, status=error.status, method=error.method,
                       path=error.path, server_message=error.server_message, sent=error.sent)


def explain(transport: "Transport", error: NeuromodelsError) -> str | None:
    """What was expected, for an error about a missing project, version or dataset: the
    backend's :meth:`~neuromodels.core.backend.Backend.hint` (other errors cost no request)."""
    return transport.backend.hint(error, lambda path: _try(transport, path))


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
