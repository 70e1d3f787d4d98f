"""Where a CATMAID skeleton was imported from (CATMAID's import origins), and errors named by
the skeleton id users hold."""

from __future__ import annotations

from typing import Any, Sequence

from ...connection import Connection
from ...core.errors import NotFound
from ...models import Neuron
from . import api
from .api import chunks
from .converter import form_list


#: ``Neuron.extra`` key of an import origin: ``{"url": str, "project": int, "id": int}``. CATMAID
#: keeps it with the skeleton (``skeletons/origin``, ``skeletons/from-origin``), out of the
#: annotation list; copies between servers use it to recognise what they made before.
IMPORT_ORIGIN = "import_origin"


def _origin_form(model: Neuron) -> list[tuple[str, Any]]:
    origin = (model.extra or {}).get(IMPORT_ORIGIN)
    if not origin:
        return []
    return [("source_url", str(origin["url"])), ("source_project_id", int(origin["project"])),
            ("source_id", int(origin["id"])), ("source_type", "skeleton")]


def skeletons_from_origin(conn: Connection, url: str, project: int, source_ids: Sequence[int]) -> dict[int, int]:
    """Source id -> skeleton id of the skeletons imported from ``url``/``project`` with those
    source ids (CATMAID's ``skeletons/from-origin``), in chunks."""
    found: dict[int, int] = {}
    for chunk in chunks(list(source_ids), 500):
        data = [("source_url", url), ("source_project_id", int(project))] + form_list("source_ids", chunk)
        body = api.read(conn, "/skeletons/from-origin", data)
        found.update({int(k): int(v) for k, v in (body or {}).items()})
    return found


def _by_skeleton(error: NotFound, model: Neuron, done: str) -> NotFound:
    """CATMAID names the neuron id ("Could not find neuron #101"); users hold the skeleton id."""
    error.message = (f"no neuron with skeleton id {model.id} on the server ({done} already, or never saved "
                     f"here?); CATMAID said: {error.message}")
    error.args = (error.message,)
    return error
