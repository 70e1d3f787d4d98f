"""The bundled CATMAID server: ``serve("catmaid")`` or ``neuromodels serve catmaid``."""

from __future__ import annotations

from ..harness import LocalServer
from .app import CatmaidApp
from .store import PROJECT_ID


class CatmaidServer(LocalServer):
    """A loopback CATMAID seeded with project 1, stack 1 and user ``admin`` with a token."""

    backend = "catmaid"
    project = PROJECT_ID
    app = CatmaidApp


SERVER = CatmaidServer
