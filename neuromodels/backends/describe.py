"""What a backend can do, read from its declarations: the tables of the docs' backend pages and
of ``neuromodels describe BACKEND``.

>>> from neuromodels.backends.describe import capabilities
>>> row = capabilities("cytomine")["Role"]
>>> row["fetch"], row["create"].startswith("NotSupported")
('yes', True)
"""

from __future__ import annotations

from typing import Any

from ..connection import load_backend
from ..core.capabilities import BASIC_OPERATIONS, List, Resource

def _capabilities() -> tuple[type[Resource[Any]], ...]:
    """Every capability mixin, read when asked: backends register theirs on import
    (:func:`~neuromodels.core.capabilities.capability` rebinds the module's tuple)."""
    from ..core import capabilities as registry

    return registry.CAPABILITIES


def _extra() -> list[type[Resource[Any]]]:
    """Capabilities beyond the basic operations."""
    return [c for c in _capabilities() if c.operation not in BASIC_OPERATIONS and c.operation != "settle"]


def _answer(resource: Resource[Any], operation: str, present: set[str]) -> str:
    if operation in present:
        return "yes"
    reason = resource.not_supported.get(operation) or f"this server has no way to {operation} it"
    return f"NotSupported: {reason}"


def endpoint_table(resource: Resource[Any], present: set[str]) -> dict[str, str]:
    """The requests behind each operation: the declared routes (``requests``) of the operations
    the resource has, then the prose of ``endpoints``."""
    table = {op: str(route) for op, route in resource.requests.items() if op in present or op not in BASIC_OPERATIONS}
    table.update(resource.endpoints)
    return table


def capabilities(backend_name: str) -> dict[str, dict[str, Any]]:
    """Per model: each operation ("yes" or "NotSupported: reason"), the extra capabilities, the
    filters declared (servers that list their own fields add those at run time), the fields a
    create stores and an update can change, the endpoints declared."""
    backend = load_backend(backend_name)
    table: dict[str, dict[str, Any]] = {}
    for model in backend.resources:
        resource = backend.resource(model)
        present = {c.operation for c in _capabilities() if isinstance(resource, c)}
        if isinstance(resource, List):
            present.add("count")
        row: dict[str, Any] = {op: _answer(resource, op, present) for op in BASIC_OPERATIONS}
        row["also"] = [c.operation for c in _extra() if isinstance(resource, c)]
        row["filters"] = {name: f.doc for name, f in resource.filters.items()}
        row["server_fields"] = type(resource).allowed_filters is not Resource.allowed_filters
        fields = [n for n in model.field_names() if n not in ("id", "extra")]
        row["fields"] = fields
        row["creates"] = sorted(resource.creatable if resource.creatable is not None else
                                (resource.writable if resource.writable is not None else fields))
        row["changes"] = sorted(resource.writable if resource.writable is not None else fields)
        row["endpoints"] = endpoint_table(resource, present)
        row["options"] = {"fetch": dict(resource.fetch_options), "collection fetch": dict(resource.list_options)}
        table[model.__name__] = row
    return table


def rst(backend_name: str) -> str:
    """The capability tables of one backend as reStructuredText."""
    lines: list[str] = []
    for model, row in capabilities(backend_name).items():
        lines += [model, "~" * len(model), ""]
        lines += [".. list-table::", "   :header-rows: 1", "   :widths: 20 80", "", "   * - operation", "     - on "
                  + backend_name]
        for op in BASIC_OPERATIONS:
            lines += [f"   * - ``{op}``", f"     - {row[op]}"]
        if row["also"]:
            lines += ["   * - also", "     - " + ", ".join(row["also"])]
        lines.append("")
        if row["filters"] or row["server_fields"]:
            lines.append("Filters:")
            lines.append("")
            for name, doc in row["filters"].items():
                lines.append(f"- ``{name}``: {doc}")
            if row["server_fields"]:
                lines.append("- every field the server lists (read from it once per connection)")
            lines.append("")
        if "yes" in (row["create"], row["update"]):
            lines += ["Fields stored on create: " + (", ".join(f"``{f}``" for f in row["creates"]) or "none") + ".",
                      "Fields an update can change: " + (", ".join(f"``{f}``" for f in row["changes"]) or "none")
                      + ".", ""]
        options = {k: v for k, v in row["options"].items() if v}
        for kind, values in options.items():
            lines.append(f"Options of {kind}: " + ", ".join(f"``{k}={v!r}``" for k, v in values.items()) + ".")
        if options:
            lines.append("")
        if row["endpoints"]:
            lines.append("Endpoints:")
            lines.append("")
            for op, endpoint in row["endpoints"].items():
                lines.append(f"- {op}: ``{endpoint}``")
            lines.append("")
    return "\n".join(lines)


def text(backend_name: str, model_name: str | None = None) -> str:
    """The capability tables of one backend (or one of its models) as plain text, for
    ``neuromodels describe``.

    >>> print(text("neuromorpho", "Neuron").splitlines()[1])
      can: fetch, list, count; also load nodes of, measure
    """
    table = capabilities(backend_name)
    if model_name is not None:
        matches = [name for name in table if name.lower() in (model_name.lower(), model_name.lower().removesuffix("s"))]
        if not matches:
            import difflib

            lowered = {name.lower(): name for name in table}
            hits = [lowered[h] for h in difflib.get_close_matches(model_name.lower(), lowered, n=3, cutoff=0.6)]
            close = " (did you mean " + " or ".join(map(repr, hits)) + "?)" if hits else ""
            raise ValueError(f"{backend_name} has no model {model_name!r}{close}; "
                             f"its models: {', '.join(table)}")
        table = {matches[0]: table[matches[0]]}
    lines: list[str] = []
    for model, row in table.items():
        can = [op for op in BASIC_OPERATIONS if row[op] == "yes"]
        lines.append(model)
        lines.append("  can: " + (", ".join(can) or "nothing") + ("; also " + ", ".join(row["also"]) if row["also"] else ""))
        for op in BASIC_OPERATIONS:
            if row[op] != "yes":
                lines.append(f"  cannot {op}: {row[op][len('NotSupported: '):]}")
        if row["filters"] or row["server_fields"]:
            names = list(row["filters"]) + (["(every field the server lists)"] if row["server_fields"] else [])
            lines.append("  filters: " + ", ".join(names))
        for op, endpoint in row["endpoints"].items():
            lines.append(f"  {op}: {endpoint}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
