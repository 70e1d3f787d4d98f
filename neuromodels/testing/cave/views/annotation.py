"""The annotation engine: an aligned volume's tables (list, create, metadata, count) and their
rows (get by ids, insert, update, delete).

Rows are never changed in place: an update inserts a new row and marks the old one superseded
(``superceded_id``), a delete marks it deleted; each keeps its times, so materialization can
answer for any moment. Inserts take a whole list in one transaction; updates go one row at a
time and stop at the first refusal (the rows before it stay updated), as the real engine does.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from werkzeug.wrappers import Request, Response

from ...harness import route
from ..base import CaveBase, CaveError, body_of, flag
from ..store import ALIGNED_VOLUME, LOOKUP_RADIUS, SCHEMAS, iso, now, table_meta

PREFIX = "/annotation/api/v2/aligned_volume/<volume>/table"
TABLE_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9_]+$")
#: At most this many rows per insert (the engine's limit; more is HTTP 413).
INSERT_LIMIT = 10000


class AnnotationViews(CaveBase):
    @staticmethod
    def check_volume(volume: str) -> None:
        if volume != ALIGNED_VOLUME:
            raise CaveError(404, f"aligned volume {volume} not found")

    @route(PREFIX, methods=("GET", "POST"))
    def annotation_tables(self, request: Request, user: Any, volume: str) -> Any:
        self.check_volume(volume)
        if request.method == "GET":
            at = now()
            if flag(request.args.get("filter_valid", "true")):
                return self.table_names(at)
            return [n for (n,) in self.db.read("SELECT name FROM anno_table ORDER BY name")]
        body = body_of(request)
        if not isinstance(body, dict) or not isinstance(body.get("metadata"), dict):
            raise CaveError(422, "{'metadata': ['Missing data for required field.']}")
        name, schema_type, meta = body.get("table_name"), body.get("schema_type"), body["metadata"]
        if not isinstance(name, str) or not TABLE_NAME.match(name):
            raise CaveError(400, "Table name error: Invalid table name. Table name must include at least one letter, "
                                 "and can only contain lowercase letters, numbers, and underscores (_).")
        if meta.get("description") is None:
            raise CaveError(404, "Table description required")
        if schema_type not in SCHEMAS:
            raise CaveError(400, f"Schema type {schema_type} is not a known schema")
        stored = table_meta(str(meta["description"]), str(meta.get("user_id") or user["id"]),
                            (meta.get("table_metadata") or {}).get("reference_table"))
        for key in ("voxel_resolution_x", "voxel_resolution_y", "voxel_resolution_z", "read_permission",
                    "write_permission", "notice_text", "flat_segmentation_source"):
            if key in meta:
                stored[key] = meta[key]
        with self.db.transaction() as cur:
            if cur.execute("SELECT 1 FROM anno_table WHERE name = ?", (name,)).fetchone():
                raise CaveError(400, f"Table {name} already exists")
            cur.execute("INSERT INTO anno_table VALUES (?, ?, ?, ?, NULL)", (name, schema_type, json.dumps(stored), now()))
        return Response(name, content_type="text/html; charset=utf-8")

    @route(f"{PREFIX}/<table>", methods=("GET",))
    def annotation_table(self, request: Request, user: Any, volume: str, table: str) -> Response:
        self.check_volume(volume)
        schema_type, meta, created = self.table(table)
        body = {**meta, "table_name": table, "schema_type": schema_type, "valid": True, "created": iso(created),
                "deleted": None, "aligned_volume": ALIGNED_VOLUME}
        return Response(json.dumps(body), status=201, content_type="application/json")

    @route(f"{PREFIX}/<table>/count", methods=("GET",))
    def annotation_count(self, request: Request, user: Any, volume: str, table: str) -> int:
        self.check_volume(volume)
        self.table(table)
        return int(self.db.read("SELECT COUNT(*) FROM annotation WHERE tbl = ?", (table,))[0][0])

    @route(f"{PREFIX}/<table>/annotations", methods=("GET", "POST", "PUT", "DELETE"))
    def annotations(self, request: Request, user: Any, volume: str, table: str) -> Any:
        self.check_volume(volume)
        schema_type, _, _ = self.table(table)
        if request.method == "GET":
            return self.get_rows(table, request.args.get("annotation_ids", ""))
        body = body_of(request)
        if request.method == "DELETE":
            ids = body.get("annotation_ids") if isinstance(body, dict) else None
            if not isinstance(ids, list):
                raise CaveError(422, "{'annotation_ids': ['Missing data for required field.']}")
            return self.delete_rows(table, ids)
        rows = body.get("annotations") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise CaveError(422, "{'annotations': ['Missing data for required field.']}")
        if request.method == "POST":
            if len(rows) > INSERT_LIMIT:
                raise CaveError(413, f"{len(rows)} annotations exceed the limit of {INSERT_LIMIT} per request")
            flat = [self.flatten(schema_type, r) for r in rows]
            with self.db.transaction() as cur:
                start = int(cur.execute("SELECT COALESCE(MAX(id), 0) FROM annotation WHERE tbl = ?", (table,)).fetchone()[0])
                stamp = now()
                cur.executemany("INSERT INTO annotation VALUES (?, ?, ?, ?, NULL, NULL)",
                                [(table, start + 1 + i, json.dumps(f), stamp) for i, f in enumerate(flat)])
            return list(range(start + 1, start + 1 + len(flat)))
        mapping: dict[str, int] = {}  # old id -> new id
        for row in rows:  # one at a time: a refusal leaves the earlier ones updated
            if not isinstance(row, dict) or not isinstance(row.get("id"), int):
                raise CaveError(422, "{'id': ['Missing data for required field.']}")
            old = row["id"]
            changed = self.flatten(schema_type, {k: v for k, v in row.items() if k != "id"})
            with self.db.transaction() as cur:
                found = cur.execute("SELECT deleted, superceded_id FROM annotation WHERE tbl = ? AND id = ?", (table, old)).fetchone()
                if found is None:
                    raise CaveError(400, f"No result found for annotation id {old} in table {table}")
                if found[0] is not None or found[1] is not None:
                    raise CaveError(409, f"Annotation {old} in table {table} has already been superseded or deleted")
                new = int(cur.execute("SELECT MAX(id) FROM annotation WHERE tbl = ?", (table,)).fetchone()[0]) + 1
                stamp = now()
                cur.execute("INSERT INTO annotation VALUES (?, ?, ?, ?, NULL, NULL)", (table, new, json.dumps(changed), stamp))
                cur.execute("UPDATE annotation SET deleted = ?, superceded_id = ? WHERE tbl = ? AND id = ?", (stamp, new, table, old))
            mapping[str(old)] = new
        return mapping

    def get_rows(self, table: str, ids_text: str) -> list[dict[str, Any]]:
        try:
            ids = [int(i) for i in ids_text.split(",") if i.strip()]
        except ValueError:
            raise CaveError(400, f"annotation_ids: {ids_text!r} is not a list of integers")
        marks = ",".join("?" * len(ids)) or "NULL"
        found = self.db.read(f"SELECT id, data, created, deleted, superceded_id FROM annotation WHERE tbl = ? "
                             f"AND id IN ({marks}) ORDER BY id", (table, *ids))
        if not found:
            raise CaveError(404, f"annotation_id {ids} not in {table}")
        out = []
        for i, data, created, deleted, superseded in found:
            row = {k: v for k, v in json.loads(data).items() if not k.endswith("_supervoxel_id")}
            out.append({"id": i, "created": iso(created), "deleted": iso(deleted) if deleted else "None",
                        "superceded_id": superseded, "valid": deleted is None, **row})
        return out

    def delete_rows(self, table: str, ids: list[Any]) -> Any:
        deleted = []
        with self.db.transaction() as cur:
            stamp = now()
            for i in ids:
                if isinstance(i, bool) or not isinstance(i, int):
                    raise CaveError(422, f"{{'annotation_ids': ['Not a valid integer: {i!r}']}}")
                hit = cur.execute("UPDATE annotation SET deleted = ? WHERE tbl = ? AND id = ? AND deleted IS NULL",
                                  (stamp, table, i))
                if hit.rowcount:
                    deleted.append(i)
        if not deleted:
            return Response(json.dumps(f"annotation_id {ids} not in table {table}"), status=404,
                            content_type="application/json")
        return deleted

    # -- a posted row, checked against its schema, as stored ------------------------------------------
    def flatten(self, schema_type: str, row: Any) -> dict[str, Any]:
        if not isinstance(row, dict):
            raise CaveError(422, f"an annotation is an object, not {type(row).__name__}")
        fields = self.fields(schema_type)
        unknown = [k for k in row if k not in fields and k not in ("valid", "target_id")]
        if unknown:
            raise CaveError(422, str({k: ["Unknown field."] for k in unknown}))
        flat: dict[str, Any] = {}
        for name, kind in fields.items():
            if name not in row:
                raise CaveError(422, str({name: ["Missing data for required field."]}))
            value = row[name]
            if kind in ("bound", "point"):
                position = value.get("position") if isinstance(value, dict) else None
                if not (isinstance(position, list) and len(position) == 3
                        and all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in position)):
                    raise CaveError(422, str({name: {"position": ["Not a valid position: three numbers."]}}))
                flat[f"{name}_position"] = [int(round(x)) for x in position]
                if kind == "bound":
                    given = value.get("supervoxel_id")
                    flat[f"{name}_supervoxel_id"] = int(given) if isinstance(given, int) and given else self.lookup(position)
            elif kind == "number":
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                    raise CaveError(422, str({name: ["Not a valid number."]}))
                flat[name] = float(value)
            else:
                if not isinstance(value, str):
                    raise CaveError(422, str({name: ["Not a valid string."]}))
                flat[name] = value
        return flat

    def lookup(self, position: list[Any]) -> int:
        """The supervoxel at a position (the nearest within :data:`LOOKUP_RADIUS` voxels; 0: none)."""
        best, where = 0, LOOKUP_RADIUS
        for sv, x, y, z in self.db.read("SELECT id, x, y, z FROM supervoxel"):
            d = math.dist((x, y, z), [float(p) for p in position])
            if d <= where:
                best, where = int(sv), d
        return best
