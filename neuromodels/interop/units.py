"""Length units between navis and the servers: a navis neuron's coordinates are converted to the
units its target server stores (CATMAID nanometres, NeuroMorpho.org micrometres), never relabelled.

navis keeps units as a pint quantity (``8 nanometer`` for voxel coordinates of 8 nm voxels);
reading such a neuron as nanometres without scaling would make it 8 times too small.
"""

from __future__ import annotations

from typing import Any

from .optional import require

#: Where no server says otherwise, coordinates are nanometres (CATMAID's and most EM data's).
DEFAULT_UNITS = "1 nanometer"


def _quantity(value: Any, what: str) -> Any:
    """``value`` (a pint quantity or text such as "8 nanometer") as a quantity of navis' registry,
    or None where it carries no unit (navis' default for a neuron of unknown units)."""
    if value is None:
        return None
    registry = require("navis").config.ureg
    try:
        quantity = value if hasattr(value, "check") else registry.Quantity(str(value))
    except Exception as e:  # noqa: BLE001 - pint's parse errors are many; one message for all
        raise ValueError(f"{what} units {str(value)!r} are not units navis understands ({e})") from None
    if getattr(quantity, "dimensionless", False):
        return None
    if not quantity.check("[length]"):
        raise ValueError(f"{what} units {str(value)!r} are not a length")
    return quantity


#: Short suffixes of the common length units, for column names.
SUFFIXES = {"nanometer": "nm", "micrometer": "um", "millimeter": "mm", "meter": "m"}


def unit_name(neuron: Any) -> str | None:
    """A neuron's length unit as a word ("nanometer"; "8 nanometer" for voxels of 8 nm): the
    units it came with, else the current connection's server's, else None. Needs no navis."""
    units = neuron.extra.get("units") if getattr(neuron, "extra", None) else None
    if units is None:
        from ..connection import Connection
        from ..core.errors import NoConnection

        try:
            units = Connection.current().backend.units
        except NoConnection:
            return None
    if units is None:
        return None
    text = str(units).strip()
    return text[2:] if text.startswith("1 ") else text


def series_name(unit: str | None) -> str:
    """``cable_length_nm`` for nanometres, ``cable_length_um`` for micrometres, else ``cable_length``."""
    suffix = SUFFIXES.get(unit or "")
    return f"cable_length_{suffix}" if suffix else "cable_length"


def target_units(units: Any) -> str:
    """The units a new neuron's coordinates should be in: ``units`` when given, else the current
    connection's server's, else nanometres."""
    if units is not None:
        return str(units)
    from ..connection import Connection
    from ..core.errors import NoConnection

    try:
        return Connection.current().backend.units or DEFAULT_UNITS
    except NoConnection:
        return DEFAULT_UNITS


def length_scale(source: Any, target: Any) -> float | None:
    """The factor that turns coordinates in ``source`` units into ``target`` units; None where
    ``source`` carries no unit (the coordinates are then taken as they are).

    >>> length_scale("8 nanometer", "1 nanometer"), length_scale("1 micrometer", "1 nanometer")
    (8.0, 1000.0)
    >>> length_scale(None, "1 nanometer") is None
    True
    >>> length_scale("2 second", "1 nanometer")
    Traceback (most recent call last):
    ValueError: the neuron's units '2 second' are not a length
    """
    have = _quantity(source, "the neuron's")
    if have is None:
        return None
    want = _quantity(target, "the target")
    if want is None:
        raise ValueError(f"the target units {str(target)!r} carry no length unit")
    # 12 significant digits: pint's float arithmetic leaves 999.9999999999999 for µm -> nm
    return float(f"{float((have / want).to('dimensionless').magnitude):.12g}")


def scale_columns(table: Any, factor: float | None, columns: tuple[str, ...]) -> Any:
    """A copy of ``table`` with ``columns`` multiplied by ``factor`` (integers stay integers where
    the factor is a whole number)."""
    if factor is None or factor == 1.0:
        return table
    table = table.copy()
    for column in columns:
        if column in table:
            scaled = table[column] * factor
            if factor.is_integer() and str(table[column].dtype).startswith("int"):
                scaled = scaled.astype(table[column].dtype)
            table[column] = scaled
    return table
