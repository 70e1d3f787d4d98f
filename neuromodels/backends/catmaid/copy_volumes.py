"""Copies of CATMAID volumes: the mesh moved by the transform, the origin kept in the comment."""

from __future__ import annotations

import concurrent.futures
from typing import TYPE_CHECKING

import numpy as np

from ...transfer.core import TRANSFORM_PREFIX, Origin, _Job, _apply, _origin, _sort_found, _store_built, label_of

if TYPE_CHECKING:
    from ...models import Volume


def copy_from_catmaid(models: list["Volume"], job: _Job) -> list["Volume"]:
    from ...models import Volume, VolumeCollection

    origins = [_origin(job, "volume", v) for v in models]
    existing: dict[str, Volume] = {}
    for v in VolumeCollection().fetch(connection=job.target):
        for line in (v.comment or "").splitlines():
            origin = Origin.parse(line.strip())
            if origin is not None and origin.source == job.key and origin.kind == "volume":
                existing.setdefault(origin.id, v)
    copies, todo, stale = _sort_found(job, "volume", origins, existing,
                                      lambda v: label_of(line.strip() for line in (v.comment or "").splitlines()))
    if job.dry_run:
        built = [(i, Volume(name=models[i].name)) for i in todo]
    else:
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
            built.append((i, Volume(name=v.name, comment=comment,
                                    vertices=_apply(job.transform, np.asarray(v.vertices, dtype=float)),
                                    faces=np.asarray(v.faces))))
    return _store_built(job, VolumeCollection, built, origins, copies, stale,
                        [existing[str(origins[i].id)] for i in sorted(stale)])
