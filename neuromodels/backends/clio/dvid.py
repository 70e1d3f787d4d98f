"""What Clio users ask of the DVID server behind a dataset (its ``dvid`` url): which bodies
exist, and the schema annotations are checked against. DVID takes no token, so the Clio token
is never sent there; the connection's deadline, retries, ``verify`` and body cap apply.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from ...connection import Connection
from ...core.errors import NotSupported, ProtocolError
from ...transport import parse_json
from ...models import Annotation, Project
from ...core.backend import check_id
from .services import clio_connection, dataset_of, head_uuid

#: JSON schema types -> the Python values that satisfy them.
TYPES: Mapping[str, tuple[type, ...]] = {"integer": (int, np.integer), "number": (int, float, np.number),
                                         "string": (str,), "boolean": (bool, np.bool_), "array": (list, tuple, np.ndarray),
                                         "object": (dict,), "null": (type(None),)}


def dvid_url(conn: Connection, dataset: str | None = None) -> str:
    """The dataset's DVID server, from its metadata (``/v2/datasets``)."""
    url = Project.fetch(dataset_of(conn, dataset), connection=conn).extra.get("dvid")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise NotSupported(f"Clio dataset {dataset_of(conn, dataset)!r} names no DVID server ({url!r})")
    return url.rstrip("/")


def dvid_get(conn: Connection, url: str, body: Any = None) -> Any:
    """One GET to DVID (a JSON ``body`` where DVID reads one), its JSON answer or a typed error:
    through a transport derived from the connection's (its deadline, retries, body cap and
    Ctrl-C handling), without its credentials."""
    parts = urlsplit(url)
    dvid = conn.transport.derive(urlunsplit(parts._replace(path="", query="", fragment="")))
    try:
        return dvid.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), json=body,
                            parse=parse_json)
    finally:
        dvid.close()


def ids_exist(ids: Iterable[Any], *, dataset: str | None = None, connection: Connection | None = None) -> np.ndarray:
    """Which body ids exist at the dataset's head version, as booleans in the order given:
    the annotated ones (DVID's annotation keys), then the rest asked of the segmentation's
    label index (their sizes), as clio-py and dvidtools do.

    >>> ids_exist([10003, 10150, 99999999]).tolist()
    [True, True, False]
    """
    conn = clio_connection(connection, "ids_exist()")
    bodies = [check_id(i, int, "body id") for i in ids]
    dvid = dvid_url(conn, dataset)
    keys = dvid_get(conn, f"{dvid}/api/node/:master/segmentation_annotations/keys")
    if not isinstance(keys, list):
        raise ProtocolError("DVID's annotation keys are not a list", path="segmentation_annotations/keys")
    annotated = {int(k) for k in keys}
    exists = np.array([b in annotated for b in bodies], dtype=bool)
    rest = [b for b, known in zip(bodies, exists) if not known]
    if rest:
        sizes = dvid_get(conn, f"{dvid}/api/node/{head_uuid(dataset, connection=conn)}/segmentation/sizes", rest)
        if not isinstance(sizes, list) or len(sizes) != len(rest):
            raise ProtocolError("DVID answered with another number of sizes than ids asked", path="segmentation/sizes")
        found = {b for b, size in zip(rest, sizes) if size}
        exists = np.array([b in annotated or b in found for b in bodies], dtype=bool)
    return exists


def json_schema(*, dataset: str | None = None, connection: Connection | None = None) -> dict[str, Any]:
    """The JSON schema DVID checks body annotations against (``required``, ``properties``).

    >>> json_schema()["properties"]["group"]
    {'type': ['integer', 'null']}
    """
    conn = clio_connection(connection, "json_schema()")
    schema = dvid_get(conn, f"{dvid_url(conn, dataset)}/api/node/:master/segmentation_annotations/json_schema")
    if not isinstance(schema, dict):
        raise ProtocolError("DVID's json_schema is not an object", path="segmentation_annotations/json_schema")
    return schema


def _fits(value: Any, spec: Mapping[str, Any]) -> bool:
    if "oneOf" in spec or "anyOf" in spec:
        return any(_fits(value, s) for s in spec.get("oneOf", spec.get("anyOf", [])))
    kinds = spec.get("type")
    if kinds is None:
        return True
    kinds = kinds if isinstance(kinds, list) else [kinds]
    for kind in kinds:
        accepted = TYPES.get(kind, (object,))
        if isinstance(value, bool) and kind in ("integer", "number"):
            continue
        if not isinstance(value, accepted):
            continue
        if kind == "array":
            values: list[Any] = list(value)  # type: ignore[call-overload]
            items = spec.get("items")
            if isinstance(items, dict) and not all(_fits(v, items) for v in values):
                continue
            if not spec.get("minItems", 0) <= len(values) <= spec.get("maxItems", len(values)):
                continue
        return True
    return False


def check_schema(annotations: Iterable[Annotation], *, dataset: str | None = None,
                 connection: Connection | None = None) -> None:
    """Raise ValueError naming every property that does not fit DVID's schema (a wrong type, a
    missing required field), before anything is written.

    >>> check_schema([Annotation(id=10003, properties={"group": "ten"})])
    Traceback (most recent call last):
    ...
    ValueError: 1 annotation property does not fit the dataset's schema: body 10003: group='ten' is not ['integer', 'null']
    """
    schema = json_schema(dataset=dataset, connection=connection)
    properties: Mapping[str, Any] = schema.get("properties") or {}
    required = [r for r in schema.get("required") or [] if r != "bodyid"]
    problems = []
    for a in annotations:
        props = a.properties or {}
        problems += [f"body {a.id}: {r} is required" for r in required if r not in props]
        for key, value in props.items():
            spec = properties.get(key)
            if spec is not None and value is not None and not _fits(value, spec):
                problems.append(f"body {a.id}: {key}={value!r} is not {spec.get('type', 'of the schema')}")
    if problems:
        n = len(problems)
        raise ValueError(f"{n} annotation propert{'y does' if n == 1 else 'ies do'} not fit the dataset's schema: "
                         + "; ".join(problems[:10]))
