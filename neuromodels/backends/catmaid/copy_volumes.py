"""Copies of CATMAID volumes: the mesh moved by the transform, the origin kept in the comment."""

from __future__ import annotations

import concurrent.futures
from typing import TYPE_CHECKING

import numpy as np

from ...transfer.core import TRANSFORM_PREFIX, Origin, _Job, _apply, _mark, _origin, _save, label_of

if TYPE_CHECKING:
    from ...models import Volume


def copy_from_catmaid(models: list["Volume"], job: _Job) -> list["Volume"]:
    from ...models import Volume, VolumeCollection

    report = job.report
    origins = [_origin(job, "volume", v) for v in models]
    existing: dict[str, Volume] = {}
    for v in VolumeCollection().fetch(connection=job.target):
        for line in (v.comment or "").splitlines():
            origin = Origin.parse(line.strip())
            if origin is not None and origin.source == job.key and origin.kind == "volume":
                existing.setdefault(origin.id, v)
    copies: list[Volume | None] = [None] * len(models)
    todo = []
    made = {i: (o, label_of(line.strip() for line in (existing[str(o.id)].comment or "").splitlines()))
            for i, o in enumerate(origins) if str(o.id) in existing}
    stale = job.stale("volume", made)
    for i, origin in enumerate(origins):
        if str(origin.id) in existing and i not in stale:
            copies[i] = _mark(existing[str(origin.id)], origin)
            report.existing.append(origin)
        else:
            todo.append(i)
    if job.dry_run:
        for i in todo:
            copies[i] = _mark(Volume(name=models[i].name), origins[i])
            (report.recopied if i in stale else report.created).append(origins[i])
        return [c for c in copies if c is not None]
    if stale:
        VolumeCollection([existing[str(origins[i].id)] for i in sorted(stale)]).delete(connection=job.target)
    need_mesh = [models[i] for i in todo if models[i].vertices is None or models[i].faces is None]
    with concurrent.futures.ThreadPoolExecutor(max(1, job.source.max_workers)) as pool:
        list(pool.map(lambda v: v.fetch(connection=job.source), need_mesh))
    built = []
    for i in todo:
        v = models[i]
        kept = [line for line in (v.comment or "").splitlines() if not line.startswith(TRANSFORM_PREFIX)]
        comment = "\n".join(kept + [origins[i].marker])
        if job.transform_label != "none":
            comment += f"\n{TRANSFORM_PREFIX}{job.transform_label}"
        built.append((i, Volume(name=v.name, comment=comment, vertices=_apply(job.transform, np.asarray(v.vertices, dtype=float)),
                                faces=np.asarray(v.faces))))
    stored = _save(job, VolumeCollection, [c for _, c in built], [origins[i] for i, _ in built])
    for (i, copy), ok in zip(built, stored):
        if ok:
            copies[i] = _mark(copy, origins[i])
            (report.recopied if i in stale else report.created).append(origins[i])
    return [c for c in copies if c is not None]
