"""The bundled Cytomine server: ``serve("cytomine")`` or ``neuromodels serve cytomine``."""

from __future__ import annotations

from ..harness import LocalServer
from .app import CytomineApp


class CytomineServer(LocalServer):
    """A loopback Cytomine seeded with a user holding HMAC keys, an ontology with two terms
    and a project with two image instances (each on an abstract image, an uploaded file and
    a storage)."""

    backend = "cytomine"
    app = CytomineApp


SERVER = CytomineServer
