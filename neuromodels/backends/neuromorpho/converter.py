"""NeuroMorpho.org wire formats -> models."""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import quote

from ...resources import Neuron
from ..base import segment

#: Fields the server sends as strings although they hold numbers ('834.0').
NUMERIC_FIELDS = frozenset({
    "soma_surface", "surface", "volume", "slicing_thickness", "min_age", "max_age", "min_weight", "max_weight",
    "magnification", "reported_value", "reported_xy", "reported_z", "corrected_value", "corrected_xy", "corrected_z",
})
#: Fields that are lists of strings.
LIST_FIELDS = frozenset({"brain_region", "cell_type", "experiment_condition", "reference_pmid", "reference_doi"})


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


def typed_metadata(record: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in record.items():
        if key == "_links":
            continue
        if key in NUMERIC_FIELDS:
            result[key] = number(value)
        elif key in LIST_FIELDS:
            result[key] = list(value) if isinstance(value, (list, tuple)) else ([] if value in (None, "") else [value])
        else:
            result[key] = value
    return result


def neuron_from_record(record: Mapping[str, Any]) -> Neuron:
    meta = typed_metadata(record)
    return Neuron(id=int(meta.pop("neuron_id")), name=meta.pop("neuron_name", None), extra=meta)


def swc_path(archive: str, name: str) -> str:
    """``/dableFiles/<archive, lowercased>/CNG version/<name>.CNG.swc``, percent-encoded."""
    return "/dableFiles/" + segment(archive.lower()) + "/" + quote("CNG version") + "/" + segment(name) + ".CNG.swc"



def morphometry(record: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key in ("_links", "neuron_name", "neuron_id"):
            continue
        converted = number(value)
        out[key] = converted if converted is not None else value
    return out
