"""Raw requests for Cytomine routes the models do not cover (the client's ``Cytomine.get`` ...).

``conn.get(path, params=...)``, ``conn.post(path, data=...)``, ``conn.put`` and ``conn.delete``
go through the connection's transport: its HMAC signing, retries, deadlines and typed errors.
A path without a leading ``/`` is relative to ``/api/`` as the client's are; ``data`` (a dict or
a list) is sent as JSON, bytes or text as they are. The reply is its JSON, or its bytes when it
is not JSON (images).

>>> conn.get("project.json")["collection"][0]["name"]
'Demo project'
>>> conn.post("tag.json", data={"name": "raw"})["tag"]["name"]
'raw'
>>> conn.get(f"imageinstance/{ImageInstanceCollection().fetch()[0].id}/thumb.png", params={"maxSize": 64})[:4]
b'\\x89PNG'
"""

from __future__ import annotations

from typing import Any

import requests

from ...connection import Connection
from ...transport import parse_json
from .domains import _param


def parse_body(response: requests.Response) -> Any:
    """JSON when the reply says it is JSON (or looks like it), else the bytes."""
    kind = response.headers.get("content-type", "")
    if "json" in kind or (not kind and response.content[:1] in (b"{", b"[")):
        return parse_json(response)
    return response.content


def check_path(path: Any) -> str:
    """``/api/project.json``, ``/server/ping`` or ``project.json`` (below ``/api/``)."""
    if not isinstance(path, str) or not path:
        raise TypeError(f"path must be a str such as 'project.json' or '/api/project.json', not {path!r}")
    if "://" in path or path.startswith("//"):
        raise ValueError(f"give the path on the connection's server (e.g. '/api/project.json'), not a whole URL: {path!r}")
    if any(c.isspace() for c in path) or "/../" in "/" + path + "/":
        raise ValueError(f"path {path!r} has whitespace or a '..' segment")
    return path if path.startswith("/") else "/api/" + path


def raw_request(conn: Connection, method: str, path: str, *, params: Any = None, data: Any = None,
                read: bool = False) -> Any:
    query = None if params is None else {k: _param(v) for k, v in dict(params).items()}
    body: dict[str, Any] = {"json": data} if isinstance(data, (dict, list)) else {"data": data}
    return conn.transport.request(method, check_path(path), params=query, read=read, parse=parse_body, **body)


__all__ = ["check_path", "parse_body", "raw_request"]
