"""Points against a closed triangle mesh, in numpy (no mesh library needed).

>>> import numpy as np
>>> cube_v = np.array([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)], dtype=float)
>>> cube_f = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
...                    [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
>>> inside([[0.5, 0.5, 0.5], [2, 0.5, 0.5]], cube_v, cube_f).tolist()
[True, False]
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: A ray direction that no axis-aligned edge or face of a typical mesh lies along.
_RAY = np.array([0.8473, 0.4118, 0.3354])
#: Points tested against all faces at once (memory: points x faces floats).
_CHUNK = 512


def inside(points: Any, vertices: Any, faces: Any) -> np.ndarray:
    """For each point, whether it lies inside the closed mesh (ray parity: a ray from the point
    crosses the surface an odd number of times). Points outside the mesh's bounding box are
    outside without a test."""
    p = np.asarray(points, dtype=float).reshape(-1, 3)
    v = np.asarray(vertices, dtype=float)
    f = np.asarray(faces, dtype=np.int64)
    result = np.zeros(len(p), dtype=bool)
    if len(p) == 0 or len(f) == 0:
        return result
    lo, hi = v.min(axis=0), v.max(axis=0)
    candidates = np.flatnonzero(((p >= lo) & (p <= hi)).all(axis=1))
    a, b, c = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
    e1, e2 = b - a, c - a
    h = np.cross(_RAY, e2)
    det = (e1 * h).sum(axis=1)
    usable = np.abs(det) > 1e-12
    a, e1, e2, h, det = a[usable], e1[usable], e2[usable], h[usable], det[usable]
    inv = 1.0 / det
    for start in range(0, len(candidates), _CHUNK):
        index = candidates[start : start + _CHUNK]
        s = p[index][:, None, :] - a[None, :, :]  # points x faces x 3
        u = (s * h[None]).sum(axis=2) * inv
        q = np.cross(s, e1[None])
        w = (q * _RAY).sum(axis=2) * inv
        t = (q * e2[None]).sum(axis=2) * inv
        hits = (u >= 0) & (w >= 0) & (u + w <= 1) & (t > 0)
        result[index] = hits.sum(axis=1) % 2 == 1
    return result
