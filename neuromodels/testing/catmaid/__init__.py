"""The bundled CATMAID server: ``serve("catmaid")`` or ``neuromodels serve catmaid``."""

from __future__ import annotations

from typing import Any

import orjson

from ..harness import LocalServer
from .store import PROJECT_ID
from .views import CatmaidApp


class CatmaidServer(LocalServer):
    """A loopback CATMAID seeded with project 1, stack 1 and user ``admin`` with a token."""

    backend = "catmaid"
    project = PROJECT_ID

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(CatmaidApp, **kwargs)
        self.token = self._app.token  # type: ignore[attr-defined]

    def error_body(self, status: int) -> str:
        return orjson.dumps({"error": f"injected fault (HTTP {status})", "detail": "", "type": "Exception", "meta": None}).decode()


SERVER = CatmaidServer
