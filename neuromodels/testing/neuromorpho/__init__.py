"""The bundled NeuroMorpho.org server: ``serve("neuromorpho")``."""

from __future__ import annotations

from typing import Any

import orjson

from ..harness import LocalServer
from .app import NeuroMorphoApp


class NeuroMorphoServer(LocalServer):
    """A loopback NeuroMorpho.org with 36 synthetic neurons of five species (no credentials)."""

    backend = "neuromorpho"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(NeuroMorphoApp, **kwargs)

    def error_body(self, status: int) -> str:
        return orjson.dumps({"status": status, "error": "Injected", "message": f"injected fault (HTTP {status})",
                             "path": "/"}).decode()


SERVER = NeuroMorphoServer
