"""Copying rows of CAVE annotation tables into the same-named tables of another CAVE datastack.

A row there has no field to remember its origin (its schema is fixed), so a copy is recognised by
its content: a row of the target table with the same properties (positions after the transform)
is the copy already made, and is not written again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ...models import Annotation

from ...transfer.core import Origin, _Job, _apply, _create_all, _mark, _origin

POSITION = "_position"


def _moved(job: _Job, properties: dict[str, Any]) -> dict[str, Any]:
    """The properties with every point moved by the transform (voxels stay whole numbers)."""
    out = dict(properties)
    if job.transform is None:
        return out
    for key, value in properties.items():
        if key.endswith(POSITION) and value is not None:
            out[key] = [int(round(v)) for v in _apply(job.transform, np.array([value], dtype=float))[0]]
    return out


def _key(properties: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in properties.items()))


def _copy_cave_annotations(models: list["Annotation"], job: _Job) -> list["Annotation"]:
    from ...models import Annotation, AnnotationCollection

    report = job.report
    copies: list[Annotation] = []
    writes: list[Annotation] = []
    written: list[Origin] = []
    there: dict[str, dict[tuple[Any, ...], Annotation]] = {}
    for a in models:
        origin = _origin(job, "annotation", a)
        table = (a.extra or {}).get("table")
        if not table:
            raise ValueError(f"annotation {a.id} names no table (extra['table']); read it from a table first")
        if table not in there:  # the target's rows, by content, read once per table
            rows = AnnotationCollection(table=table).fetch(connection=job.target)
            there[table] = {_key(r.properties or {}): r for r in rows}
        props = _moved(job, dict(a.properties or {}))
        found = there[table].get(_key(props))
        if found is not None:
            report.existing.append(origin)
            copies.append(_mark(found, origin))
            continue
        copy = Annotation(properties=props, extra={"table": table})
        there[table][_key(props)] = copy  # two equal rows in the source are one copy
        writes.append(copy)
        written.append(origin)
        copies.append(_mark(copy, origin))
    _create_all(job, AnnotationCollection, writes, written)
    return copies
