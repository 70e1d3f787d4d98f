"""Morphometry and persistence vectors of many neurons at once, and the morphometry select
(neurons found by their L-Measure values)."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import attrs
import numpy as np
import pandas as pd

from ...connection import Connection
from ...models import Neuron
from ...core.backend import check_id, segment
from .converter import number
from .queries import check_fields, connection_for, criteria, hal_records, json_of


def neuron_ids(neurons: Any) -> list[int]:
    """Neurons, a collection, ids or one of them -> neuron ids (checked before any request)."""
    items: Iterable[Any] = neurons if isinstance(neurons, (list, tuple, set, Sequence, np.ndarray)) \
        and not isinstance(neurons, (str, bytes)) else [neurons]
    return [check_id(n.id if isinstance(n, Neuron) else n, int, "neuron id") for n in items]


def measures(record: dict[str, Any]) -> dict[str, Any]:
    """A morphometry record: numbers as floats, names as sent, links dropped."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key == "_links":
            continue
        converted = number(value) if key not in ("neuron_name", "neuron_id") else value
        out[key] = converted if converted is not None else value
    return out


def _record(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or "neuron_id" not in body:
        raise TypeError("a morphometry record is an object with a neuron_id")
    return measures(body)


def morphometry(neurons: Any, *, connection: Connection | None = None) -> pd.DataFrame:
    """The morphometry of many neurons in one parallel step: one row per neuron (index
    ``neuron_id``, in the order given), one float column per measure.

    >>> table = morphometry(NeuronCollection(species="rat").fetch())
    >>> len(table), bool(table["length"].gt(0).all())
    (7, True)
    """
    conn = connection_for(connection, "morphometry()")
    ids = neuron_ids(neurons)
    rows = conn.transport.map_values(
        lambda i: conn.transport.request("GET", f"/api/morphometry/id/{i}", parse=json_of(_record)), ids,
        desc="reading morphometry")
    return pd.DataFrame.from_records(rows, index="neuron_id") if rows else pd.DataFrame()


def morphometry_select(*, limit: int | None = None, connection: Connection | None = None, **query: Any) -> pd.DataFrame:
    """Neurons found by their morphometry: ``n_bifs=(10, 20)`` is a range (None: open end), a
    list means any of the values. One row per neuron (index ``neuron_id``), every measure.

    >>> table = morphometry_select(n_bifs=(10, None), length=(0, 2000))
    >>> bool(table["n_bifs"].ge(10).all())
    True
    """
    conn = connection_for(connection, "morphometry_select()")
    if not query:
        raise ValueError("morphometry_select() needs at least one measure, e.g. n_bifs=(10, 20)")
    check_fields(conn, "morphometry", list(query))
    rows = hal_records(conn, "/api/morphometry/select", "measurements", criteria(query), limit)
    table = pd.DataFrame.from_records([measures(r) for r in rows])
    return table.set_index("neuron_id") if not table.empty else table


@attrs.frozen
class PersistenceVector:
    """A neuron's persistence vector: ``coefficients`` (100 values sampled over the range of the
    path distance from the root), ``distance`` (the top of that range) and ``scaling_factor``;
    ``extra`` keeps what else the server sends."""

    neuron_id: int
    coefficients: np.ndarray = attrs.field(eq=False, repr=lambda a: f"<{len(a)} values>")
    distance: float | None = None
    scaling_factor: float | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)


def _pvec(body: Any) -> PersistenceVector:
    if not isinstance(body, dict) or not isinstance(body.get("coefficients"), list):
        raise TypeError("a persistence vector is an object with a list of coefficients")
    rest = {k: v for k, v in body.items() if k not in ("neuron_id", "coefficients", "distance", "scaling_factor", "_links")}
    return PersistenceVector(int(body["neuron_id"]), np.asarray(body["coefficients"], dtype=float),
                             number(body.get("distance")), number(body.get("scaling_factor")), rest)


def persistence_vector(neuron: Any = None, *, name: str | None = None,
                       connection: Connection | None = None) -> PersistenceVector:
    """One neuron's persistence vector (``/api/pvec/id/{id}``, or ``name=`` for ``/api/pvec/name/``).

    >>> pv = persistence_vector(1000)
    >>> len(pv.coefficients), pv.distance > 0
    (100, True)
    """
    conn = connection_for(connection, "persistence_vector()")
    if name is not None:
        path = f"/api/pvec/name/{segment(name)}"
    else:
        path = f"/api/pvec/id/{neuron_ids(neuron)[0]}"
    return conn.transport.request("GET", path, parse=json_of(_pvec))


def persistence_vectors(neurons: Any, *, connection: Connection | None = None) -> pd.DataFrame:
    """Persistence vectors of many neurons in one parallel step: one row per neuron (index
    ``neuron_id``), columns ``distance``, ``scaling_factor``, then ``p0`` ... ``p99``.

    >>> persistence_vectors([1000, 1001]).shape
    (2, 102)
    """
    conn = connection_for(connection, "persistence_vectors()")
    found = conn.transport.map_values(lambda i: persistence_vector(i, connection=conn), neuron_ids(neurons),
                                      desc="reading persistence vectors")
    rows = [{"neuron_id": v.neuron_id, "distance": v.distance, "scaling_factor": v.scaling_factor,
             **{f"p{i}": c for i, c in enumerate(v.coefficients)}} for v in found]
    return pd.DataFrame.from_records(rows, index="neuron_id") if rows else pd.DataFrame()
