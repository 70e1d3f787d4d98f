"""What every backend's converter is made of.

Each backend has ONE :class:`cattrs.Converter` (``converter`` in its ``converter`` module) that
holds every wire detail of that server: models are structured from server data with
``converter.structure(data, Model)`` and request bodies are made with
``converter.unstructure(model, ...)`` (or an unstructure hook registered on it). Resources never
build models by hand and never keep lists of "known" keys.

:func:`record` declares the common case, a flat JSON record::

    converter.register_structure_hook(Project, record(Project, id="id", name="title",
                                                      description="comment"))

Each keyword maps a field to its wire key, or to a function of the whole record for nested or
computed values; every wire key not consumed lands in ``extra``, so nothing the server sends is
dropped.

Errors while reading server data (a missing key, a wrong type, bad WKT ...) are not caught here:
the transport turns any of them raised inside a ``parse=`` callback into a
:class:`~neuromodels.ProtocolError` naming the method and path, in one place.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, TypeVar

import cattrs

M = TypeVar("M")

#: A field's source in a record: a wire key, or a function of the whole record.
Source = str | Callable[[Mapping[str, Any]], Any]


def make_converter() -> cattrs.Converter:
    """A converter with what every backend needs: numpy scalars and arrays unstructure to plain
    Python (JSON encoders refuse ``numpy.float64``), tuples to lists."""
    converter = cattrs.Converter()

    def is_numpy(cls: type) -> bool:
        return getattr(cls, "__module__", "") == "numpy"

    converter.register_unstructure_hook_func(is_numpy, lambda value: value.tolist())
    return converter


def plain(value: Any) -> Any:
    """JSON-ready Python data: numpy scalars and arrays as Python numbers and lists, recursively."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "tolist") and type(value).__module__ == "numpy":
        return value.tolist()
    return value


def record(model: type[M], *, extra: bool = True, required: tuple[str, ...] = ("id",), consumes: tuple[str, ...] = (),
           **fields: Source) -> Callable[[Mapping[str, Any], Any], M]:
    """A structure hook for a flat record: ``field=wire_key`` or ``field=function(record)``.

    Fields in ``required`` must be in the record (a missing one is a ``KeyError``, which the
    transport reports as a ProtocolError); wire keys neither named nor in ``consumes`` go into
    ``extra`` (when ``extra`` is true)."""
    consumed = {source for source in fields.values() if isinstance(source, str)} | set(consumes)

    def structure(data: Mapping[str, Any], _: Any = None) -> M:
        if type(data) is not dict and not isinstance(data, Mapping):  # dict first: typing.Mapping checks are slow
            raise TypeError(f"a {model.__name__} record is an object, not {type(data).__name__}")
        check_depth(data)
        values = {name: ((data[source] if name in required else data.get(source)) if isinstance(source, str)
                         else source(data))
                  for name, source in fields.items()}
        if "id" in values and values["id"] is not None and (
                isinstance(values["id"], bool) or not isinstance(values["id"], (int, str))):
            raise TypeError(f"a {model.__name__} id is {type(values['id']).__name__}, not a number or a name")
        if extra:
            values["extra"] = {k: v for k, v in data.items() if k not in consumed}
        return model(**values)

    return structure


# -- checked reads of reply values (used inside ``parse=`` callbacks) --------------------------------
def obj(value: Any, what: str = "the reply") -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else a TypeError naming ``what``."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{what} is {type(value).__name__}, not an object")
    return value


def seq(value: Any, what: str = "the reply") -> list[Any]:
    """``value`` if it is a JSON array, else a TypeError naming ``what``."""
    if not isinstance(value, list):
        raise TypeError(f"{what} is {type(value).__name__}, not a list")
    return value


def integer(value: Any, what: str = "an id") -> int:
    """A whole number sent as a number or a string of digits (never a bool, a fraction, null)."""
    if isinstance(value, bool) or not isinstance(value, (int, str, float)):
        raise TypeError(f"{what} is {type(value).__name__}, not a whole number")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"{what} is {value!r}, not a whole number")
    return int(value)


def text(value: Any, what: str = "a name") -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} is {type(value).__name__}, not text")
    return value


#: How deep a server's JSON may nest inside a model (deeper is refused: copying and comparing it
#: for change tracking would exhaust Python's stack).
MAX_DEPTH = 64


def check_depth(value: Any, limit: int = MAX_DEPTH) -> Any:
    """``value`` unchanged if its containers nest at most ``limit`` deep, else a ValueError."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth >= limit:
                raise ValueError(f"the data nests deeper than {limit} levels")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return value
