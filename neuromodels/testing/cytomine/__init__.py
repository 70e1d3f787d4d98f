"""The bundled Cytomine server: ``serve("cytomine")`` or ``neuromodels serve cytomine``."""

from __future__ import annotations

from typing import Any

import orjson

from ..harness import LocalServer
from .app import CytomineApp


class CytomineServer(LocalServer):
    """A loopback Cytomine seeded with a user holding HMAC keys, an ontology with two terms
    and a project with two image instances."""

    backend = "cytomine"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(CytomineApp, **kwargs)
        app: CytomineApp = self._app  # type: ignore[assignment]
        self.project = app.seed_project
        self.public_key = app.public_key
        self.private_key = app.private_key

    def error_body(self, status: int) -> str:
        return orjson.dumps({"errors": {"message": f"injected fault (HTTP {status})"}, "errorValues": {}}).decode()


SERVER = CytomineServer
