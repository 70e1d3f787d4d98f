"""What the CATMAID resource declarations share: value checks and sizes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ...core.backend import as_list, check_id, check_name


INT = (int, np.integer)
#: Entities per query-targets page.
PAGE = 500
KNOWN_RELATIONS = frozenset(
    {"presynaptic_to", "postsynaptic_to", "gapjunction_with", "desmosome_with", "abutting",
     "tightjunction_with", "attached_to", "close_to"}
)


def _check_neuron_name(name: Any) -> None:
    check_name(name, "a CATMAID neuron name")
    if "|" in name:
        raise ValueError(f"a CATMAID neuron name must not contain '|' (CATMAID refuses it): {name!r}")


def _check_coordinate(value: Any, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{what} must be a number, not {type(value).__name__}")
    if not math.isfinite(float(value)):
        raise ValueError(f"{what} must be finite, not {value!r}")


def _box(value: Any) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """A bounding box as (min corner, max corner); ValueError for anything else."""
    array = np.asarray(value, dtype=float)
    if array.shape == (3, 2):  # pymaid: [[minx, maxx], [miny, maxy], [minz, maxz]]
        lo, hi = array[:, 0], array[:, 1]
    elif array.shape == (6,):
        lo, hi = array[:3], array[3:]
    else:
        raise ValueError(f"bbox must be (minx, miny, minz, maxx, maxy, maxz) or [[minx, maxx], [miny, maxy], "
                         f"[minz, maxz]], not an array of shape {array.shape}")
    if not np.isfinite(array).all() or (lo > hi).any():
        raise ValueError(f"bbox must be finite with each minimum <= its maximum, not {value!r}")
    return (float(lo[0]), float(lo[1]), float(lo[2])), (float(hi[0]), float(hi[1]), float(hi[2]))


def _same_frame(a: Any, b: Any) -> bool:
    return a is b or (isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame) and a.equals(b))


def _ids(value: Any) -> list[int]:
    return [check_id(v, int, "skeleton id") for v in as_list(value)]
