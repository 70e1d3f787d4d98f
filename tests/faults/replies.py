"""Recorded replies, replayed with one of them mutated: what the property-based tests of reply
shapes run on.

An operation (a function of a connection) runs once against a bundled server while every reply
is recorded, keyed by method, URL, query and body. Replaying it answers from the recording
(unknown requests get a 404), with the reply chosen by the test mutated: a key dropped, a value
made null, of another type, a string for a number, a list for an object, nested 600 deep, WKT
made invalid, or the JSON itself broken.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, Callable, Iterator

import orjson
import requests
from requests.structures import CaseInsensitiveDict

from neuromodels.transport import Transport

Key = tuple[str, str, str, str]
MUTATIONS = ("drop", "null", "string", "number", "list", "object", "string-for-number", "deep", "wkt",
             "bad-json", "truncate", "empty")


def key_of(method: str, url: str, params: Any, data: Any, json: Any) -> Key:
    def norm(value: Any) -> str:
        if isinstance(value, dict):
            value = sorted(value.items())
        return repr(value)

    return (method, url, norm(params), norm(data) + norm(json))


class Recording:
    """Replies by request, in the order first seen."""

    def __init__(self) -> None:
        self.replies: dict[Key, tuple[int, dict[str, str], bytes]] = {}

    @property
    def keys(self) -> list[Key]:
        return list(self.replies)


@contextlib.contextmanager
def recording() -> Iterator[Recording]:
    record = Recording()
    original = Transport._send

    def send(self: Transport, method: str, url: str, params: Any, data: Any, files: Any, json: Any,
             *rest: Any) -> Any:
        result = original(self, method, url, params, data, files, json, *rest)
        if isinstance(result, requests.Response):
            record.replies.setdefault(key_of(method, url, params, data, json),
                                      (result.status_code, dict(result.headers), result.content))
        return result

    Transport._send = send  # type: ignore[method-assign]
    try:
        yield record
    finally:
        Transport._send = original  # type: ignore[method-assign]


def response(status: int, headers: dict[str, str], content: bytes, url: str) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r.headers = CaseInsensitiveDict({k: v for k, v in headers.items() if k.lower() not in ("content-length",
                                                                                          "content-encoding")})
    r._content = content
    r._content_consumed = True
    r.url = url
    r.reason = "OK" if status < 400 else "Error"
    r.encoding = "utf-8"
    return r


@contextlib.contextmanager
def replaying(record: Recording, target: Key | None, mutate: Callable[[bytes], bytes]) -> Iterator[list[Key]]:
    """Answer from ``record``; the reply of ``target`` goes through ``mutate``. Yields the keys
    of the requests answered, in order."""
    asked: list[Key] = []

    def send(self: Transport, method: str, url: str, params: Any, data: Any, files: Any, json: Any,
             *rest: Any) -> Any:
        key = key_of(method, url, params, data, json)
        asked.append(key)
        if key not in record.replies:
            return response(404, {"Content-Type": "application/json"}, b'{"error": "not recorded"}', url)
        status, headers, content = record.replies[key]
        if key == target:
            content = mutate(content)
        return response(status, headers, content, url)

    original = Transport._send
    Transport._send = send  # type: ignore[method-assign]
    try:
        yield asked
    finally:
        Transport._send = original  # type: ignore[method-assign]


# -- mutations ----------------------------------------------------------------------------------------
def _containers(value: Any, trail: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every (path, value) in a JSON document, the document itself first."""
    yield trail, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _containers(v, (*trail, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:50]):  # node tables are long: their first rows stand for all
            yield from _containers(v, (*trail, i))


def _replace(doc: Any, trail: tuple[Any, ...], new: Any) -> Any:
    if not trail:
        return new
    parent = doc
    for step in trail[:-1]:
        parent = parent[step]
    parent[trail[-1]] = new
    return doc


def _drop(doc: Any, trail: tuple[Any, ...]) -> Any:
    if not trail:
        return {}
    parent = doc
    for step in trail[:-1]:
        parent = parent[step]
    del parent[trail[-1]]
    return doc


def mutate(content: bytes, kind: str, pick: int) -> bytes:
    """``content`` with one mutation of ``kind`` at the ``pick``-th place that takes it."""
    if kind == "bad-json":
        return content[: max(0, len(content) - 1)] + b"}{"
    if kind == "truncate":
        return content[: len(content) // 2]
    if kind == "empty":
        return b""
    try:
        doc = orjson.loads(content)
    except orjson.JSONDecodeError:
        return content[::-1]  # not JSON (an image, text): garbled bytes
    places = list(_containers(doc))
    if kind == "drop":
        places = [p for p in places if p[0]]
    elif kind == "string-for-number":
        places = [p for p in places if isinstance(p[1], (int, float)) and not isinstance(p[1], bool)]
    elif kind == "wkt":
        places = [p for p in places if isinstance(p[1], str) and "(" in p[1]]
    if not places:
        return b"null" if kind in ("null", "drop") else orjson.dumps("x")
    trail, value = places[pick % len(places)]
    if kind == "drop":
        doc = _drop(doc, trail)
    else:
        new: Any = {"null": None, "string": "x", "number": 7, "list": [value], "object": {"v": value},
                    "string-for-number": "many", "wkt": "BOGUS (1 2)"}.get(kind)
        if kind == "deep":
            new = value
            for _ in range(600):
                new = [new]
        doc = _replace(doc, trail, new)
    try:
        return orjson.dumps(doc)
    except orjson.JSONEncodeError:  # orjson refuses to write deep nesting: the stdlib writes it
        return json.dumps(doc).encode()
