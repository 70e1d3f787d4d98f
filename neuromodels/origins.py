"""Which server a URL names, for redirects and credentials: a request follows a redirect with
its credentials only within the origin it was made for."""

from __future__ import annotations

from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port


def same_origin(base: str, target: str) -> bool:
    """May a request to ``base`` follow a redirect to ``target`` with its credentials?

    Only to the same host and port with the same scheme, or from ``http`` to ``https`` on the
    same host (same port, or https's default port).

    >>> same_origin("http://a.org:8000/x", "http://a.org:8000/y")
    True
    >>> same_origin("http://a.org/x", "https://a.org/y"), same_origin("https://a.org/x", "http://a.org/y")
    (True, False)
    >>> same_origin("http://a.org:8000/x", "http://a.org:8001/x"), same_origin("http://a.org/", "http://b.org/")
    (False, False)
    """
    scheme, host, port = _origin(base)
    to_scheme, to_host, to_port = _origin(target)
    if not host or host != to_host or to_port is None or port is None:
        return False
    if to_scheme == scheme:
        return to_port == port
    return scheme == "http" and to_scheme == "https" and to_port in (port, 443)


def _where(url: str) -> str:
    """A URL as errors may show it: no credentials, no query string."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{netloc}{parts.path}"
