"""Raw requests on a connection: ``conn.get(path, params=...)``, ``post``, ``put``, ``delete``.

For the server calls no model covers yet. They go through the connection's transport, so they
carry its authentication, retries, deadline and typed errors (a 404 is
:class:`~neuromodels.NotFound`, a malformed JSON reply :class:`~neuromodels.ProtocolError`).
A path that starts with ``/`` is taken as it is; otherwise it is relative to the backend's API
root (Cytomine: ``/api/``, so ``conn.get("project.json")`` reads ``/api/project.json`` as the
Cytomine client's ``get("project.json")`` does).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import requests

from .transport import parse_json

Params = Mapping[str, Any] | Sequence[tuple[str, Any]] | None


def parse_body(response: requests.Response) -> Any:
    """JSON when the reply says it is JSON (or looks like it), else the bytes."""
    kind = response.headers.get("content-type", "")
    if "json" in kind or (not kind and response.content[:1] in (b"{", b"[")):
        return parse_json(response)
    return response.content


class RawRequestsMixin:
    """``get``/``post``/``put``/``delete`` on :class:`~neuromodels.Connection`."""

    __slots__ = ()

    def _path(self, path: str) -> str:
        if not isinstance(path, str) or not path:
            raise TypeError(f"a request path is non-empty text, not {path!r}")
        if path.startswith(("http://", "https://")):
            raise ValueError("give the path on this server (e.g. '/api/project.json'), not a whole URL")
        if path.startswith("/"):
            return path
        root = getattr(getattr(self, "backend"), "api_root", "/")
        return root.rstrip("/") + "/" + path

    def request(self, method: str, path: str, *, params: Params = None, json: Any = None, data: Any = None,
                files: Any = None, parse: Callable[[requests.Response], Any] | None = None) -> Any:
        """Send one request and return the reply's JSON (bytes when it is not JSON), or what
        ``parse(response)`` makes of it."""
        transport = getattr(self, "transport")
        return transport.request(method.upper(), self._path(path), params=params, json=json, data=data, files=files,
                                 parse=parse or parse_body)

    def get(self, path: str, *, params: Params = None, parse: Callable[[requests.Response], Any] | None = None) -> Any:
        """``GET path``; the reply's JSON (bytes when it is not JSON)."""
        return self.request("GET", path, params=params, parse=parse)

    def post(self, path: str, *, params: Params = None, json: Any = None, data: Any = None, files: Any = None,
             parse: Callable[[requests.Response], Any] | None = None) -> Any:
        """``POST path`` with a JSON body (``json=``), form or raw ``data=`` or multipart ``files=``."""
        return self.request("POST", path, params=params, json=json, data=data, files=files, parse=parse)

    def put(self, path: str, *, params: Params = None, json: Any = None, data: Any = None,
            parse: Callable[[requests.Response], Any] | None = None) -> Any:
        """``PUT path`` with a JSON body (``json=``) or raw ``data=``."""
        return self.request("PUT", path, params=params, json=json, data=data, parse=parse)

    def delete(self, path: str, *, params: Params = None,
               parse: Callable[[requests.Response], Any] | None = None) -> Any:
        """``DELETE path``."""
        return self.request("DELETE", path, params=params, parse=parse)


__all__ = ["RawRequestsMixin", "parse_body"]
