"""The long tables a dask pull can be made of, besides one row per object: CATMAID's node and
connector tables (one row per node or connector link, with its ``skeleton_id``) and Cytomine's
geometries (one row per annotation, its shapely geometry). Each partition builds its part of the
table from the objects it fetched, on the worker, so the driver never holds the whole table.

>>> sorted(TABLES)
[('catmaid', 'Neuron', 'connectors'), ('catmaid', 'Neuron', 'nodes'), ('cytomine', 'Annotation', 'geometries')]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

if TYPE_CHECKING:
    import pandas as pd


class NeuronTable:
    """A neuron table (``nodes`` or ``connectors``) of every neuron, a ``skeleton_id`` column first
    (a class, not a closure, so that it pickles to worker processes)."""

    def __init__(self, field: str) -> None:
        self.field = field
        self.__qualname__ = f"NeuronTable({field!r})"

    def __call__(self, neurons: Sequence[Any]) -> "pd.DataFrame":
        import pandas as pd

        parts = []
        for neuron in neurons:
            table = getattr(neuron, self.field)
            if table is None:
                continue
            parts.append(table.assign(skeleton_id=neuron.id)[["skeleton_id", *table.columns]])
        if not parts:
            return pd.DataFrame({"skeleton_id": pd.Series(dtype="int64")})
        return pd.concat(parts, ignore_index=True)


def _geometries(annotations: Sequence[Any]) -> "pd.DataFrame":
    import pandas as pd

    return pd.DataFrame({
        "id": pd.Series([a.id for a in annotations], dtype="int64"),
        "image": pd.Series([a.image for a in annotations], dtype="Int64"),
        "project": pd.Series([a.project for a in annotations], dtype="Int64"),
        "geometry": pd.Series([a.geometry for a in annotations], dtype=object),
    })


#: (backend, model, table) -> how a partition turns its fetched objects into rows of the table.
TABLES: dict[tuple[str, str, str], Callable[[Sequence[Any]], "pd.DataFrame"]] = {
    ("catmaid", "Neuron", "nodes"): NeuronTable("nodes"),
    ("catmaid", "Neuron", "connectors"): NeuronTable("connectors"),
    ("cytomine", "Annotation", "geometries"): _geometries,
}

#: Fetch options a table needs (a node table needs the nodes fetched).
NEEDS: dict[str, dict[str, Any]] = {"nodes": {"nodes": True}, "connectors": {"nodes": True}}


def table_builder(backend: str, model: str, table: str, options: dict[str, Any]) -> Callable[[Sequence[Any]], "pd.DataFrame"]:
    """The builder of ``table`` for this backend's model, checking the fetch options agree.

    >>> table_builder("catmaid", "Neuron", "node", {})
    Traceback (most recent call last):
    ...
    ValueError: no table 'node' for catmaid Neuron (did you mean 'nodes'?); tables: connectors, nodes
    """
    from .core.capabilities import did_you_mean
    from .core.errors import NotSupported

    known = sorted(name for b, m, name in TABLES if (b, m) == (backend, model))
    if (backend, model, table) not in TABLES:
        if not known:
            raise NotSupported(f"{backend} {model} has no long table for to_dask(table=...); "
                               "leave table out for one row per object")
        raise ValueError(f"no table {table!r} for {backend} {model}{did_you_mean(table, known)}; "
                         f"tables: {', '.join(known)}")
    for option, value in NEEDS.get(table, {}).items():
        if option in options and options[option] != value:
            raise ValueError(f"table={table!r} needs {option}={value!r} (it is built from them), not {options[option]!r}")
    return TABLES[(backend, model, table)]


__all__ = ["NeuronTable", "TABLES", "table_builder"]
