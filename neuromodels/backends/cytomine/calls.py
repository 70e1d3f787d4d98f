"""How a Cytomine-only model method reaches its resource on the current connection."""

from __future__ import annotations

from typing import Any

from ...connection import Connection
from ...core.model import Model, SaveState


def _call(target: Any, method: str, connection: Connection | None, *args: Any) -> Any:
    """Call a Cytomine resource's own operation for a model (or model class)."""
    conn = Connection.current(connection)
    cls = target if isinstance(target, type) else type(target)
    resource = conn.backend.resource(cls)
    result = getattr(resource, method)(conn, target, *args)
    for found in result if isinstance(result, list) else [result]:
        if isinstance(found, Model) and found.id is not None and found.state is SaveState.NEW:
            found.mark_clean()  # read from the server: stored, nothing to save
            found.bind(conn)
    return result
