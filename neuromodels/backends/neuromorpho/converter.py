"""NeuroMorpho.org wire formats -> models. Every NeuroMorpho-specific shape lives here.

One converter (:data:`converter`) reads every server reply: a neuron record
(``converter.structure(record, Neuron)``), a HAL page of them (:class:`NeuronPage`), a page of a
field's values (:class:`ValuePage`) and a morphometry record (:class:`Measurements`). Request
bodies (the select query) are made through it too, so numpy values go out as plain JSON.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

import attrs

from ...models import Neuron
from ...core.wire import make_converter

#: Every NeuroMorpho wire shape <-> model.
converter = make_converter()

#: Fields the server sends as strings although they hold numbers ('834.0').
NUMERIC_FIELDS = frozenset({
    "soma_surface", "surface", "volume", "slicing_thickness", "min_age", "max_age", "min_weight", "max_weight",
    "magnification", "reported_value", "reported_xy", "reported_z", "corrected_value", "corrected_xy", "corrected_z",
})
#: Fields that are lists of strings.
LIST_FIELDS = frozenset({"brain_region", "cell_type", "experiment_condition", "reference_pmid", "reference_doi"})
#: Fields holding a calendar date ('2013-01-25').
DATE_FIELDS = frozenset({"upload_date", "deposition_date"})
#: Keys of a record that are links, not data.
LINKS = "_links"


def number(value: Any) -> float | None:
    """'834.0' -> 834.0; 'Not reported', '' and None -> None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def date(value: Any) -> dt.date | None:
    """'2013-01-25' -> a date; anything else ('Not reported', None) -> None."""
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def typed_metadata(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record's metadata with numbers as floats and list fields as lists (links dropped)."""
    result: dict[str, Any] = {}
    for key, value in record.items():
        if key == LINKS:
            continue
        if key in NUMERIC_FIELDS:
            result[key] = number(value)
        elif key in LIST_FIELDS:
            result[key] = list(value) if isinstance(value, (list, tuple)) else ([] if value in (None, "") else [value])
        else:
            result[key] = value
    return result


def _structure_neuron(record: Mapping[str, Any], _: Any = None) -> Neuron:
    if not isinstance(record, Mapping):
        raise TypeError(f"a neuron record is an object, not {type(record).__name__}")
    meta = typed_metadata(record)
    return Neuron(id=int(meta.pop("neuron_id")), name=meta.pop("neuron_name", None), extra=meta)


converter.register_structure_hook(Neuron, _structure_neuron)


@attrs.frozen
class NeuronPage:
    """One page of ``/api/neuron`` or ``/api/neuron/select`` (a HAL envelope)."""

    neurons: list[Neuron]
    total: int
    pages: int


def _structure_page(body: Mapping[str, Any], _: Any = None) -> NeuronPage:
    # No ``_embedded`` at all is how the server says "no match".
    records = (body.get("_embedded") or {}).get("neuronResources") or []
    page = body.get("page") or {}
    neurons = [converter.structure(r, Neuron) for r in records]
    return NeuronPage(neurons, int(page.get("totalElements", len(neurons))), int(page.get("totalPages", 1)))


converter.register_structure_hook(NeuronPage, _structure_page)


@attrs.frozen
class ValuePage:
    """One page of ``/api/neuron/fields/{field}``: the values the server knows for a field."""

    values: list[str]
    pages: int


def _structure_values(body: Mapping[str, Any], _: Any = None) -> ValuePage:
    values = body["fields"]
    if not isinstance(values, list):
        raise TypeError("the field values are not a list")
    return ValuePage([str(v) for v in values if v is not None], int((body.get("page") or {}).get("totalPages", 1)))


converter.register_structure_hook(ValuePage, _structure_values)


@attrs.frozen
class FieldNames:
    """``/api/neuron/fields``: the neuron fields a select accepts."""

    names: list[str]


converter.register_structure_hook(FieldNames, lambda body, _: FieldNames([str(n) for n in body["Neuron Fields"]]))


class Measurements(dict[str, Any]):
    """``/api/morphometry/id/{id}``: numbers as floats, other values as sent."""


def _structure_measurements(record: Mapping[str, Any], _: Any = None) -> Measurements:
    out = Measurements()
    for key, value in record.items():
        if key in (LINKS, "neuron_name", "neuron_id"):
            continue
        converted = number(value)
        out[key] = converted if converted is not None else value
    return out


converter.register_structure_hook(Measurements, _structure_measurements)


def select_body(query: Mapping[str, list[Any]]) -> dict[str, list[Any]]:
    """The JSON body of ``POST /api/neuron/select``: field -> list of plain values."""
    body: dict[str, list[Any]] = converter.unstructure(dict(query))
    return body




# -- table columns ---------------------------------------------------------------------------------
#: The columns ``to_dataframe()`` puts first (the rest follow in the server's order).
LEADING = ("id", "name", "archive", "species", "brain_region", "cell_type")


def row(neuron: Neuron) -> dict[str, Any]:
    """One ``to_dataframe()`` row: id, name and the metadata as typed values (floats, dates as
    timestamps, list fields as lists), plus ``n_nodes`` when the nodes are loaded."""
    import pandas as pd

    out: dict[str, Any] = {"id": neuron.id, "name": neuron.name}
    for key, value in neuron.extra.items():
        if key in out or key == LINKS:
            continue
        if key in DATE_FIELDS:
            day = date(value)
            out[key] = pd.Timestamp(day) if day is not None else None
        else:
            out[key] = value
    if neuron.nodes is not None:
        out["n_nodes"] = len(neuron.nodes)
    return out
