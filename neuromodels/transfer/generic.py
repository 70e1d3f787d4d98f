"""The copy any backend gets from declarations alone: the fields a target stores are copied as
they are, and each copy records its origin in a text field the target's resource names
(``copy_marker_field``), so that a second run finds the copies made before.

A backend opts in with ``copies_from = {"<source>": "neuromodels.transfer.generic:copy_fields"}``
and ``copy_marker_field = "description"`` (the toy backend of the tests does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .core import TRANSFORM_PREFIX, Origin, _Job, _mark, _origin, _save, label_of

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
    report = job.report
    origins = [_origin(job, kind, m) for m in models]
    existing: dict[str, Any] = {}
    for found in collection_class().iterator(connection=job.target):
        for line in _marker_lines(getattr(found, field)):
            origin = Origin.parse(line)
            if origin is not None and origin.source == job.key and origin.kind == kind:
                existing.setdefault(str(origin.id), found)
    made = {i: (o, label_of(_marker_lines(getattr(existing[str(o.id)], field))))
            for i, o in enumerate(origins) if str(o.id) in existing}
    stale = job.stale(kind, made)
    copies: list[Any] = [None] * len(models)
    todo = []
    for i, origin in enumerate(origins):
        if str(origin.id) in existing and i not in stale:
            copies[i] = _mark(existing[str(origin.id)], origin)
            report.existing.append(origin)
        else:
            todo.append(i)
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
    if job.dry_run:
        for i, copy in built:
            copies[i] = _mark(copy, origins[i])
            (report.recopied if i in stale else report.created).append(origins[i])
        return [c for c in copies if c is not None]
    if stale:
        collection_class([existing[str(origins[i].id)] for i in sorted(stale)]).delete(connection=job.target)
    saved = _save(job, collection_class, [c for _, c in built], [origins[i] for i, _ in built])
    for (i, copy), ok in zip(built, saved):
        if ok:
            copies[i] = _mark(copy, origins[i])
            (report.recopied if i in stale else report.created).append(origins[i])
    return [c for c in copies if c is not None]
