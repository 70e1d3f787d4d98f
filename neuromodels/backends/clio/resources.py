"""Clio: datasets as projects, body annotations as annotations (``id`` = body id, the fields in
``properties``). Clio proxies DVID: writes merge and answer ``null``; a list is written record by
record and stops at the first error without saying which records landed."""

from __future__ import annotations

import math
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import orjson

import attrs

from ...connection import Connection
from ...errors import BadRequest, NeuromodelsError, NotFound, NotSupported, PermissionDenied, ProtocolError
from ...resources import Annotation, Project
from ..base import Filter, check_id, segment
from ..resource import (
    BulkCreate, BulkFetch, BulkUpdate, ConnectionState, Count, Delete, Errors, Fetch, List, Settle, Settlement, absent,
)

#: Records per write (clio-py uses 50) and ids per id-number read.
WRITE_CHUNK = 50
READ_CHUNK = 200
VALUE = (str, int, float, bool, np.integer, np.floating)


def dataset(conn: Connection) -> str:
    return check_id(conn.project, str, "the Clio dataset (project= on the connection)")


def _version_params(conn: Connection, modifiers: Mapping[str, Any] | None = None) -> dict[str, Any]:
    version = (modifiers or {}).get("version") or conn.options.get("version")
    return {"version": version} if version else {}


def annotation_from_record(record: Mapping[str, Any], ds: str) -> Annotation:
    body = int(record["bodyid"])
    properties = {k: v for k, v in record.items() if k != "bodyid"}
    return Annotation(id=body, targets=[body], properties=properties, project=ds)


@attrs.define
class ClioState(ConnectionState):
    """The annotation fields each dataset lists, read once per connection."""

    fields: dict[str, dict[str, Filter]] = attrs.field(factory=dict)


class ClioProject(Fetch, List):
    id_type = str
    not_supported = {op: "Clio datasets are managed by their administrators" for op in ("create", "update", "delete")}

    def _all(self, conn: Connection) -> list[Project]:
        body = conn.transport.request("GET", "/v2/datasets")
        if not isinstance(body, Mapping):
            raise ProtocolError("/v2/datasets did not return an object")
        return [Project(id=name, name=meta.get("title") or name, description=meta.get("description"),
                        extra={k: v for k, v in meta.items() if k not in ("title", "description")})
                for name, meta in body.items()]

    def fetch_one(self, conn: Connection, id: Any, **options: Any) -> Project:
        for project in self._all(conn):
            if project.id == id:
                return project
        raise NotFound(f"no Clio dataset {id!r} readable with this token", missing=[id])

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, **options: Any) -> Iterator[Sequence[Project]]:
        yield self._all(conn)


