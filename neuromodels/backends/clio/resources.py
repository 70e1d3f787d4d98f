"""Clio: datasets as projects, body annotations as annotations (``id`` = body id, the fields in
``properties``). Clio proxies DVID: writes merge and answer ``null``; a list is written record by
record and stops at the first error without saying which records landed."""

from __future__ import annotations

import math
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import orjson

from ...connection import Connection
from ...errors import NotFound, NotSupported, ProtocolError
from ...resources import Annotation, Project
from ..base import absent, as_list, Filter, Resource, check_id

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


class ClioProject(Resource):
    id_type = str
    not_supported = {op: "Clio datasets are managed by their administrators" for op in ("create", "update", "delete")}

    def _all(self, conn: Connection) -> list[Project]:
        body = conn.transport.request("GET", "/v2/datasets")
        if not isinstance(body, Mapping):
            raise ProtocolError("/v2/datasets did not return an object")
        return [Project(id=name, name=meta.get("title") or name, description=meta.get("description"),
                        extra={k: v for k, v in meta.items() if k not in ("title", "description")})
                for name, meta in body.items()]

    def fetch(self, conn: Connection, model: Any, id: Any, **options: Any) -> None:
        for project in self._all(conn):
            if project.id == id:
                model.assign(project)
                return
        raise NotFound(f"no Clio dataset {id!r} readable with this token", missing=[id])

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, **options: Any) -> Iterator[Sequence[Project]]:
        yield self._all(conn)

    def count(self, conn: Connection, modifiers: Mapping[str, Any]) -> int:
        return len(self._all(conn))


