"""Clio: datasets as projects, body annotations as annotations (``id`` = body id, the fields in
``properties``). Clio proxies DVID: writes merge and answer ``null``; a list is written record by
record and stops at the first error without saying which records landed."""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Iterator, Mapping, Sequence, TypeVar

import attrs
import numpy as np
import requests

from ...connection import Connection
from ...core.errors import BadRequest, NeuromodelsError, NotFound, NotSupported, PermissionDenied
from ...models import Annotation, Project
from ...transport import parse_json
from ...core.backend import Filter, as_list, check_id
from ...core.routes import Route
from ...core.capabilities import (
    BulkCreate, BulkFetch, BulkUpdate, ConnectionState, Count, Delete, Errors, Fetch, List, Settle, Settlement, absent,
)
from . import converter as cv
from .writes import _at, _key_by_target, _landed, _show

VALUE = (str, int, float, bool, np.integer, np.floating)
T = TypeVar("T")


def dataset(conn: Connection) -> str:
    name: str = check_id(conn.project, str, "the Clio dataset (project= on the connection)")
    return name


def version_of(conn: Connection, modifiers: Mapping[str, Any] | None = None) -> str | None:
    """The version a read or write is for: the collection's, else the connection's, else None
    (the dataset's default)."""
    version = (modifiers or {}).get("version") or conn.options.get("version")
    return str(version) if version else None


def _version_params(conn: Connection, modifiers: Mapping[str, Any] | None = None) -> dict[str, Any]:
    version = version_of(conn, modifiers)
    return {"version": version} if version else {}


def version_for(conn: Connection, modifiers: Mapping[str, Any] | None, model: Annotation) -> str | None:
    """The version a write, delete or settling read of ``model`` is for: the collection's, else
    the one the annotation was read or written at (``extra["version"]``), else the
    connection's, else None (the dataset's default). An annotation read at a version is
    written back there, never silently at the default."""
    version = (modifiers or {}).get("version") or (model.extra or {}).get(cv.VERSION) or conn.options.get("version")
    return str(version) if version else None


def parsed(structure: Callable[[Any], T]) -> Callable[[requests.Response], T]:
    """A ``parse=`` callback: the JSON body through ``structure`` (a body of another shape is a
    ProtocolError naming the request)."""
    return lambda response: structure(parse_json(response))


def records_of(conn: Connection, version: str | None) -> Callable[[requests.Response], list[Annotation]]:
    ds = dataset(conn)
    return parsed(lambda body: cv.annotations_of(body, ds, version))


@attrs.define
class ClioState(ConnectionState):
    """The annotation fields each dataset lists, read once per connection."""

    fields: dict[str, dict[str, Filter]] = attrs.field(factory=dict)


class ClioProject(Fetch[Project], List[Project]):
    #: The requests behind each operation (shown in the docs' capability tables).
    requests = {"fetch": Route("GET", "/v2/datasets", note="every dataset, then the one asked for"),
                "list": Route("GET", "/v2/datasets")}
    id_type = str
    not_supported = {
        **{op: "Clio datasets are managed by their administrators" for op in ("create", "update", "delete")},
        "tag": "Clio keeps per-body fields, not tags on datasets",
        "attach files to": "Clio keeps no attached files",
        "list the members of": "Clio datasets have no member list in its API (neuromodels.backends.clio.roles() "
                               "tells your own roles)",
        "read the activity of": "Clio keeps no operation log; each field's *_user and *_time say who set it",
    }

    def _all(self, conn: Connection) -> list[Project]:
        datasets: cv.Datasets = self.send(conn, "list", parse=parsed(lambda b: cv.converter.structure(b, cv.Datasets)))
        return datasets.projects

    def fetch_one(self, conn: Connection, id: Any, **options: Any) -> Project:
        for project in self._all(conn):
            if project.id == id:
                return project
        raise NotFound(f"no Clio dataset {id!r} readable with this token", missing=[id])

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, **options: Any) -> Iterator[Sequence[Project]]:
        yield self._all(conn)


