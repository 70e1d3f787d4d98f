"""Field values as change tracking sees them: snapshots that later in-place edits do not reach,
equality that understands DataFrames, arrays, geometries and NaN, and plain Python data."""

from __future__ import annotations

import copy
import functools
import math
from typing import Any

import attrs


#: Values that are their own snapshot (immutable), and containers of only those, copied shallowly.
_ATOMIC = frozenset({type(None), bool, int, float, str})


def _frozen_copy(value: Any) -> Any:
    """A snapshot of a field value that later in-place edits of the value do not reach."""
    kind = type(value)
    if kind in _ATOMIC:  # the common case first: listing thousands of models snapshots each field
        return value
    if kind is list and _ATOMIC.issuperset(map(type, value)):
        return list(value)
    from shapely.geometry.base import BaseGeometry

    if isinstance(value, BaseGeometry):
        return value  # immutable: shared
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        # Copy-on-write: a shallow copy is a snapshot that costs nothing until an edit.
        return value.copy(deep=not _copy_on_write())
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, dict, set, tuple)):
        return copy.deepcopy(value)
    return value  # other scalars and immutable values are shared


@functools.lru_cache(maxsize=1)
def _copy_on_write() -> bool:
    import pandas as pd

    if int(pd.__version__.split(".")[0]) >= 3:
        return True
    try:
        return bool(pd.get_option("mode.copy_on_write"))
    except (KeyError, ValueError):  # pandas < 1.5 has no such option
        return False


def same(a: Any, b: Any) -> bool:
    """Value equality that understands DataFrames, arrays, geometries and NaN."""
    if a is b:
        return True
    import numpy as np
    import pandas as pd

    if isinstance(a, pd.DataFrame) or isinstance(b, pd.DataFrame):
        return isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame) and a.equals(b)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        try:
            return bool(np.array_equal(np.asarray(a), np.asarray(b)))
        except (TypeError, ValueError):
            return False
    if hasattr(a, "equals") and hasattr(b, "equals") and hasattr(a, "geom_type"):
        return bool(a.equals(b)) and a.geom_type == b.geom_type
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    """Plain Python data for ``to_dict``."""
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return value.to_dict("records")
    if isinstance(value, np.ndarray):
        return value.tolist()
    if hasattr(value, "wkt") and hasattr(value, "geom_type"):
        return value.wkt
    if attrs.has(type(value)):
        return {k: _plain(v) for k, v in attrs.asdict(value, recurse=False).items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