class ClioAnnotation(Resource):
    id_type = int
    fixed_filters = {
        "ids": Filter("ids", (int, np.integer), "body ids, results in the order given", many=True),
        "version": Filter("version", (str,), "a version tag ('v0.3.33') or DVID UUID, on reads and writes"),
        "replace": Filter("replace", (bool,), "writes: the record replaces the whole annotation"),
        "conditional": Filter("conditional", (str,), "writes: fields never overwritten when already set", many=True),
    }

    def allowed_filters(self, conn: Connection) -> Mapping[str, Filter]:
        key = f"clio.fields.{dataset(conn)}"
        if key not in conn.cache:
            names = conn.transport.request("GET", f"/v2/json-annotations/{dataset(conn)}/neurons/fields")
            if not isinstance(names, list):
                raise ProtocolError("the Clio fields endpoint did not return a list")
            conn.cache[key] = {n: Filter(n, VALUE, "annotation field (a list means any of them)", many=True)
                               for n in names if n and n != "bodyid"}
        return {**conn.cache[key], **self.fixed_filters}

    # reading -------------------------------------------------------------------------------------
    def _by_ids(self, conn: Connection, ids: Sequence[int], modifiers: Mapping[str, Any] | None = None) -> dict[int, Annotation]:
        ds = dataset(conn)
        params = _version_params(conn, modifiers)
        parts = [ids[i : i + READ_CHUNK] for i in range(0, len(ids), READ_CHUNK)]
        bodies = conn.transport.map_values(
            lambda part: conn.transport.request("GET", f"/v2/json-annotations/{ds}/neurons/id-number/{','.join(map(str, part))}",
                                                params=params or None), parts)
        found: dict[int, Annotation] = {}
        for body in bodies:
            for record in body or []:
                a = annotation_from_record(record, ds)
                found[a.id] = a
        return found

    def fetch(self, conn: Connection, model: Any, id: Any, **options: Any) -> None:
        found = self._by_ids(conn, [id])
        if id not in found:
            raise NotFound(f"body {id} has no annotation in {dataset(conn)}", missing=[id])
        model.assign(found[id])

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

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, **options: Any) -> Iterator[Sequence[Annotation]]:
        ds = dataset(conn)
        if "ids" in modifiers:
            ids = [check_id(i, int, "body id") for i in as_list(modifiers["ids"])]
            found = self._by_ids(conn, ids, modifiers)
            missing = [i for i in ids if i not in found]
            if missing:
                raise NotFound(f"{len(missing)} of {len(ids)} bodies have no annotation: {missing[:10]}", missing=missing)
            rest = self._query(modifiers)
            yield [found[i] for i in ids if all(_matches(found[i].properties, k, v) for k, v in rest.items())]
            return
        query = self._query(modifiers)
        if not query:
            records = conn.transport.request("GET", f"/v2/json-annotations/{ds}/neurons/all", params=_version_params(conn, modifiers) or None)
        else:
            records = conn.transport.request("POST", f"/v2/json-annotations/{ds}/neurons/query",
                                             params=_version_params(conn, modifiers) or None, json=query, read=True)
        yield [annotation_from_record(r, ds) for r in records or []]

    def count(self, conn: Connection, modifiers: Mapping[str, Any]) -> int:
        if "ids" in modifiers:
            return sum(len(p) for p in self.pages(conn, modifiers, None))
        query = self._query(modifiers)
        if not query:
            return len(next(iter(self.pages(conn, modifiers, None))))
        ids = conn.transport.request("POST", f"/v2/json-annotations/{dataset(conn)}/neurons/query",
                                     params={"onlyid": "true", **_version_params(conn, modifiers)}, json=query, read=True)
        return len(ids or [])

    # writing -------------------------------------------------------------------------------------
    def validate(self, model: Any, operation: str) -> None:
        if model.id is None:
            raise ValueError("a Clio annotation is keyed by its body: give id=<body id>")
        body = check_id(model.id, int, "body id")
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

    def create(self, conn: Connection, model: Any) -> None:
        self.validate(model, "create")
        self.update(conn, model, {"properties": model.properties})

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

    def update(self, conn: Connection, model: Any, changes: Mapping[str, Any], modifiers: Mapping[str, Any] | None = None) -> None:
        unsupported = set(changes) - {"properties", "targets"}
        if unsupported:
            raise NotSupported(f"clio annotations keep their fields in properties; {', '.join(sorted(unsupported))} cannot change")
        params = self._write_params(conn, modifiers)
        record = self._record(model, "replace" in params)
        conn.transport.request("POST", f"/v2/json-annotations/{dataset(conn)}/neurons", params=params or None, json=record)
        model.targets, model.project = [int(model.id)], dataset(conn)

    def update_many(self, conn: Connection, models: Sequence[Any], modifiers: Mapping[str, Any] | None = None) -> list[BaseException | None]:
        params = self._write_params(conn, modifiers)
        chunks = [list(models[i : i + WRITE_CHUNK]) for i in range(0, len(models), WRITE_CHUNK)]
        outcomes = conn.transport.map(lambda chunk: self._write_chunk(conn, chunk, params, modifiers), chunks, desc="saving annotations")
        errors: list[BaseException | None] = []
        for chunk, o in zip(chunks, outcomes):
            errors.extend(o.value if o.ok else [o.error] * len(chunk))
        return errors

    create_many = update_many

    def _write_chunk(self, conn: Connection, chunk: list[Any], params: dict[str, Any], modifiers: Mapping[str, Any] | None) -> list[BaseException | None]:
        ds = dataset(conn)
        records = [self._record(m, "replace" in params) for m in chunk]
        try:
            conn.transport.request("POST", f"/v2/json-annotations/{ds}/neurons", params=params or None, json=records)
        except (NotFound, NotSupported):
            raise
        except Exception as error:  # noqa: BLE001 - the batch stopped somewhere: find where
            if getattr(error, "sent", False) is False and not getattr(error, "status", None):
                raise
            try:
                return self._settle_chunk(conn, chunk, records, params, modifiers, error)
            except Exception:  # noqa: BLE001 - cannot read back now: the outcome stays unknown
                error.sent = True  # type: ignore[attr-defined]
                error.unknown_outcome = True  # type: ignore[attr-defined]
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

    def settle(self, conn: Connection, models: Sequence[Any]) -> list[Any] | None:
        """A record whose write reply was lost landed if reading it back shows what was sent;
        otherwise it is resent (writes are keyed by body id, so nothing can be duplicated)."""
        stored = self._by_ids(conn, [m.id for m in models])
        result: list[Any] = []
        for model in models:
            record = self._record(model, False)
            result.append(model.id if _landed(stored.get(model.id), record, set()) else None)
        return result

    def delete(self, conn: Connection, model: Any) -> None:
        version = conn.options.get("version")
        if version and version not in self._default_versions(conn):
            raise NotSupported(f"Clio deletes only at the dataset's default version; version={version!r} would delete elsewhere")
        conn.transport.request("DELETE", f"/v2/json-annotations/{dataset(conn)}/neurons/id-number/{model.id}")

    def _default_versions(self, conn: Connection) -> set[str]:
        project = Project.fetch(dataset(conn), connection=conn)
        return {v for v in (project.extra.get("tag"), project.extra.get("uuid")) if v}


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
