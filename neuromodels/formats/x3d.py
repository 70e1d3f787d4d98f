"""X3D ``IndexedTriangleSet`` meshes (how CATMAID returns volumes)."""

from __future__ import annotations

import re

import numpy as np

_INDEX = re.compile(r"index\s*=\s*['\"]([^'\"]*)['\"]")
_POINT = re.compile(r"point\s*=\s*['\"]([^'\"]*)['\"]")


def parse_indexed_triangle_set(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (N×3 float) and faces (M×3 int) with repeated vertices merged.

    >>> v, f = parse_indexed_triangle_set("<IndexedTriangleSet index='0 1 2'><Coordinate point='0 0 0 1 0 0 0 1 0'/></IndexedTriangleSet>")
    >>> v.shape, f.tolist()
    ((3, 3), [[0, 2, 1]])
    """
    index_match = _INDEX.search(text)
    point_match = _POINT.search(text)
    if not index_match or not point_match:
        raise ValueError("not an X3D IndexedTriangleSet (no index or point attribute)")
    index = np.array(index_match.group(1).split(), dtype=np.int64)
    points = np.array(point_match.group(1).split(), dtype=np.float64)
    if len(points) % 3 or len(index) % 3:
        raise ValueError("X3D mesh: point or index count is not a multiple of 3")
    points = points.reshape(-1, 3)
    if len(index) and (index.max() >= len(points) or index.min() < 0):
        raise ValueError("X3D mesh: an index points past the coordinates")
    # The server repeats every vertex per triangle: merge equal vertices.
    vertices, inverse = np.unique(points, axis=0, return_inverse=True)
    faces = inverse.reshape(-1)[index].reshape(-1, 3)
    return vertices, faces


def to_indexed_triangle_set(vertices: np.ndarray, faces: np.ndarray) -> str:
    """X3D text with one vertex per triangle corner, as CATMAID writes it."""
    corners = np.asarray(vertices, dtype=float)[np.asarray(faces, dtype=int).reshape(-1)]
    index = " ".join(str(i) for i in range(len(corners)))
    point = " ".join(f"{v:g}" for v in corners.reshape(-1))
    return f"<IndexedTriangleSet  index='{index}'><Coordinate point='{point}'/></IndexedTriangleSet>"
