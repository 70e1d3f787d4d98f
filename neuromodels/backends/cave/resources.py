"""CAVE: datastacks as projects, rows of annotation tables as annotations (written through the
annotation engine, read through materialization), synapse rows as connectors, root ids as
neurons (:mod:`.neurons`).

Reads take ``version=`` (a frozen materialization) or ``timestamp=`` (the live query then);
without either they read the live table now, so your own writes are seen at once.

>>> from neuromodels import AnnotationCollection
>>> [a.properties["cell_type"] for a in AnnotationCollection(table="cell_types", id__le=2).fetch()]
['L2/3 IT', 'L4 IT']
>>> len(AnnotationCollection(table="cell_types", version=1).fetch())
5
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Iterator, Mapping, Sequence

from ...connection import Connection
from ...core.errors import NeuromodelsError, NotFound, ProtocolError, UnknownFilter
from ...models import Annotation, Connector, Project
from ...transport import parse_json
from ...core.backend import Filter, as_list, segment
from ...core.paging import OffsetPaging, Paging
from ...core.routes import Route
from ...core.capabilities import (
    BulkCreate, BulkDelete, BulkFetch, BulkUpdate, Errors, Fetch, List, M, Resource, Settle, Settlement, absent, did_you_mean,
)
from . import converter as cv
from . import services as sv
from .neurons import CaveNeuron

__all__ = ["CaveAnnotation", "CaveConnector", "CaveImageInstance", "CaveNeuron", "CaveProject", "CaveVolume"]

INT = (int,)
#: How a read is made, not which rows match: the same for every table.
READING = {
    "version": Filter("version", INT, "a materialization version (frozen); default: the live table"),
    "timestamp": Filter("timestamp", (object,), "read the table as it was then (datetime, ISO text or epoch seconds)",
                        check=sv.check_timestamp),
    "columns": Filter("columns", (str,), "only these columns (and id)", many=True),
}
#: Seconds of clock difference allowed between this machine and the server when settling.
SKEW = 5
NOT_A_CAVE_FIELD = "CAVE rows have an id, points and the table's own fields (in properties); not this field"


def _relation(value: str) -> None:
    if value not in ("presynaptic_to", "postsynaptic_to"):
        raise ValueError(f"relation is presynaptic_to or postsynaptic_to, not {value!r}")


def annotations_path(conn: Connection, table: str) -> str:
    volume = segment(sv.datastack(conn).aligned_volume)
    return f"/annotation/api/v2/aligned_volume/{volume}/table/{segment(table)}/annotations"


class CaveProject(Fetch[Project], List[Project]):
    requests = {"fetch": Route("GET", "/info/api/v2/datastack/full/{datastack}"),
                "list": Route("GET", "/info/api/v2/datastacks", note="then each datastack in full")}
    id_type = str
    not_supported = {
        **{op: "datastacks are set up by a deployment's administrators" for op in ("create", "update", "delete")},
        "tag": "CAVE keeps no tags on datastacks", "attach files to": "CAVE keeps no attached files",
        "list the members of": "CAVE's permissions live in its auth service, not in the datastack",
    }

    def fetch_one(self, conn: Connection, id: Any, **options: Any) -> Project:
        found = self.send(conn, "fetch", {"datastack": id},
                          parse=lambda r: cv.converter.structure(parse_json(r), cv.Datastack))
        project: Project = found.project
        project.id = project.name = id
        return project

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, **options: Any) -> Iterator[Sequence[Project]]:
        names: Any = self.send(conn, "list")
        if not isinstance(names, list):
            raise ProtocolError("the info service's datastack list is not a list")
        yield conn.transport.map_values(lambda n: self.fetch_one(conn, str(n)), names[:limit] if limit else names)


class TableRows(Resource[M]):
    """What annotation and synapse rows share: per-table column filters, read through
    materialization at a version or a timestamp."""

    context_modifiers = frozenset({"table", *READING})
    #: Materialization queries page by ``offset``/``limit`` in the request body and tell no
    #: total; rows per page (the engine caps a query at 200,000 rows).
    paging: ClassVar[Paging] = OffsetPaging(size=10000, start="offset", length="limit")

    def table_of(self, conn: Connection, modifiers: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def allowed_filters(self, conn: Connection) -> Mapping[str, Filter]:
        return self.filters

    def check_filter_name(self, conn: Connection, name: str) -> Filter:
        """A fixed filter, or a column filter (``column`` or ``column__op``): which columns a table
        has is known only with the table, so the query checks them (:meth:`check_modifiers`)."""
        if name in self.filters or not name.replace("__", "_").isidentifier():
            return super().check_filter_name(conn, name)
        return Filter(name, (object,), "a column of the table (checked when the query runs)")

    def check_modifiers(self, conn: Connection, modifiers: Mapping[str, Any]) -> None:
        """The fixed filters first, then every other one against the table's own columns."""
        fixed = {k: v for k, v in modifiers.items() if k in self.filters}
        super().check_modifiers(conn, fixed)
        rest = {k: v for k, v in modifiers.items() if k not in self.filters}
        if "version" in modifiers and "timestamp" in modifiers:
            raise ValueError("give version= or timestamp=, not both")
        table = self.table_of(conn, modifiers)
        columns = sv.table_columns(conn, table)  # (read once per table: a misspelt table is named here)
        if not rest and "columns" not in modifiers:
            return
        allowed = sv.column_filters(columns)
        for name, value in rest.items():
            spec = allowed.get(name)
            if spec is None:
                raise UnknownFilter(f"unknown filter {name!r} for {self.model_name} on cave table {table!r}"
                                 f"{did_you_mean(name, allowed)}; allowed: {', '.join(sorted({**allowed, **self.filters}))}")
            spec.validate(value)
        for column in as_list(modifiers.get("columns") or []):
            if column not in sv.table_columns(conn, table).kinds:
                raise ValueError(f"table {table!r} has no column {column!r}"
                                 f"{did_you_mean(column, sv.table_columns(conn, table).kinds)}")


