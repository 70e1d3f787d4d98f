"""Reading a reply's body: JSON, text, and what an error page says."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

import orjson
import requests

from .core.errors import ProtocolError

T = TypeVar("T")

#: How much of an error page is read for its message.
ERROR_TEXT = 500


def parse_json(response: requests.Response) -> Any:
    """Decode a JSON body (orjson: several times faster than the stdlib on node tables)."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as e:
        message = f"the server sent a body that is not valid JSON ({e})"
    raise ProtocolError(message)


def json_as(shape: Callable[[Any], T]) -> Callable[[requests.Response], T]:
    """A ``parse=`` callback: the JSON body read through ``shape`` (which checks and converts
    it), so that any shape error is a ProtocolError naming the request."""
    def parse(response: requests.Response) -> T:
        return shape(parse_json(response))

    return parse


def parse_text(response: requests.Response) -> str:
    return response.text


def body_text(response: requests.Response, limit: int = ERROR_TEXT) -> str:
    """The first ``limit`` characters of a body, decoded without guessing over all of it
    (requests' ``.text`` runs charset detection over the whole body when none is declared)."""
    content = response.content[: limit * 4] if response.content else b""
    try:
        text = content.decode(response.encoding or "utf-8", errors="replace")
    except LookupError:
        text = content.decode("utf-8", errors="replace")
    return text[:limit]


def error_text(response: requests.Response, limit: int = 300) -> str:
    """What an error reply says, for a message: its text, or for an HTML page (a proxy's, a
    web server's, another kind of server's) its title and a word on what that usually means."""
    head = body_text(response, 16 * 1024)
    if head.lstrip()[:1] == "<" or "html" in response.headers.get("Content-Type", "").lower():
        lower = head.lower()
        start = lower.find("<title>")
        title = ""
        if start >= 0:
            end = lower.find("</title>", start)
            title = " ".join(head[start + 7 : end if end >= 0 else start + 207].split())[:200]
        return (f"an HTML page{f' titled {title!r}' if title else ''} instead of the API's answer "
                "(is the URL that of this kind of server, and the path right?)")
    return head[:limit]
