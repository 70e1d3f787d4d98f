"""The bundled NeuroMorpho.org server: ``serve("neuromorpho")``."""

from __future__ import annotations

from ..harness import LocalServer
from .app import NeuroMorphoApp


class NeuroMorphoServer(LocalServer):
    """A loopback NeuroMorpho.org with 36 synthetic neurons of five species (no credentials)."""

    backend = "neuromorpho"
    app = NeuroMorphoApp


SERVER = NeuroMorphoServer