class CaveAnnotation(TableRows[Annotation], BulkFetch[Annotation], List[Annotation], BulkCreate[Annotation],
                     BulkUpdate[Annotation], BulkDelete[Annotation], Settle[Annotation]):
    copies_from = {"cave": "neuromodels.backends.cave.copying:_copy_cave_annotations"}
    endpoints = {
        "fetch, list": "POST /materialize/api/v3/datastack/{datastack}/query (live, at timestamp=) or "
                       ".../version/{version}/table/{table}/query; Arrow where pyarrow is installed",
        "create": "POST /annotation/api/v2/aligned_volume/{volume}/table/{table}/annotations",
        "update": "PUT .../annotations (each row is replaced by a new row with a new id)",
        "delete": "DELETE .../annotations",
        "columns": "GET .../table/{table} and GET /schema/api/v2/type/{schema}",
    }
    filters = {"table": Filter("table", (str,), "the annotation table (required)"),
               "ids": Filter("ids", INT, "row ids", many=True), **READING}
    fetch_options = {"table": None, "version": None, "timestamp": None}
    writable = frozenset({"properties", "project"})
    not_supported = {
        "field targets": "CAVE binds a row to the neurons under its points: set the points' positions "
                         "(e.g. properties['pt_position']) and the targets follow",
        **{f"field {f}": NOT_A_CAVE_FIELD for f in ("name", "geometry", "image", "terms", "meta")},
        "tag": "CAVE rows have no tags; a table's own fields hold labels", "attach files to": "CAVE keeps no attached files",
        "crop": "CAVE annotations are points in a volume, not regions of an image",
    }
    batch_size = 1000
    #: One insert is all or nothing on the engine: as few requests as possible.
    spread_chunks = False

    def table_of(self, conn: Connection, modifiers: Mapping[str, Any], model: Annotation | None = None) -> str:
        table = modifiers.get("table") or (model.extra.get(cv.TABLE) if model is not None else None)
        if not isinstance(table, str) or not table:
            raise ValueError("CAVE annotations live in tables: give table= (on the collection or fetch), "
                             "or extra={'table': ...} on the annotation")
        return table

    # reading ---------------------------------------------------------------------------------------
    def fetch_many(self, conn: Connection, ids: Sequence[Any], context: Mapping[str, Any], **options: Any) -> dict[Any, Annotation]:
        context = {**context, **{k: v for k, v in options.items() if v is not None}}
        if context.get("version") is not None and context.get("timestamp") is not None:
            raise ValueError("give version= or timestamp=, not both")
        mods = {**context, "id": list(ids)}
        return {a.id: a for page in self.pages(conn, mods, None) for a in page}

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, **options: Any) -> Iterator[Sequence[Annotation]]:
        table, name = self.table_of(conn, modifiers), sv.datastack_name(conn)
        at = sv.read_at(conn, modifiers)
        yield from sv.rows(conn, table, modifiers, limit, self.context_modifiers,
                           lambda row: cv.annotation_of(row, table, name, at), self.paging)

    def match_ids(self, conn: Connection, modifiers: Mapping[str, Any]) -> set[Any]:
        return {a.id for page in self.pages(conn, {**modifiers, "columns": ["id"]}, None) for a in page}

    def rows(self, conn: Connection | None, models: Sequence[Annotation]) -> list[dict[str, Any]]:
        """``id``, the targets' roots, then one column per property in the order first seen."""
        out = []
        for m in models:
            row: dict[str, Any] = {"id": m.id, "table": m.extra.get(cv.TABLE), "targets": m.targets}
            row.update({("properties." + k if k in row else k): v for k, v in (m.properties or {}).items()})
            out.append(row)
        return out

    # writing ---------------------------------------------------------------------------------------
    def validate(self, model: Annotation, operation: str) -> None:
        if model.project is not None and not isinstance(model.project, str):
            raise TypeError(f"an annotation's project is its datastack name, not {model.project!r}")
        cv.check_properties(model.properties, None)

    def _write(self, conn: Connection, method: str, chunk: Sequence[Annotation], modifiers: Mapping[str, Any]) -> tuple[str, Any]:
        tables = {self.table_of(conn, modifiers, m) for m in chunk}
        if len(tables) != 1:
            raise ValueError(f"one batch writes to one table; these annotations are for {sorted(tables)}")
        table = tables.pop()
        columns = sv.table_columns(conn, table)
        if method == "POST":  # what a lost reply is settled by: the table, and when it was sent
            for m in chunk:
                m.extra.update({cv.TABLE: table, cv.SENT: dt.datetime.now(dt.timezone.utc)})
        rows = []
        for m in chunk:
            if m.project not in (None, sv.datastack_name(conn)):
                raise ValueError(f"annotation {m.id} is of datastack {m.project!r}; this connection writes to "
                                 f"{sv.datastack_name(conn)!r}")
            cv.check_properties(m.properties, columns)
            row = cv.annotation_body(m.properties or {}, columns)  # checked a dict just above
            rows.append({"id": int(m.id), **row} if method == "PUT" else row)
        return table, sv.services(conn).request(method, annotations_path(conn, table), json={"annotations": rows})

    def _stored(self, conn: Connection, model: Annotation, table: str, ident: int) -> None:
        model.id, model.project = ident, sv.datastack_name(conn)
        model.extra.update({cv.TABLE: table})
        for key in (cv.VERSION, cv.TIMESTAMP):
            model.extra.pop(key, None)

    def create_chunk(self, conn: Connection, chunk: Sequence[Annotation], modifiers: Mapping[str, Any]) -> Errors:
        """One insert (the engine stores all rows or none); the reply lists the new ids in order."""
        table, ids = self._write(conn, "POST", chunk, modifiers)
        if not isinstance(ids, list) or len(ids) != len(chunk) or not all(isinstance(i, int) for i in ids):
            raise ProtocolError(f"an insert of {len(chunk)} rows answered {ids!r}, not their ids")
        for model, ident in zip(chunk, ids):
            self._stored(conn, model, table, ident)
            model.targets = None  # known once the row is materialized: read it back
        return [None] * len(chunk)

    def update_chunk(self, conn: Connection, chunk: Sequence[Annotation], modifiers: Mapping[str, Any]) -> Errors:
        """One PUT; each row is superseded by a new row with a new id (the reply maps old to new).
        The engine updates row by row and stops at the first refusal: on an error the old rows
        are read back, and those superseded landed."""
        try:
            table, mapping = self._write(conn, "PUT", chunk, modifiers)
        except NeuromodelsError as error:
            if error.status is None and not error.sent:
                raise
            return self._settle_update(conn, chunk, modifiers, error)
        if not isinstance(mapping, dict):
            raise ProtocolError(f"an update answered {mapping!r}, not a map of old to new ids")
        results: Errors = []
        for model in chunk:
            new = mapping.get(str(model.id))
            if not isinstance(new, int):
                results.append(ProtocolError(f"the update of annotation {model.id} gave no new id"))
                continue
            self._stored(conn, model, table, new)
            results.append(None)
        return results

    def _settle_update(self, conn: Connection, chunk: Sequence[Annotation], modifiers: Mapping[str, Any], error: BaseException) -> Errors:
        table = self.table_of(conn, modifiers, chunk[0])
        try:
            found: Any = sv.services(conn).request("GET", annotations_path(conn, table),
                                              params={"annotation_ids": ",".join(str(int(m.id)) for m in chunk)})
        except NeuromodelsError:
            setattr(error, "outcome_unknown", True)
            return [error] * len(chunk)
        superseded = {r.get("id"): r.get("superceded_id") for r in found if isinstance(r, dict)} if isinstance(found, list) else {}
        results: Errors = []
        refused = False
        for model in chunk:
            new = superseded.get(model.id)
            if isinstance(new, int):
                self._stored(conn, model, table, new)
                results.append(None)
            elif not refused and getattr(error, "status", None) is not None:
                refused = True
                results.append(error)  # the row the engine refused; the rest were never tried
            else:
                try:
                    results.extend(self.update_chunk(conn, [model], modifiers))
                except NeuromodelsError as e:
                    results.append(e)
        return results

    def delete_chunk(self, conn: Connection, chunk: Sequence[Annotation]) -> Errors:
        """One DELETE; ids the engine does not list were gone already (that counts as deleted)."""
        tables = {self.table_of(conn, {}, m) for m in chunk}
        for table in tables:
            part = [int(m.id) for m in chunk if m.extra.get(cv.TABLE) == table]
            try:
                sv.services(conn).request("DELETE", annotations_path(conn, table), json={"annotation_ids": part})
            except NotFound:
                pass  # none of them was there any more
        return [None] * len(chunk)

    def settle(self, conn: Connection, models: Sequence[Annotation]) -> list[Settlement]:
        """Inserts whose reply was lost, found by content (CAVE keeps no key of the client's):
        per table, one read of the rows created since the first was sent. Rows with a model's
        content, as many as the models with it: stored (ids in order, as the engine gives them);
        none: absent; any other number: unknown."""
        out: list[Settlement] = [Settlement.unknown("no record of where and when it was sent")] * len(models)
        tables: dict[str, list[int]] = {}
        for i, m in enumerate(models):
            if m.extra.get(cv.TABLE) and m.extra.get(cv.SENT) is not None:
                tables.setdefault(m.extra[cv.TABLE], []).append(i)
        for table, where in tables.items():
            since = min(models[i].extra[cv.SENT] for i in where) - dt.timedelta(seconds=SKEW)
            found: dict[tuple[Any, ...], list[int]] = {}
            for page in self.pages(conn, {"table": table, "created__ge": since}, None):
                for row in page:
                    found.setdefault(cv.content_key(row.properties), []).append(row.id)
            wanted: dict[tuple[Any, ...], list[int]] = {}
            for i in where:
                wanted.setdefault(cv.content_key(models[i].properties), []).append(i)
            for key, same in wanted.items():
                rows = sorted(found.get(key, []))
                for i, row_id in zip(same, rows if len(rows) == len(same) else [None] * len(same)):
                    out[i] = (Settlement.absent() if not rows else Settlement.stored(row_id) if row_id is not None else
                              Settlement.unknown(f"{len(rows)} rows of {table} have this content, for {len(same)} sent"))
        return out


