"""How a listing splits into independent parts, and the long tables a part can be turned into:
declarations a resource makes so that distributed work (``to_dask``) needs no backend's name.

* By default a listing splits by ids (a resource that fetches by id accepts ``ids=``).
* ``partition_by = PartitionBy("image", images_of_query)``: a server that cannot fetch by ids
  splits by a filter, whose values for a query are found before anything else is fetched.
* ``tables = {"nodes": LongTable(FieldTable("nodes", "skeleton_id"), needs={"nodes": True})}``:
  besides one row per object, the rows of a table each object holds (or any function of the
  fetched objects), with the fetch options it needs.

>>> import pandas as pd
>>> class Thing:
...     def __init__(self, id, rows): self.id, self.rows = id, pd.DataFrame({"v": rows})
>>> FieldTable("rows", "thing_id")([Thing(1, [5, 6]), Thing(2, [7])]).values.tolist()
[[1, 5], [1, 6], [2, 7]]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import attrs

if TYPE_CHECKING:
    import pandas as pd

    from ..connection import Connection


@attrs.frozen
class PartitionBy:
    """Split a listing by one filter: ``values(conn, modifiers)`` lists the filter's values for a
    query (each partition sets one group of them); the plural form (``images``) of the filter,
    if the query has it, is replaced."""

    filter: str
    values: Callable[["Connection", dict[str, Any]], list[Any]]


class FieldTable:
    """The rows of a DataFrame field of every object, its id in a first column (a class, not a
    closure, so that it pickles to worker processes)."""

    def __init__(self, field: str, id_column: str) -> None:
        self.field = field
        self.id_column = id_column
        self.__qualname__ = f"FieldTable({field!r})"

    def __call__(self, models: Sequence[Any]) -> "pd.DataFrame":
        import pandas as pd

        parts = []
        for model in models:
            table = getattr(model, self.field)
            if table is None:
                continue
            parts.append(table.assign(**{self.id_column: model.id})[[self.id_column, *table.columns]])
        if not parts:
            return pd.DataFrame({self.id_column: pd.Series(dtype="int64")})
        return pd.concat(parts, ignore_index=True)


@attrs.frozen
class LongTable:
    """A table made of fetched objects (``build``), and the fetch options it needs."""

    build: Callable[[Sequence[Any]], "pd.DataFrame"]
    needs: Mapping[str, Any] = attrs.field(factory=dict)
