"""Bundled local servers that speak the real servers' wire formats, backed by SQLite.

>>> from neuromodels import Connection, Neuron
>>> from neuromodels.testing import serve
>>> with serve("catmaid") as server:
...     with Connection(server.url, backend="catmaid", project=server.project, token=server.token) as conn:
...         conn.ping()["SERVER_VERSION"].startswith("2021")
True
"""

from __future__ import annotations

import importlib
from typing import Any, Iterable

from .harness import Fault, LocalServer

SERVERS = {
    "catmaid": "neuromodels.testing.catmaid",
    "cytomine": "neuromodels.testing.cytomine",
    "neuromorpho": "neuromodels.testing.neuromorpho",
    "clio": "neuromodels.testing.clio",
    "cave": "neuromodels.testing.cave",
}


def server_class(backend: str) -> type[LocalServer]:
    if backend not in SERVERS:
        from ..core.capabilities import did_you_mean

        raise ValueError(f"no bundled server for {backend!r}{did_you_mean(str(backend), list(SERVERS))}; "
                         f"there are: {', '.join(SERVERS)}")
    try:
        module = importlib.import_module(SERVERS[backend])
    except ModuleNotFoundError as e:
        from ..core.errors import NotSupported

        raise NotSupported(f"this version of neuromodels has no bundled {backend} server yet") from e
    server: type[LocalServer] = module.SERVER
    return server


def serve(
    backend: str,
    *,
    db: str | None = None,
    port: int = 0,
    latency: float = 0.0,
    faults: Iterable[Fault] | None = None,
    tls: bool = False,
) -> LocalServer:
    """A bundled server for ``backend``, not yet started: use it as a context manager
    (``with serve("catmaid") as server:``) or call ``.start()``/``.stop()``.

    ``db`` is the SQLite file (a temporary one by default; reuse a file to keep data between
    runs), ``port`` 0 picks a free port, ``latency`` delays every request (seconds), ``faults``
    scripts failures (:class:`Fault`). ``tls=True`` serves https with a self-signed certificate
    made at start (``server.certificate`` is the file to trust), for clients that refuse http.
    """
    return server_class(backend)(db=db, port=port, latency=latency, faults=faults, tls=tls)


def connect(server: LocalServer, **options: Any) -> Any:
    """A :class:`~neuromodels.Connection` to a bundled server with its credentials."""
    from ..connection import Connection

    if getattr(server, "certificate", None):
        options.setdefault("verify", server.certificate)
    return Connection(server.url, backend=server.backend, project=server.project, token=server.token,
                      public_key=server.public_key, private_key=server.private_key, **options)


__all__ = ["Fault", "LocalServer", "connect", "serve"]
