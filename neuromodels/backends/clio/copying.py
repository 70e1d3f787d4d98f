"""Copies of Clio body annotations between Clio stores (the same body ids; point fields moved by
the transform; the origin kept in a field)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ...transfer.core import Origin, _Job, _apply, _create_all, _mark, _origin

if TYPE_CHECKING:
    from ...models import Annotation

#: The Clio property that carries the marker.
CLIO_MARKER = "copied_from"


def _is_point(key: str, value: Any) -> bool:
    return (("position" in key or "location" in key) and isinstance(value, (list, tuple)) and len(value) == 3
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value))


def _clio_properties(job: _Job, a: "Annotation", origin: Origin) -> dict[str, Any]:
    props = dict(a.properties or {})
    props.pop("bodyid", None)
    if job.transform is not None:
        for key, value in list(props.items()):
            if _is_point(key, value):
                moved = _apply(job.transform, np.array([value], dtype=float))[0]
                props[key] = [int(round(v)) if all(isinstance(x, int) for x in value) else float(v)
                              for v, x in zip(moved, value)]
    props[CLIO_MARKER] = origin.marker
    return props


def _copy_clio_annotations(models: list["Annotation"], job: _Job) -> list["Annotation"]:
    from ...core.errors import NotFound
    from ...models import Annotation, AnnotationCollection

    report = job.report
    origins = [_origin(job, "annotation", a) for a in models]
    bodies = list(dict.fromkeys(int(a.id) for a in models))
    there: dict[int, Annotation] = {}
    ids = bodies
    while ids:
        try:
            there = {t.id: t for t in AnnotationCollection(ids=ids).fetch(connection=job.target)}
            break
        except NotFound as e:
            gone = set(e.missing or [])
            if not gone:
                raise
            ids = [i for i in ids if i not in gone]
    copies: list[Annotation] = []
    writes: list[Annotation] = []
    written: list[Origin] = []
    for a, origin in zip(models, origins):
        props = _clio_properties(job, a, origin)
        found = there.get(int(a.id))
        if found is not None and all(found.properties is not None and found.properties.get(k) == v for k, v in props.items()):
            report.existing.append(origin)
            copies.append(_mark(found, origin))
            continue
        copy = Annotation(id=int(a.id), properties=props)
        if found is not None:
            # Writes merge field by field: start from what the target holds.
            copy = found
            copy.properties = {**(found.properties or {}), **props}
        writes.append(copy)
        written.append(origin)
        copies.append(_mark(copy, origin))
    _create_all(job, AnnotationCollection, writes, written)
    return copies
