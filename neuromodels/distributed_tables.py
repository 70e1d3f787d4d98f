"""The long tables a dask pull can be made of, besides one row per object, as each resource
declares them (``tables``: :mod:`neuromodels.core.partitions`) — CATMAID's node and connector
tables, Cytomine's geometries, any other backend's own. Each partition builds its part of the
table from the objects it fetched, on the worker, so the driver never holds the whole table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

if TYPE_CHECKING:
    import pandas as pd

    from .core.capabilities import Resource


def table_builder(resource: "Resource[Any]", table: str, options: dict[str, Any]) -> Callable[[Sequence[Any]], "pd.DataFrame"]:
    """The builder of ``table`` declared by ``resource``, checking the fetch options agree (before
    any request): a name it does not declare is a ValueError naming the close ones."""
    from .core.capabilities import did_you_mean
    from .core.errors import NotSupported

    known = sorted(resource.tables)
    if table not in resource.tables:
        if not known:
            raise NotSupported(f"{resource.backend_name} {resource.model_name} has no long table for "
                               "to_dask(table=...); leave table out for one row per object")
        raise ValueError(f"no table {table!r} for {resource.backend_name} {resource.model_name}"
                         f"{did_you_mean(table, known)}; tables: {', '.join(known)}")
    declared = resource.tables[table]
    for option, value in declared.needs.items():
        if option in options and options[option] != value:
            raise ValueError(f"table={table!r} needs {option}={value!r} (it is built from them), not {options[option]!r}")
    return declared.build


__all__ = ["table_builder"]
