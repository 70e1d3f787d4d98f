"""The bundled CAVE: ``serve("cave")``; ``server.project`` is the datastack and ``server.token``
a valid CAVE token. CAVEclient works against it:
``CAVEclient(server.project, server_address=server.url, auth_token=server.token)``."""

from __future__ import annotations

from ..harness import LocalServer
from .app import DATASTACK, CaveApp


class CaveServer(LocalServer):
    """A loopback CAVE with datastack ``local_v1``: six neurons (a merge and a split in their
    history), two materialization versions, a cell-type table and a synapse table."""

    backend = "cave"
    project = DATASTACK
    app = CaveApp


SERVER = CaveServer
