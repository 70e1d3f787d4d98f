"""Materialization queries: a table's rows as they were at a time, filtered, with selected
columns, as Arrow (``Content-Type: data.arrow``) or as JSON records — the two replies the real
engine gives (``return_pyarrow``)."""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

import orjson
from werkzeug.wrappers import Response

from .base import CaveBase, CaveError, seconds

#: filter key in the body -> test of a value against the filter's argument
TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "filter_in_dict": lambda v, arg: v in arg,
    "filter_notin_dict": lambda v, arg: v not in arg,
    "filter_equal_dict": lambda v, arg: v == arg,
    "filter_greater_dict": lambda v, arg: v is not None and v > arg,
    "filter_less_dict": lambda v, arg: v is not None and v < arg,
    "filter_greater_equal_dict": lambda v, arg: v is not None and v >= arg,
    "filter_less_equal_dict": lambda v, arg: v is not None and v <= arg,
    "filter_regex_dict": lambda v, arg: isinstance(v, str) and re.search(arg, v) is not None,
    "filter_spatial_dict": lambda v, arg: v is not None and all(lo <= x <= hi for x, lo, hi in zip(v, arg[0], arg[1])),
}


def materialized(app: CaveBase, table: str, at: float) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and rows of ``table`` as materialized at ``at``: stored points with their
    supervoxel and the root that supervoxel had then."""
    schema_type, _, _ = app.table(table, at)
    fields = app.fields(schema_type)
    columns = ["id", "created", "superceded_id", "valid"]
    for name, kind in fields.items():
        columns += [f"{name}_position", f"{name}_supervoxel_id", f"{name}_root_id"] if kind == "bound" else \
                   [f"{name}_position"] if kind == "point" else [name]
    rows = []
    for stored in app.rows_at(table, at):
        row = {"id": stored["id"], "created": stored["created"], "superceded_id": None, "valid": True}
        for name, kind in fields.items():
            if kind in ("bound", "point"):
                row[f"{name}_position"] = stored.get(f"{name}_position")
            if kind == "bound":
                sv = int(stored.get(f"{name}_supervoxel_id") or 0)
                row[f"{name}_supervoxel_id"] = sv
                row[f"{name}_root_id"] = app.roots_at([sv], at)[0] if sv else 0
            elif kind != "point":
                row[name] = stored.get(name)
        rows.append(row)
    return columns, rows


def run(app: CaveBase, table: str, at: float, body: Mapping[str, Any], params: Mapping[str, str]) -> Response:
    """One query of ``table`` at ``at`` with the body's filters, columns, limit and offset."""
    columns, rows = materialized(app, table, at)
    for key, test in TESTS.items():
        per_table = body.get(key) or {}
        if not isinstance(per_table, Mapping):
            raise CaveError(400, f"{key} must be an object keyed by table name")
        for column, arg in (per_table.get(table) or {}).items():
            if column not in columns:
                raise CaveError(400, f"column {column} is not in table {table}")
            if column == "created":
                arg = seconds(arg, column)
            rows = [r for r in rows if test(r[column], arg)]
    selected = body.get("select_columns")
    if isinstance(selected, Mapping):
        selected = selected.get(table)
    selected = selected or (body.get("select_column_map") or {}).get(table)
    if selected:
        unknown = [c for c in selected if c not in columns]
        if unknown:
            raise CaveError(400, f"columns {unknown} are not in table {table}")
        columns = [c for c in columns if c in selected]
    offset, limit = int(body.get("offset") or 0), body.get("limit")
    rows = rows[offset: offset + int(limit) if limit is not None else None]
    rows = [{c: r[c] for c in columns} for r in rows]
    if (params.get("split_positions") or "").lower() == "true":
        columns, rows = split(columns, rows)
    headers = {"column_names": ", ".join(columns)}
    if (params.get("return_pyarrow") or "").lower() == "true":
        return arrow(columns, rows, headers)
    for r in rows:  # pandas' to_json writes datetimes as epoch milliseconds
        r["created"] = int(r["created"] * 1000) if "created" in r else None
        if "created" not in columns:
            r.pop("created")
    return Response(orjson.dumps(rows), content_type="application/json", headers=headers)


def split(columns: list[str], rows: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """``pt_position`` as ``pt_position_x``, ``_y`` and ``_z`` (``split_positions=true``)."""
    out_columns: list[str] = []
    for c in columns:
        out_columns += [f"{c}_{a}" for a in "xyz"] if c.endswith("_position") else [c]
    out = []
    for r in rows:
        row: dict[str, Any] = {}
        for c in columns:
            if c.endswith("_position"):
                row.update({f"{c}_{a}": (r[c][i] if r[c] else None) for i, a in enumerate("xyz")})
            else:
                row[c] = r[c]
        out.append(row)
    return out_columns, out


def arrow(columns: list[str], rows: list[dict[str, Any]], headers: dict[str, str]) -> Response:
    """An Arrow IPC stream, as the engine sends it (``Content-Type: data.arrow``)."""
    try:
        import pyarrow as pa
    except ImportError:  # this server answers in JSON only; say so as the engine would
        raise CaveError(400, "this server has no pyarrow: ask with return_pyarrow=false")
    arrays = []
    for c in columns:
        values = [r[c] for r in rows]
        if c == "created":
            arrays.append(pa.array([int(v * 1e6) for v in values], type=pa.timestamp("us")))
        elif c.endswith("_position"):
            arrays.append(pa.array(values))
        elif c.endswith("_id") or c == "id":
            arrays.append(pa.array(values, type=pa.int64()))
        else:
            arrays.append(pa.array(values))
    batch = pa.RecordBatch.from_arrays(arrays, names=columns)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    return Response(sink.getvalue().to_pybytes(), content_type="data.arrow", headers=headers)