class ClioAnnotation(BulkFetch[Annotation], List[Annotation], Count[Annotation], BulkCreate[Annotation],
                     BulkUpdate[Annotation], Delete[Annotation], Settle[Annotation]):
    #: The requests behind each operation (shown in the docs' capability tables).
    copies_from = {"clio": "neuromodels.backends.clio.copying:_copy_clio_annotations"}
    #: Records are keyed by body id: a lost write (create or update) is read back and compared.
    settles_updates = True
    requests = {
        "fetch": Route("GET", "/v2/json-annotations/{dataset}/neurons/id-number/{ids}", note="?version=; 200 ids each"),
        "list": Route("GET", "/v2/json-annotations/{dataset}/neurons/all", note="the default version"),
        "query": Route("POST", "/v2/json-annotations/{dataset}/neurons/query",
                       note="field filters, ?version=; ?onlyid=true for counts"),
        "create": Route("POST", "/v2/json-annotations/{dataset}/neurons", note="lists of 50, merged field by field"),
        "update": Route("POST", "/v2/json-annotations/{dataset}/neurons", note="lists of 50, merged field by field"),
        "delete": Route("DELETE", "/v2/json-annotations/{dataset}/neurons/id-number/{ids}"),
        "list the fields": Route("GET", "/v2/json-annotations/{dataset}/neurons/fields"),
    }
    id_type = int
    writable = frozenset({"properties", "targets", "project"})
    context_modifiers = frozenset({"version", "replace", "conditional"})
    #: ``Annotation.fetch(body, version="v0.3.33")``: read at that version; ``show_extra``
    #: ("user", "time" or "all", as clio-py's): keep the ``<field>_user``/``<field>_time``
    #: companions in ``properties`` (collections: ``fetch(show_extra=...)``).
    fetch_options = {"version": None, "show_extra": None}
    list_options = {"show_extra": None}
    #: Records per write (clio-py uses 50), one request after another; ids per id-number read.
    batch_size, spread_chunks = 50, False
    read_chunk: ClassVar[int] = 200
    not_supported = {
        "tag": "Clio keeps per-body fields; put them in properties",
        "crop": "Clio annotations are fields of a body, without a geometry to crop",
        "attach files to": "Clio keeps per-body fields; put them in properties",
        **{f"field {name}": "a Clio annotation keeps its fields in properties"
           for name in ("name", "geometry", "image", "terms", "meta")},
    }
    fixed_filters = {
        "ids": Filter("ids", (int, np.integer), "body ids, results in the order given", many=True),
        "version": Filter("version", (str,), "a version tag ('v0.3.33') or DVID UUID, on reads and writes"),
        "replace": Filter("replace", (bool,), "writes: the record replaces the whole annotation"),
        "conditional": Filter("conditional", (str,), "writes: fields never overwritten when already set", many=True),
    }

    def allowed_filters(self, conn: Connection) -> Mapping[str, Filter]:
        state, ds = ClioState.of(conn), dataset(conn)
        if ds not in state.fields:
            names = self.send(conn, "list the fields", {"dataset": ds},
                              parse=parsed(lambda b: cv.converter.structure(b, cv.FieldNames))).names
            state.fields[ds] = {n: Filter(n, VALUE, "annotation field (a list means any of them)", many=True)
                                for n in names if n != cv.BODY}
        return {**state.fields[ds], **self.fixed_filters}

    # reading -------------------------------------------------------------------------------------
    def _by_ids(self, conn: Connection, ids: Sequence[int], modifiers: Mapping[str, Any] | None = None,
                show_extra: str | None = None) -> dict[int, Annotation]:
        params = {**_version_params(conn, modifiers), **_show(show_extra)}
        parts = [ids[i : i + self.read_chunk] for i in range(0, len(ids), self.read_chunk)]
        parse = records_of(conn, params.get("version"))
        ds = dataset(conn)
        pages = conn.transport.map_values(
            lambda part: self.send(conn, "fetch", {"dataset": ds, "ids": [int(i) for i in part]},
                                   params=params or None, parse=parse), parts)
        return {a.id: a for page in pages for a in page}

    def fetch_many(self, conn: Connection, ids: Sequence[Any], context: Mapping[str, Any], **options: Any) -> dict[Any, Annotation]:
        if options.get("version"):
            context = {**context, "version": check_id(options["version"], str, "version")}
        return dict(self._by_ids(conn, ids, context, options.get("show_extra")))

    @staticmethod
    def _query(modifiers: Mapping[str, Any]) -> dict[str, Any]:
        query = {}
        for key, value in modifiers.items():
            if key in ClioAnnotation.fixed_filters:
                continue
            if isinstance(value, (list, tuple, set)):
                query[key] = [v.item() if hasattr(v, "item") else v for v in value]  # DVID: any of them
            else:
                query[key] = value.item() if hasattr(value, "item") else value
        return query

    def match_ids(self, conn: Connection, modifiers: Mapping[str, Any]) -> set[Any]:
        ids = [m.id for m in next(iter(self.pages(conn, modifiers, None)))]
        return set(ids)

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, **options: Any) -> Iterator[Sequence[Annotation]]:
        """One query. ``/all`` always answers from the dataset's default version (clio-store
        ignores ``version`` there), so a versioned listing asks ``/query`` for every record."""
        query = self._query(modifiers)
        params = _version_params(conn, modifiers)
        show = _show(options.get("show_extra"))
        if not query and not params:
            yield self.send(conn, "list", {"dataset": dataset(conn)}, params=show or None, parse=records_of(conn, None))
            return
        params.update(show)
        yield self.send(conn, "query", {"dataset": dataset(conn)}, params=params or None,
                        json=cv.converter.unstructure(query or cv.EVERY_RECORD), read=True,
                        parse=records_of(conn, params.get("version")))

    def count(self, conn: Connection, modifiers: Mapping[str, Any]) -> int:
        if "ids" in modifiers:  # the listed bodies that exist (and match the other filters)
            listed = set(self._by_ids(conn, [int(i) for i in as_list(modifiers["ids"])], modifiers))
            rest = {k: v for k, v in modifiers.items() if k != "ids"}
            return len(listed & self.match_ids(conn, rest)) if self._query(rest) else len(listed)
        query = self._query(modifiers)
        params = _version_params(conn, modifiers)
        if not query and not params:
            return len(next(iter(self.pages(conn, modifiers, None))))
        found = self.send(conn, "query", {"dataset": dataset(conn)}, params={"onlyid": "true", **params},
                          json=cv.converter.unstructure(query or cv.EVERY_RECORD), read=True,
                          parse=parsed(lambda b: cv.converter.structure(b, cv.BodyIds)))
        return len(found.ids)

    # tables --------------------------------------------------------------------------------------
    def rows(self, conn: Connection | None, models: Sequence[Annotation]) -> list[dict[str, Any]]:
        """``id`` (the body id), then one column per property, in the order first seen; a
        body without a property has a missing value there. A column empty in every row is left
        out (CATMAID's and Cytomine's fields never appear)."""
        rows = [cv.row(m) for m in models]
        columns: dict[str, None] = {"id": None}
        for r in rows:
            columns.update(dict.fromkeys(r))
        keep = [c for c in columns if c == "id" or any(r.get(c) is not None for r in rows)]
        return [{c: r.get(c) for c in keep} for r in rows]

    # writing -------------------------------------------------------------------------------------
    def validate(self, model: Annotation, operation: str) -> None:
        if model.id is None and not (model.targets and len(model.targets) == 1):
            raise ValueError("a Clio annotation is keyed by its body: give targets=[<body id>] (or id=<body id>)")
        body = check_id(model.id if model.id is not None else (model.targets or [None])[0], int, "body id")
        if body == 0:
            raise ValueError("body id 0 is reserved by DVID")
        if model.targets not in (None, [body]):
            raise ValueError(f"a Clio annotation's only target is its body ({body}), not {model.targets}")
        props = model.properties or {}
        if not isinstance(props, dict) or not all(isinstance(k, str) and k for k in props):
            raise TypeError("properties must be a dict with non-empty string keys")
        if "bodyid" in props:
            raise ValueError("the body id is the annotation's id, not a property")
        # numpy scalars and arrays are accepted: they go out as plain JSON numbers and lists.
        cv.check_json(cv.plain_properties(props))

    @staticmethod
    def _record(model: Annotation, replace: bool) -> dict[str, Any]:
        """What to send: changed fields (null deletes) or, with ``replace``, the whole record."""
        now = cv.plain_properties(model.properties)
        if replace or model.original("properties") is None:
            fields = now
        else:
            before = cv.plain_properties(model.original("properties"))
            fields = {k: v for k, v in now.items() if k not in before or before[k] != v}
            fields.update({k: None for k in before if k not in now})
        return cv.write_record(model.id, fields)

    def _write_params(self, conn: Connection, modifiers: Mapping[str, Any] | None) -> dict[str, Any]:
        params = _version_params(conn, modifiers)
        mods = modifiers or {}
        if mods.get("replace") or conn.options.get("replace"):
            params["replace"] = "true"
        conditional = mods.get("conditional") or conn.options.get("conditional")
        if conditional:
            params["conditional"] = ",".join([conditional] if isinstance(conditional, str) else list(conditional))
        return params

    def update_chunk(self, conn: Connection, chunk: Sequence[Annotation], modifiers: Mapping[str, Any]) -> Errors:
        """One request per version among the chunk's annotations (usually one). A single
        annotation is a chunk of one (the bulk capabilities' default), so it settles a lost
        reply the same way."""
        for model in chunk:
            _key_by_target(model)
        groups: dict[str | None, list[int]] = {}
        for i, model in enumerate(chunk):
            groups.setdefault(version_for(conn, modifiers, model), []).append(i)
        if len(groups) == 1:
            version = next(iter(groups))
            mods = _at(version, modifiers, chunk)
            return self._write_chunk(conn, list(chunk), self._write_params(conn, mods), mods)
        results: list[BaseException | None] = [None] * len(chunk)
        for version, where in groups.items():
            part = [chunk[i] for i in where]
            mods = _at(version, modifiers, part)
            try:
                outcome = self._write_chunk(conn, part, self._write_params(conn, mods), mods)
            except NeuromodelsError as e:
                outcome = [e] * len(part)
            for i, result in zip(where, outcome):
                results[i] = result
        return results

    create_chunk = update_chunk

    def _write_chunk(self, conn: Connection, chunk: list[Annotation], params: dict[str, Any], modifiers: Mapping[str, Any] | None) -> list[BaseException | None]:
        ds = dataset(conn)
        records = [self._record(m, "replace" in params) for m in chunk]
        try:
            self.send(conn, "update", {"dataset": ds}, params=params or None, json=cv.write_body(records))
        except (NotFound, NotSupported):
            raise
        except Exception as error:  # noqa: BLE001 - the batch stopped somewhere: find where
            if not isinstance(error, NeuromodelsError) or (not error.sent and error.status is None):
                raise
            try:
                return self._settle_chunk(conn, chunk, records, params, modifiers, error)
            except (BadRequest, NotFound, PermissionDenied):
                # The read-back is refused like the write (a version the server does not
                # have): the server took nothing.
                return [error] * len(chunk)
            except Exception:  # noqa: BLE001 - cannot read back now: the outcome stays unknown
                error.sent = error.outcome_unknown = True
                return [error] * len(chunk)
        for m in chunk:
            m.targets, m.project = [int(m.id)], ds
        return [None] * len(chunk)

    def _settle_chunk(self, conn: Connection, chunk: list[Annotation], records: list[dict[str, Any]], params: dict[str, Any],
                      modifiers: Mapping[str, Any] | None, error: BaseException) -> list[BaseException | None]:
        """Clio writes a list record by record and stops at the first failure without saying
        where: read the records back; those that match landed, the first that does not is the
        one that failed, and the rest (never tried) are sent one at a time."""
        stored = self._by_ids(conn, [m.id for m in chunk], modifiers)
        protected = set((params.get("conditional") or "").split(",")) - {""}
        results: list[BaseException | None] = []
        landed = True
        for model, record in zip(chunk, records):
            if landed and _landed(stored.get(model.id), record, protected):
                results.append(None)
                continue
            if landed:
                landed = False
                if getattr(error, "status", None) is not None:
                    results.append(error)  # the record the server refused
                    continue
            try:
                self.update(conn, model, {"properties": model.properties}, modifiers or {})
                results.append(None)
            except Exception as e:  # noqa: BLE001 - per record
                results.append(e)
        return results

    def settle(self, conn: Connection, models: Sequence[Annotation]) -> list[Settlement]:
        """A record whose write reply was lost landed if reading it back shows what was sent;
        otherwise it is resent (writes are keyed by body id, so nothing can be duplicated)."""
        stored: dict[int, Annotation] = {}
        for version in {version_for(conn, None, m) for m in models}:
            ids = [m.id for m in models if version_for(conn, None, m) == version]
            stored.update(self._by_ids(conn, ids, {"version": version} if version else None))
        return [Settlement.stored(m.id) if _landed(stored.get(m.id), self._record(m, False), set()) else Settlement.absent()
                for m in models]

    def delete(self, conn: Connection, model: Annotation) -> None:
        version = version_for(conn, None, model)
        if version and version not in self._default_versions(conn):
            raise NotSupported(f"Clio deletes only at the dataset's default version; annotation {model.id} is at "
                               f"version {version!r}, so a delete would remove it elsewhere")
        self.send(conn, "delete", {"dataset": dataset(conn), "ids": int(model.id)})

    def _default_versions(self, conn: Connection) -> set[str]:
        project = Project.fetch(dataset(conn), connection=conn)
        return {v for v in (project.extra.get("tag"), project.extra.get("uuid")) if v}


ClioNeuron = absent("Clio holds body annotations, not skeletons; use Annotation")
ClioImageInstance = absent("Clio's images live in neuroglancer layers, not in this API")
ClioConnector = absent("Clio has no synaptic connectors")
ClioVolume = absent("Clio has no meshes")
