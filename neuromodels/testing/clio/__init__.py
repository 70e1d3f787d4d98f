"""The bundled Clio store: ``serve("clio")``; ``server.token`` is a valid bearer token and
``server.project`` the dataset name."""

from __future__ import annotations

from ..harness import LocalServer
from .app import DATASET, ClioApp


class ClioServer(LocalServer):
    """A loopback Clio with dataset ``VNC`` in three versions and 40 body annotations."""

    backend = "clio"
    project = DATASET
    app = ClioApp


SERVER = ClioServer
