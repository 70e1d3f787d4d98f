"""CAVE wire formats <-> models. Every CAVE-specific shape lives here.

One converter (:data:`converter`) reads every reply: a datastack's info (:class:`Datastack`), an
annotation schema's JSON schema (:class:`Columns`), a materialization query's rows
(:func:`rows_of`, Arrow or JSON records), a skeleton (:class:`Skeleton`), and makes the request
bodies (:func:`annotation_body`), so numpy values go out as plain JSON.

A materialized row is flat: ``{"id": 7, "pt_position": [x, y, z], "pt_supervoxel_id": ...,
"pt_root_id": 8646..., "cell_type": "basket", "created": ..., "valid": true}``. As an
:class:`~neuromodels.Annotation`: ``id`` is the row id, ``targets`` the root ids its points are
bound to, ``properties`` what a user writes (points' positions and the schema's own fields),
``extra`` what the services computed (supervoxels, roots per point, ``created``), plus the table.
"""

from __future__ import annotations

import datetime as dt
import gzip
import math
from typing import Any, Mapping, Sequence

import attrs
import numpy as np
import orjson
import pandas as pd
import requests

from ...models import Annotation, Connector, Link, Project
from ...formats.times import parse_iso
from ...core.wire import make_converter, plain

#: Every CAVE wire shape <-> model.
converter = make_converter()

#: Keys of ``Annotation.extra``: the table a row belongs to, and the version or time it was read at.
TABLE, VERSION, TIMESTAMP = "table", "version", "timestamp"
#: Key of ``Annotation.extra``: when an insert was sent (to settle a lost reply).
SENT = "sent"
#: Columns the services compute; never written.
COMPUTED = ("id", "created", "deleted", "superceded_id", "valid")
POSITION, SUPERVOXEL, ROOT = "_position", "_supervoxel_id", "_root_id"


# -- the info service ------------------------------------------------------------------------------
@attrs.frozen
class Datastack:
    """``/info/api/v2/datastack/full/<name>``: the datastack as a project, and where its services are."""

    project: Project
    local_server: str
    aligned_volume: str
    synapse_table: str | None
    #: The chunked graph's table, the last part of ``graphene://.../segmentation/table/<name>``.
    pcg_table: str | None


def _structure_datastack(body: Mapping[str, Any], _: Any = None) -> Datastack:
    if not isinstance(body, Mapping):
        raise TypeError("the info service did not return an object")
    volume = body["aligned_volume"]
    name = str(body.get("datastack_name") or body.get("name") or "")
    project = Project(id=name or None, name=name or None, description=body.get("description"), extra=dict(body))
    source = str(body.get("segmentation_source") or "")
    pcg = source.rstrip("/").rsplit("/", 1)[-1] if source.startswith("graphene://") else None
    return Datastack(project, str(body["local_server"]).rstrip("/"), str(volume["name"]), body.get("synapse_table"), pcg)


converter.register_structure_hook(Datastack, _structure_datastack)


# -- the schema service ----------------------------------------------------------------------------
@attrs.frozen
class Columns:
    """The materialized columns of a schema, from its JSON schema: per column its kind
    ("position", "supervoxel", "root" or the JSON type), and the points that are bound."""

    kinds: dict[str, str]
    bound: tuple[str, ...]
    points: tuple[str, ...]


def _structure_columns(body: Mapping[str, Any], _: Any = None) -> Columns:
    definitions = body["definitions"]
    main = definitions[str(body["$ref"]).rsplit("/", 1)[-1]]
    kinds = {"id": "integer", "created": "datetime", "valid": "boolean"}
    bound, points = [], []
    for name, spec in main["properties"].items():
        ref = str(spec.get("$ref", "")).rsplit("/", 1)[-1]
        point = definitions.get(ref, {}).get("properties", {}) if ref else {}
        if "position" in point:
            points.append(name)
            kinds[name + POSITION] = "position"
            if "root_id" in point:
                bound.append(name)
                kinds[name + SUPERVOXEL], kinds[name + ROOT] = "supervoxel", "root"
        else:
            kind = spec.get("type", "string")
            kinds[name] = str(kind[0] if isinstance(kind, list) else kind)
    return Columns(kinds, tuple(bound), tuple(points))


converter.register_structure_hook(Columns, _structure_columns)


