"""The copy any backend gets from declarations alone: the fields a target stores are copied as
they are, and each copy records its origin in a text field the target's resource names
(``copy_marker_field``), so that a second run finds the copies made before.

A backend opts in with ``copies_from = {"<source>": "neuromodels.transfer.generic:copy_fields"}``
and ``copy_marker_field = "description"`` (the toy backend of the tests does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .core import TRANSFORM_PREFIX, Origin, _Job, _origin, _sort_found, _store_built, label_of

if TYPE_CHECKING:
    from ..core.model import Model


def _marker_lines(text: Any) -> list[str]:
    return [line.strip() for line in str(text or "").splitlines() if line.strip()]


def copy_fields(models: list["Model"], job: _Job) -> list["Model"]:
    """Copy ``models`` field by field onto ``job.target`` (or find the copies made before)."""
    from ..core.errors import NotSupported
    from ..models import COLLECTIONS

    if not models:
        return []
    kind_class = type(models[0])
    collection_class = next(c for c in COLLECTIONS if c.model is kind_class)
    resource = job.target.backend.resource(kind_class)
    field = resource.copy_marker_field
    if field is None:
        raise NotSupported(f"{job.target.backend.name} declares no field to record where a copy came from "
                           "(copy_marker_field)")
    kind = kind_class.__name__.lower()
    origins = [_origin(job, kind, m) for m in models]
    existing: dict[str, Any] = {}
    for found in collection_class().iterator(connection=job.target):
        for line in _marker_lines(getattr(found, field)):
            origin = Origin.parse(line)
            if origin is not None and origin.source == job.key and origin.kind == kind:
                existing.setdefault(str(origin.id), found)
    copies, todo, stale = _sort_found(job, kind, origins, existing,
                                      lambda found: label_of(_marker_lines(getattr(found, field))))
    stored = set(resource.creatable or resource.writable or kind_class.tracked_fields())
    built = []
    for i in todo:
        source = models[i]
        values = {name: getattr(source, name) for name in kind_class.tracked_fields()
                  if name in stored and getattr(source, name) is not None}
        lines = [line for line in _marker_lines(getattr(source, field)) if Origin.parse(line) is None
                 and not line.startswith(TRANSFORM_PREFIX)]
        lines.append(origins[i].marker)
        if job.transform_label != "none":
            lines.append(f"{TRANSFORM_PREFIX}{job.transform_label}")
        values[field] = "\n".join(lines)
        built.append((i, kind_class(**values)))
    return _store_built(job, collection_class, built, origins, copies, stale,
                        [existing[str(origins[i].id)] for i in sorted(stale)])
