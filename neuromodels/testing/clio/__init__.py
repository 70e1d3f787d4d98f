"""The bundled Clio store: ``serve("clio")``; ``server.token`` is a valid bearer token and
``server.project`` the dataset name."""

from __future__ import annotations

from typing import Any

import orjson

from ..harness import LocalServer
from .app import DATASET, ClioApp


class ClioServer(LocalServer):
    """A loopback Clio with dataset ``VNC`` in three versions and 40 body annotations."""

    backend = "clio"
    project = DATASET

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(ClioApp, **kwargs)
        self.token = self._app.token  # type: ignore[attr-defined]

    def error_body(self, status: int) -> str:
        return orjson.dumps({"detail": f"injected fault (HTTP {status})"}).decode()


SERVER = ClioServer