class CaveConnector(TableRows[Connector], BulkFetch[Connector], List[Connector]):
    endpoints = {"fetch, list": "the materialization queries of the synapse table (as for annotations)"}
    filters = {
        "neuron": Filter("neuron", INT, "root id(s) on either side (with relation: on that side)", many=True),
        "relation": Filter("relation", (str,), "presynaptic_to or postsynaptic_to", check=_relation),
        "table": Filter("table", (str,), "a synapse table (default: the datastack's synapse_table)"),
        "ids": Filter("ids", INT, "synapse row ids", many=True),
        **READING,
    }
    fetch_options = {"table": None, "version": None, "timestamp": None}
    not_supported = {op: "synapse tables are written by detection pipelines; write rows of a table as Annotations"
                     for op in ("create", "update", "delete")}

    def table_of(self, conn: Connection, modifiers: Mapping[str, Any]) -> str:
        table = modifiers.get("table") or sv.datastack(conn).synapse_table
        if not table:
            raise ValueError("this datastack names no synapse table: give table=")
        return str(table)

    def fetch_many(self, conn: Connection, ids: Sequence[Any], context: Mapping[str, Any], **options: Any) -> dict[Any, Connector]:
        mods = {**context, **{k: v for k, v in options.items() if v is not None}, "id": list(ids)}
        return {c.id: c for page in self.pages(conn, mods, None) for c in page}

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, **options: Any) -> Iterator[Sequence[Connector]]:
        """With ``neuron`` and no ``relation``: the presynaptic rows, then the postsynaptic ones
        not already given (a synapse from a neuron onto itself comes once)."""
        table = self.table_of(conn, modifiers)
        base = {k: v for k, v in modifiers.items() if k not in ("neuron", "relation")}
        sides = ["pre", "post"] if modifiers.get("relation") is None else \
            ["pre" if modifiers["relation"] == "presynaptic_to" else "post"]
        queries = [{**base, f"{side}_pt_root_id": as_list(modifiers["neuron"])} for side in sides] \
            if modifiers.get("neuron") is not None else [base]
        seen: set[int] = set()
        for query in queries:
            for found in sv.rows(conn, table, query, limit, self.context_modifiers,
                                 lambda row: cv.connector_of(row, table), self.paging):
                yield [c for c in found if c.id not in seen]
                seen.update(c.id for c in found)


CaveImageInstance = absent("CAVE serves images as neuroglancer layers, not through its services' APIs")
CaveVolume = absent("CAVE keeps meshes in the mesh service of the segmentation, not as named volumes")
