"""Clio wire formats <-> models. Every Clio-specific shape lives here.

One converter (:data:`converter`) reads every server reply — a body annotation record
(``converter.structure(record, Annotation)``), the dataset table, the field list — and makes
every request body (:func:`write_body`), so numpy scalars and arrays in ``properties`` go out as
plain JSON numbers and lists.

A Clio annotation record is flat: ``{"bodyid": 10003, "type": "IN07B003", ...}``. The body id
becomes the model's ``id`` and its single target; every other key is a property.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import attrs

from ...models import Annotation, Project
from ...core.wire import check_depth, integer, make_converter, seq

#: Every Clio wire shape <-> model.
converter = make_converter()

#: The key that holds the body id in a record.
BODY = "bodyid"


def _structure_annotation(record: Mapping[str, Any], _: Any = None) -> Annotation:
    if not isinstance(record, Mapping):
        raise TypeError(f"a Clio record is an object, not {type(record).__name__}")
    body = record[BODY]
    if isinstance(body, bool) or not isinstance(body, int):
        raise TypeError(f"a body id is an integer, not {body!r}")
    check_depth(record)  # nesting past 64 levels would exhaust the stack in change tracking
    return Annotation(id=body, targets=[body], properties={k: v for k, v in record.items() if k != BODY})


converter.register_structure_hook(Annotation, _structure_annotation)


#: The key of ``Annotation.extra`` that holds the version an annotation was read or written at.
VERSION = "version"


def annotations_of(body: Any, dataset: str, version: str | None = None) -> list[Annotation]:
    """The records of a reply (``/id-number``, ``/query``, ``/all``) as annotations of ``dataset``;
    ``null`` is no record. Read at an explicit ``version``, each remembers it in ``extra``."""
    if body is None:
        return []
    if not isinstance(body, list):
        raise TypeError(f"Clio answered with {type(body).__name__}, not a list of records")
    found = [converter.structure(r, Annotation) for r in body]
    for a in found:
        a.project = dataset
        if version:
            a.extra[VERSION] = version
    return found


def _structure_datasets(body: Mapping[str, Any], _: Any = None) -> list[Project]:
    if not isinstance(body, Mapping):
        raise TypeError("/v2/datasets did not return an object")
    projects = []
    for name, meta in body.items():
        if meta is None:
            meta = {}
        if not isinstance(meta, Mapping):
            raise TypeError(f"the metadata of dataset {str(name)[:50]!r} is {type(meta).__name__}, not an object")
        check_depth(meta)
        projects.append(Project(id=str(name), name=meta.get("title") or name, description=meta.get("description"),
                                extra={k: v for k, v in meta.items() if k not in ("title", "description")}))
    return projects


@attrs.frozen
class Datasets:
    """``/v2/datasets``: name -> metadata, as projects."""

    projects: list[Project]


converter.register_structure_hook(Datasets, lambda body, _: Datasets(_structure_datasets(body)))


@attrs.frozen
class FieldNames:
    """``/neurons/fields``: the fields present in at least one record."""

    names: list[str]


def _structure_fields(body: Any, _: Any = None) -> FieldNames:
    if not isinstance(body, list):
        raise TypeError("the Clio fields endpoint did not return a list")
    return FieldNames([str(n) for n in body if n])


converter.register_structure_hook(FieldNames, _structure_fields)


@attrs.frozen
class BodyIds:
    """``/neurons/query?onlyid=true``: the matching body ids."""

    ids: list[int]


converter.register_structure_hook(BodyIds, lambda body, _: BodyIds([integer(i, "a body id") for i in seq(body or [])]))


# -- request bodies --------------------------------------------------------------------------------
def plain_properties(properties: Mapping[str, Any] | None) -> dict[str, Any]:
    """``properties`` as JSON data (numpy scalars and arrays as Python numbers and lists)."""
    data: dict[str, Any] = converter.unstructure(dict(properties or {}))
    return data


def check_json(value: Any, where: str = "properties") -> None:
    """Raise TypeError/ValueError unless ``value`` (already plain) is finite JSON data."""
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where} must hold finite numbers, not {value!r}")
        return
    if isinstance(value, list):
        for item in value:
            check_json(item, where)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where} must have string keys, not {key!r}")
            check_json(item, where)
        return
    raise TypeError(f"{where} must be JSON data; {type(value).__name__} is not ({value!r})")


def write_record(body: int, fields: Mapping[str, Any]) -> dict[str, Any]:
    """One record of a write: the body id and the fields to set (``None`` deletes a field)."""
    record: dict[str, Any] = converter.unstructure({BODY: int(body), **fields})
    return record


def write_body(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = converter.unstructure([dict(r) for r in records])
    return body


#: A query that matches every record (DVID neuronjson: the field exists).
EVERY_RECORD = {BODY: "exists/1"}


# -- table columns ---------------------------------------------------------------------------------
def row(annotation: Annotation) -> dict[str, Any]:
    """One ``to_dataframe()`` row: the body id as ``id`` and each property as a column (a
    property itself called ``id`` becomes ``properties.id``)."""
    out: dict[str, Any] = {"id": annotation.id}
    for key, value in (annotation.properties or {}).items():
        out["properties.id" if key == "id" else key] = value
    return out
