"""CATMAID's error shapes -> typed errors (see the reference captures' error table).

Shapes: the envelope ``{error, detail, type, meta}`` (also inside HTTP 200), DRF's
``{"detail": ...}``, Django's HTML pages, and plain text.
"""

from __future__ import annotations

import re

import orjson
import requests

from ...errors import (
    BadRequest,
    Conflict,
    NeuromodelsError,
    NotFound,
    PermissionDenied,
    error_for_status,
)

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

_TITLE = re.compile(r"<title>\s*(.*?)\s*</title>", re.S | re.I)


def error_from_response(response: requests.Response) -> NeuromodelsError | None:
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
        match = _TITLE.search(response.text)
        title = match.group(1) if match else f"HTTP {status}"
        return error_for_status(status)(f"{title} (HTML page)", server_message=title)
    text = response.text.strip()[:500] or response.reason or f"HTTP {status}"
    return error_for_status(status)(text, server_message=text)