# -- materialization rows -----------------------------------------------------------------------------
def rows_of(response: requests.Response) -> list[dict[str, Any]]:
    """A query's rows: an Arrow IPC stream (``Content-Type: data.arrow``) or JSON records.
    Split positions (``pt_position_x``...) are joined, times become UTC datetimes."""
    if response.headers.get("Content-Type", "").startswith("data.arrow"):
        import pyarrow as pa

        with pa.ipc.open_stream(response.content) as reader:
            records = reader.read_all().to_pylist()
    else:
        records = orjson.loads(response.content)
        if not isinstance(records, list):
            raise TypeError(f"a query answered with {type(records).__name__}, not a list of rows")
    return [_row(r) for r in records]


def _row(record: Any) -> dict[str, Any]:
    if not isinstance(record, Mapping):
        raise TypeError(f"a row is an object, not {type(record).__name__}")
    row: dict[str, Any] = {}
    for key, value in record.items():
        if key.endswith((POSITION + "_x", POSITION + "_y", POSITION + "_z")):
            row.setdefault(key[:-2], [None, None, None])["xyz".index(key[-1])] = _number(value)
        elif key == "created":
            row[key] = _time(value)
        else:
            row[key] = value
    for key, value in row.items():
        if key.endswith(POSITION) and value is not None:
            row[key] = [_number(v) for v in value]
    return row


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _time(value: Any) -> dt.datetime | None:
    """Arrow gives a datetime; JSON records give epoch milliseconds (pandas' to_json)."""
    if value is None or isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.timezone.utc) if value is not None and value.tzinfo is None else value
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value / 1000, dt.timezone.utc)
    return parse_iso(value)


def annotation_of(row: Mapping[str, Any], table: str, datastack: str, read_at: Mapping[str, Any]) -> Annotation:
    """A materialized row as an annotation: bound roots as ``targets``, the services' columns in ``extra``."""
    ident = row["id"]
    if isinstance(ident, bool) or not isinstance(ident, int):
        raise TypeError(f"an annotation id is an integer, not {ident!r}")
    targets = [int(v) for k, v in row.items() if k.endswith(ROOT) and v]
    computed = {k: v for k, v in row.items() if k in COMPUTED[1:] or k.endswith((ROOT, SUPERVOXEL))}
    properties = {k: v for k, v in row.items() if k != "id" and k not in computed}
    return Annotation(id=ident, project=datastack, targets=targets, properties=properties,
                      extra={TABLE: table, **computed, **dict(read_at)})


def connector_of(row: Mapping[str, Any], table: str) -> Connector:
    """A synapse row: the centre point (else the middle of pre and post) and one link per side,
    to the root (``skeleton_id``) and supervoxel (``node_id``) of that side."""
    centre = row.get("ctr_pt_position")
    if centre is None:
        pre, post = row["pre_pt_position"], row["post_pt_position"]
        centre = [(a + b) / 2 for a, b in zip(pre, post)]
    links = [Link(node_id=int(row.get(f"{side}_pt_supervoxel_id") or 0), relation=relation,
                  skeleton_id=int(row.get(f"{side}_pt_root_id") or 0))
             for side, relation in (("pre", "presynaptic_to"), ("post", "postsynaptic_to"))]
    extra = {k: v for k, v in row.items() if k not in ("id", "ctr_pt_position")}
    return Connector(id=int(row["id"]), x=float(centre[0]), y=float(centre[1]), z=float(centre[2]), links=links,
                     extra={TABLE: table, **extra})


