"""CATMAID's error shapes -> typed errors (see the reference captures' error table).

Shapes: the envelope ``{error, detail, type, meta}`` (also inside HTTP 200), DRF's
``{"detail": ...}``, Django's HTML pages, and plain text. Error pages are read in linear time
and only their head: a hostile page of repeated ``<title>`` costs nothing.

A request sent without a token that CATMAID refuses (DRF's "CSRF Failed", Django's CSRF page,
a ``PermissionError`` for ``AnonymousUser``) is an :class:`AuthenticationError` that says how to
give one.
"""

from __future__ import annotations

import orjson
import requests

from ...core.errors import (
    AuthenticationError,
    BadRequest,
    CredentialsRequired,
    Conflict,
    NeuromodelsError,
    NotFound,
    PermissionDenied,
    error_for_status,
)
from ...transport import body_text

#: CATMAID's exception type names -> our error classes, whatever the HTTP status.
ERROR_TYPES: dict[str, type[NeuromodelsError]] = {
    "ValueError": BadRequest,
    "ClientError": BadRequest,
    "StateMatchingError": Conflict,
    "PermissionError": PermissionDenied,
    "PermissionDenied": PermissionDenied,
    "DoesNotExist": NotFound,
    "ObjectDoesNotExist": NotFound,
    "Http404": NotFound,
}

#: How much of an HTML error page is searched for its title.
HTML_HEAD = 16 * 1024
NO_TOKEN = ("the server refused a request sent without an API token ({said}); pass token= to Connection "
            "(or set NEUROMODELS_TOKEN, or pymaid's CATMAID_API_TOKEN, for Connection.from_env())")


def html_title(text: str) -> str | None:
    """The first ``<title>`` of a page, found in linear time (a regex with a lazy group is
    quadratic on a page of repeated unclosed ``<title>``)."""
    lower = text.lower()
    start = lower.find("<title>")
    if start < 0:
        return None
    start += len("<title>")
    end = lower.find("</title>", start)
    title = " ".join(text[start : end if end >= 0 else start + 200].split())
    return title[:200] or None


def _without_token(response: requests.Response) -> bool:
    request = getattr(response, "request", None)
    headers = getattr(request, "headers", None) or {}
    return "X-Authorization" not in headers


def error_from_response(response: requests.Response) -> NeuromodelsError | None:
    error = _classify(response)
    if error is None or isinstance(error, AuthenticationError) or response.status_code not in (401, 403):
        return error
    said = error.server_message or error.message
    if _without_token(response) and ("CSRF" in said or "AnonymousUser" in said or response.status_code == 401):
        return CredentialsRequired(NO_TOKEN.format(said=said.strip()[:120]), server_message=error.server_message,
                                   error_type=error.error_type)
    return error


def _classify(response: requests.Response) -> NeuromodelsError | None:
    status = response.status_code
    ctype = response.headers.get("Content-Type", "")
    content = response.content
    if status < 400 and b'"error"' not in content[:64]:
        # A 200 can carry CATMAID's error envelope, whose first key is "error": looking at the
        # head of the body spares decoding megabytes of node rows twice.
        return None
    body = None
    if "json" in ctype and content.lstrip()[:1] in (b"{", b"["):
        try:
            body = orjson.loads(content)
        except orjson.JSONDecodeError:
            body = None  # parsed again (and reported) by the caller on success statuses
    if isinstance(body, dict) and "error" in body and ("type" in body or "detail" in body or status >= 400):
        kind = str(body.get("type") or "")
        message = str(body.get("error"))
        cls = ERROR_TYPES.get(kind) or (error_for_status(status) if status >= 400 else BadRequest)
        return cls(message, server_message=message, error_type=kind or None)
    if status < 400:
        return None
    if isinstance(body, dict) and "detail" in body:
        message = str(body["detail"])
        return error_for_status(status)(message, server_message=message)
    if "html" in ctype:
        head = body_text(response, HTML_HEAD)
        title = html_title(head) or f"HTTP {status}"
        if "CSRF verification failed" in head:
            title = f"{title}: CSRF verification failed"
        return error_for_status(status)(f"{title} (HTML page)", server_message=title)
    text = body_text(response).strip() or response.reason or f"HTTP {status}"
    return error_for_status(status)(text, server_message=text)