class ClioAnnotation(BulkFetch, List, Count, BulkCreate, BulkUpdate, Delete, Settle):
    id_type = int
    writable = frozenset({"properties", "targets", "project"})
    context_modifiers = frozenset({"version", "replace", "conditional"})
    batch_size, spread_chunks = WRITE_CHUNK, False
    not_supported = {
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
            names = conn.transport.request("GET", f"/v2/json-annotations/{segment(ds)}/neurons/fields")
            if not isinstance(names, list):
                raise ProtocolError("the Clio fields endpoint did not return a list")
            state.fields[ds] = {n: Filter(n, VALUE, "annotation field (a list means any of them)", many=True)
                                for n in names if n and n != "bodyid"}
        return {**state.fields[ds], **self.fixed_filters}

    # reading -------------------------------------------------------------------------------------
    def _by_ids(self, conn: Connection, ids: Sequence[int], modifiers: Mapping[str, Any] | None = None) -> dict[int, Annotation]:
        ds = dataset(conn)
        params = _version_params(conn, modifiers)
        parts = [ids[i : i + READ_CHUNK] for i in range(0, len(ids), READ_CHUNK)]
        bodies = conn.transport.map_values(
            lambda part: conn.transport.request("GET", f"/v2/json-annotations/{segment(ds)}/neurons/id-number/{','.join(map(str, part))}",
                                                params=params or None), parts)
        found: dict[int, Annotation] = {}
        for body in bodies:
            for record in body or []:
                a = annotation_from_record(record, ds)
                found[a.id] = a
        return found

    def fetch_many(self, conn: Connection, ids: Sequence[Any], context: Mapping[str, Any], **options: Any) -> dict[Any, Annotation]:
        return dict(self._by_ids(conn, ids, context))

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
        ds = dataset(conn)
        query = self._query(modifiers)
        if not query:
            records = conn.transport.request("GET", f"/v2/json-annotations/{segment(ds)}/neurons/all", params=_version_params(conn, modifiers) or None)
        else:
            records = conn.transport.request("POST", f"/v2/json-annotations/{segment(ds)}/neurons/query",
                                             params=_version_params(conn, modifiers) or None, json=query, read=True)
        yield [annotation_from_record(r, ds) for r in records or []]

    def count(self, conn: Connection, modifiers: Mapping[str, Any]) -> int:
        if "ids" in modifiers:
            return sum(len(p) for p in self.pages(conn, modifiers, None))
        query = self._query(modifiers)
        if not query:
            return len(next(iter(self.pages(conn, modifiers, None))))
        ids = conn.transport.request("POST", f"/v2/json-annotations/{segment(dataset(conn))}/neurons/query",
                                     params={"onlyid": "true", **_version_params(conn, modifiers)}, json=query, read=True)
        return len(ids or [])

    # writing -------------------------------------------------------------------------------------
    def validate(self, model: Any, operation: str) -> None:
        if model.id is None and not (model.targets and len(model.targets) == 1):
            raise ValueError("a Clio annotation is keyed by its body: give targets=[<body id>] (or id=<body id>)")
        body = check_id(model.id if model.id is not None else model.targets[0], int, "body id")
        if body == 0:
            raise ValueError("body id 0 is reserved by DVID")
        if model.targets not in (None, [body]):
            raise ValueError(f"a Clio annotation's only target is its body ({body}), not {model.targets}")
        props = model.properties or {}
        if not isinstance(props, dict) or not all(isinstance(k, str) and k for k in props):
            raise TypeError("properties must be a dict with non-empty string keys")
        if "bodyid" in props:
            raise ValueError("the body id is the annotation's id, not a property")
        try:
            orjson.dumps(props, option=orjson.OPT_SERIALIZE_NUMPY)
        except TypeError as e:
            raise TypeError(f"properties must be JSON data: {e}") from None
        for value in props.values():
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"properties must hold finite numbers, not {value!r}")

    def create(self, conn: Connection, model: Any, modifiers: Mapping[str, Any]) -> None:
        _key_by_target(model)
        self.update(conn, model, {"properties": model.properties}, modifiers)

    @staticmethod
    def _record(model: Any, replace: bool) -> dict[str, Any]:
        """What to send: changed fields (null deletes) or, with ``replace``, the whole record."""
        now = model.properties or {}
        if replace or model.original("properties") is None:
            record = dict(now)
        else:
            before = model.original("properties") or {}
            record = {k: v for k, v in now.items() if k not in before or before[k] != v}
            record.update({k: None for k in before if k not in now})
        return {"bodyid": int(model.id), **record}

    def _write_params(self, conn: Connection, modifiers: Mapping[str, Any] | None) -> dict[str, Any]:
        params = _version_params(conn, modifiers)
        mods = modifiers or {}
        if mods.get("replace") or conn.options.get("replace"):
            params["replace"] = "true"
        conditional = mods.get("conditional") or conn.options.get("conditional")
        if conditional:
            params["conditional"] = ",".join([conditional] if isinstance(conditional, str) else list(conditional))
        return params

    def update(self, conn: Connection, model: Any, changes: Mapping[str, Any], modifiers: Mapping[str, Any]) -> None:
        params = self._write_params(conn, modifiers)
        record = self._record(model, "replace" in params)
        conn.transport.request("POST", f"/v2/json-annotations/{segment(dataset(conn))}/neurons", params=params or None, json=record)
        model.targets, model.project = [int(model.id)], dataset(conn)

    def update_chunk(self, conn: Connection, chunk: Sequence[Any], modifiers: Mapping[str, Any]) -> Errors:
        for model in chunk:
            _key_by_target(model)
        return self._write_chunk(conn, list(chunk), self._write_params(conn, modifiers), modifiers)

    create_chunk = update_chunk

    def _write_chunk(self, conn: Connection, chunk: list[Any], params: dict[str, Any], modifiers: Mapping[str, Any] | None) -> list[BaseException | None]:
        ds = dataset(conn)
        records = [self._record(m, "replace" in params) for m in chunk]
        try:
            conn.transport.request("POST", f"/v2/json-annotations/{segment(ds)}/neurons", params=params or None, json=records)
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

    def _settle_chunk(self, conn: Connection, chunk: list[Any], records: list[dict[str, Any]], params: dict[str, Any],
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
                self.update(conn, model, {"properties": model.properties}, modifiers)
                results.append(None)
            except Exception as e:  # noqa: BLE001 - per record
                results.append(e)
        return results

    def settle(self, conn: Connection, models: Sequence[Any]) -> list[Settlement]:
        """A record whose write reply was lost landed if reading it back shows what was sent;
        otherwise it is resent (writes are keyed by body id, so nothing can be duplicated)."""
        stored = self._by_ids(conn, [m.id for m in models])
        return [Settlement.stored(m.id) if _landed(stored.get(m.id), self._record(m, False), set()) else Settlement.absent()
                for m in models]

    def delete(self, conn: Connection, model: Any) -> None:
        version = conn.options.get("version")
        if version and version not in self._default_versions(conn):
            raise NotSupported(f"Clio deletes only at the dataset's default version; version={version!r} would delete elsewhere")
        conn.transport.request("DELETE", f"/v2/json-annotations/{segment(dataset(conn))}/neurons/id-number/{model.id}")

    def _default_versions(self, conn: Connection) -> set[str]:
        project = Project.fetch(dataset(conn), connection=conn)
        return {v for v in (project.extra.get("tag"), project.extra.get("uuid")) if v}


def _key_by_target(model: Any) -> None:
    """On Clio the annotation's id is its single target, the body id."""
    if model.id is None and model.targets and len(model.targets) == 1:
        model.id = check_id(model.targets[0], int, "body id")


def _matches(properties: Mapping[str, Any] | None, key: str, value: Any) -> bool:
    have = (properties or {}).get(key)
    wanted = value if isinstance(value, list) else [value]
    return have in wanted


def _landed(stored: Annotation | None, record: Mapping[str, Any], protected: set[str]) -> bool:
    if stored is None:
        return all(v is None for k, v in record.items() if k != "bodyid")
    props = stored.properties or {}
    for key, value in record.items():
        if key == "bodyid" or key in protected:
            continue
        if value is None:
            if key in props:
                return False
        elif props.get(key) != value:
            return False
    return True



ClioNeuron = absent("Clio holds body annotations, not skeletons; use Annotation")
ClioImageInstance = absent("Clio's images live in neuroglancer layers, not in this API")
ClioConnector = absent("Clio has no synaptic connectors")
ClioVolume = absent("Clio has no meshes")