def content_key(properties: Mapping[str, Any] | None) -> tuple[Any, ...]:
    """What a row says, comparable between a model and a row read back: numbers as floats,
    positions in whole voxels (as the engine stores them)."""
    def norm(key: str, value: Any) -> Any:
        if key.endswith(POSITION) and isinstance(value, (list, tuple)):
            return tuple(int(round(v)) for v in value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        return value

    return tuple(sorted((k, norm(k, v)) for k, v in plain(dict(properties or {})).items()))


# -- request bodies ---------------------------------------------------------------------------------
def annotation_body(properties: Mapping[str, Any], columns: Columns) -> dict[str, Any]:
    """A row to post: ``pt_position`` as ``{"pt": {"position": [...]}}``, other fields as they are."""
    body: dict[str, Any] = {}
    for key, value in plain(dict(properties)).items():
        if key.endswith(POSITION) and key[: -len(POSITION)] in columns.points:
            body[key[: -len(POSITION)]] = {"position": value}
        else:
            body[key] = value
    out: dict[str, Any] = converter.unstructure(body)
    return out


def check_properties(properties: Any, columns: Columns | None) -> None:
    """Raise TypeError/ValueError unless ``properties`` can be written as a row (against the
    table's columns when known)."""
    if not isinstance(properties, dict) or not all(isinstance(k, str) and k for k in properties):
        raise TypeError("properties must be a dict with non-empty string keys")
    for key, value in plain(properties).items():
        if key in COMPUTED or key.endswith((ROOT, SUPERVOXEL)):
            raise ValueError(f"{key!r} is computed by CAVE (ids, times, supervoxels and roots); it cannot be written")
        if key.endswith(POSITION):
            if not (isinstance(value, list) and len(value) == 3 and all(
                    isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in value)):
                raise ValueError(f"{key} must be three finite numbers (x, y, z in voxels), not {value!r}")
        elif isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{key} must be a finite number, not {value!r}")
        elif value is not None and not isinstance(value, (str, int, float, bool)):
            raise TypeError(f"{key} must be a string or a number, not {type(value).__name__}")
    if columns is not None:
        writable = [k for k, kind in columns.kinds.items() if k not in COMPUTED and kind not in ("supervoxel", "root")]
        unknown = sorted(set(properties) - set(writable))
        missing = sorted(set(writable) - set(properties))
        if unknown or missing:
            from ...core.capabilities import did_you_mean

            hint = did_you_mean(unknown[0], writable) if unknown else ""
            raise ValueError(f"this table's rows have {', '.join(writable)}"
                             + (f"; unknown: {', '.join(unknown)}{hint}" if unknown else "")
                             + (f"; missing: {', '.join(missing)}" if missing else ""))


# -- the skeleton service ---------------------------------------------------------------------------
@attrs.frozen
class Skeleton:
    """A ``flatdict`` skeleton (gzip-compressed JSON) as a node table: ``node_id`` is the vertex
    index, ``parent_id`` from the (child, parent) edges, the root vertex's parent -1."""

    nodes: pd.DataFrame
    soma: list[int]


def skeleton_of(response: requests.Response) -> Skeleton:
    body = orjson.loads(gzip.decompress(response.content))
    vertices = np.asarray(body["vertices"], dtype=float).reshape(-1, 3)
    parents = np.full(len(vertices), -1, dtype=np.int64)
    edges = np.asarray(body.get("edges") or [], dtype=np.int64).reshape(-1, 2)
    parents[edges[:, 0]] = edges[:, 1]
    radius = np.asarray(body.get("radius") or [np.nan] * len(vertices), dtype=float)
    nodes = pd.DataFrame({"node_id": np.arange(len(vertices), dtype=np.int64), "parent_id": parents,
                          "x": vertices[:, 0], "y": vertices[:, 1], "z": vertices[:, 2], "radius": radius})
    if body.get("compartment") is not None:
        nodes["compartment"] = np.asarray(body["compartment"], dtype=np.int64)
    root = body.get("root")
    return Skeleton(nodes, [int(root)] if isinstance(root, int) else [])


# -- the chunked graph ------------------------------------------------------------------------------
def values_of(body: Any, key: str, expected: int) -> list[Any]:
    """``body[key]``: a list of one value per node asked about."""
    values = body[key]
    if not isinstance(values, list) or len(values) != expected:
        raise ValueError(f"{key} does not have one value for each of the {expected} nodes")
    return values


def root_states(latest: Any, made: Any, roots: Sequence[int]) -> list[dict[str, Any]]:
    """``is_latest_roots`` and ``root_timestamps`` replies as each root's ``extra``."""
    flags, stamps = values_of(latest, "is_latest", len(roots)), values_of(made, "timestamp", len(roots))
    return [{"latest": bool(f), "created": dt.datetime.fromtimestamp(float(t), dt.timezone.utc)} for f, t in zip(flags, stamps)]


@attrs.frozen
class Lineage:
    """A lineage graph (node-link): when each root was made, and the (parent, child) edits."""

    made: dict[int, float]
    links: list[tuple[int, int]]


def lineage_of(body: Any) -> Lineage:
    made = {int(n["id"]): float(n["timestamp"]) for n in body["nodes"]}
    return Lineage(made, [(int(link["source"]), int(link["target"])) for link in body.get("links", [])])



def uint64_bytes(ids: Sequence[int]) -> bytes:
    return np.asarray(ids, dtype=np.uint64).tobytes()


def roots_of(response: requests.Response, expected: int) -> list[int]:
    roots = np.frombuffer(response.content, dtype=np.uint64)
    if len(roots) != expected:
        raise ValueError(f"asked for the roots of {expected} supervoxels, got {len(roots)}")
    return [int(r) for r in roots]


def epoch(when: dt.datetime) -> float:
    return (when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)).timestamp()
