"""CATMAID wire formats <-> models. Every CATMAID-specific shape lives here.

Node tables are built vectorised: one ``numpy`` conversion per skeleton instead of a Python
object per node, which is what keeps parsing a million-node response near ``json.loads`` speed.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import orjson
import numpy as np
import pandas as pd

from ...formats.x3d import parse_indexed_triangle_set
from ...formats.times import parse_iso
from ...core.wire import make_converter, record
from ...models import Connector, ImageInstance, Link, Neuron, Project, Volume
# Node tables are parsed in .compact; re-exported for the resources and the benchmarks.
from .compact import (  # noqa: F401
    CONNECTOR_COLUMNS, NODE_COLUMNS, connectors_frame, neuron_from_compact, neurons_from_compact_many, nodes_frame,
)

#: Every CATMAID wire shape <-> model.
converter = make_converter()

# -- form encoding -------------------------------------------------------------------------------
def form_list(name: str, values: Iterable[Any]) -> list[tuple[str, str]]:
    """CATMAID's list encoding: ``name[0]=a&name[1]=b`` (never jQuery's ``name[]=``, which keeps
    only the last value)."""
    return [(f"{name}[{i}]", str(v)) for i, v in enumerate(values)]


def form_rows(name: str, rows: Iterable[Sequence[Any]]) -> list[tuple[str, str]]:
    """Nested lists: ``name[i][j]=value``."""
    return [(f"{name}[{i}][{j}]", str(v)) for i, row in enumerate(rows) for j, v in enumerate(row)]


def flag(value: bool) -> str:
    """Booleans are the strings true/false; anything else (even "1") is false on the server."""
    return "true" if value else "false"


def swc_for_import(neuron: Neuron) -> str:
    """The SWC text sent to ``skeletons/import`` (7 columns; the server reads no type)."""
    from ...formats.swc import to_swc

    return to_swc(neuron.nodes if neuron.nodes is not None else pd.DataFrame())


# -- projects and stacks -------------------------------------------------------------------------
def _resolution(info: Mapping[str, Any]) -> tuple[Any, Any, Any] | None:
    res = info.get("resolution") or {}
    return (res.get("x"), res.get("y"), res.get("z")) if res else None


converter.register_structure_hook(
    Project, record(Project, id="id", name="title", description="comment"))
converter.register_structure_hook(ImageInstance, record(
    ImageInstance, id="sid", name="stitle", project="pid", resolution=_resolution,
    width=lambda info: (info.get("dimension") or {}).get("x"),
    height=lambda info: (info.get("dimension") or {}).get("y"),
    depth=lambda info: (info.get("dimension") or {}).get("z"),
    consumes=("dimension", "resolution")))


def project_from_wire(row: Mapping[str, Any]) -> Project:
    return converter.structure(row, Project)


def image_from_stack_info(info: Mapping[str, Any]) -> ImageInstance:
    return converter.structure(info, ImageInstance)


# -- neurons' metadata ------------------------------------------------------------------------------
def _annotation_names(record: Mapping[str, Any]) -> list[str] | None:
    names = record.get("annotations")
    if names is None:
        return None
    return sorted(a["name"] if isinstance(a, Mapping) else str(a) for a in names)


#: A neuron's metadata: ``{skeleton_id, neuron_id, name, annotations}`` (query-targets entities
#: are turned into this shape by :func:`neurons_from_entity`; node tables come from .compact).
converter.register_structure_hook(Neuron, record(
    Neuron, id="skeleton_id", neuron_id="neuron_id", name="name", annotations=_annotation_names,
    required=("skeleton_id",), consumes=("annotations",)))


def neurons_from_entity(entity: Mapping[str, Any]) -> list[Neuron]:
    """A query-targets neuron entity (one neuron, usually one skeleton) -> its skeletons."""
    rest = {k: v for k, v in entity.items() if k not in ("id", "skeleton_ids", "type")}
    return [converter.structure({**rest, "skeleton_id": int(s), "neuron_id": int(entity["id"])}, Neuron)
            for s in entity.get("skeleton_ids", [])]


# -- connectors ----------------------------------------------------------------------------------
def _links_of(body: Mapping[str, Any]) -> list[Link]:
    return [Link(int(p["partner_id"]), p["relation_name"], p.get("skeleton_id"), p.get("confidence"))
            for p in body.get("partners", [])]


#: ``GET /{pid}/connectors/{cid}/``; the other connector shapes are put in this one first.
converter.register_structure_hook(Connector, record(
    Connector, id="connector_id", x="x", y="y", z="z", confidence="confidence", links=_links_of,
    required=("connector_id", "x", "y", "z"), consumes=("partners",)))


def connector_from_detail(body: Mapping[str, Any]) -> Connector:
    """``GET /{pid}/connectors/{cid}/``; link ids stay in ``extra["link_ids"]``."""
    connector = converter.structure(body, Connector)
    connector.extra["link_ids"] = [p.get("link_id") for p in body.get("partners", [])]
    return connector


def connectors_from_list(body: Mapping[str, Any], relation_names: Mapping[int, str]) -> list[Connector]:
    """``POST /{pid}/connectors/`` with partners: rows ``[id, x, y, z, confidence, creator, editor,
    ...]`` plus ``partners`` by connector id (``[link, node, skeleton, relation, confidence, ...]``)."""
    partners = body.get("partners") or {}
    result = []
    for row in body.get("connectors", []):
        cid = int(row[0])
        links = [{"partner_id": int(p[1]), "relation_name": relation_names.get(int(p[3]), str(p[3])),
                  "skeleton_id": int(p[2]), "confidence": int(p[4])} for p in partners.get(str(cid), [])]
        result.append(converter.structure(
            {"connector_id": cid, "x": row[1], "y": row[2], "z": row[3], "confidence": row[4],
             "partners": links, "creator_id": row[5], "editor_id": row[6]}, Connector))
    return result


def connectors_from_box(rows: Sequence[Sequence[Any]], relation_names: Mapping[int, str]) -> list[Connector]:
    """``connectors/in-bounding-box`` with locations and links: one row per link
    ``[connector, x, y, z, skeleton, link confidence, user, node, created, edited, relation]``.
    A connector without links (its neurons were deleted; CATMAID keeps it) comes as one row
    with nulls after the location (a left join), older servers send ``[connector, x, y, z]``:
    either way a connector with no links."""
    shapes: dict[int, dict[str, Any]] = {}
    for row in rows:
        cid = int(row[0])
        shape = shapes.setdefault(cid, {"connector_id": cid, "x": row[1], "y": row[2], "z": row[3], "partners": []})
        if len(row) >= 11 and row[7] is not None:
            shape["partners"].append({"partner_id": int(row[7]), "skeleton_id": int(row[4]),
                                      "relation_name": relation_names.get(int(row[10]), str(row[10])),
                                      "confidence": int(row[5])})
    return [converter.structure(shape, Connector) for _, shape in sorted(shapes.items())]


def box_link_times(rows: Sequence[Sequence[Any]]) -> dict[int, float]:
    """Per connector of a ``connectors/in-bounding-box`` answer with links: the epoch time its
    first link was created (connectors without links are absent)."""
    times: dict[int, float] = {}
    for row in rows:
        if len(row) >= 11 and row[8] is not None:
            when = parse_iso(row[8]).timestamp()
            times[int(row[0])] = min(when, times.get(int(row[0]), when))
    return times


def created_connector(body: Mapping[str, Any]) -> tuple[int, Any, list[list[Any]]]:
    """``connector/create``'s answer: id, edition time and ``[link id, edition time]`` per link.
    Read inside the request, so a reply without the id is an unknown outcome, not a failure."""
    return int(body["connector_id"]), body.get("connector_edition_time"), [
        [row[0], row[1]] for row in body.get("created_links") or []]


# -- imports, connectivity, reviews ----------------------------------------------------------------
def imported(body: Mapping[str, Any]) -> tuple[int, int, dict[int, int]]:
    """``skeletons/import``'s answer: skeleton id, neuron id, SWC node id -> server node id."""
    return int(body["skeleton_id"]), int(body["neuron_id"]), {
        int(k): int(v) for k, v in body["node_id_map"].items()}


def partners_frame(body: Mapping[str, Any], skid: int) -> pd.DataFrame:
    """``skeletons/connectivity`` for one source: one row per partner and direction
    (``downstream``: the source is presynaptic). Counts are summed over confidences 1-5."""
    rows = []
    for key, direction in (("outgoing", "downstream"), ("incoming", "upstream")):
        for partner, info in (body.get(key) or {}).items():
            counts = info["skids"].get(str(skid), [])
            rows.append((int(partner), direction, int(sum(counts)), int(info.get("num_nodes") or 0)))
    table = pd.DataFrame(rows, columns=["skeleton_id", "direction", "n_synapses", "n_nodes"])
    table = table.astype({"skeleton_id": "int64", "n_synapses": "int64", "n_nodes": "int64"})
    ordered: pd.DataFrame = table.sort_values(["n_synapses", "skeleton_id"], ascending=[False, True], kind="stable")
    result: pd.DataFrame = ordered.reset_index(drop=True)
    return result


def adjacency_frame(body: Mapping[str, Any], skids: Sequence[int]) -> pd.DataFrame:
    """``skeleton/connectivity_matrix`` (only non-zero pairs) -> a square table of synapse
    counts: rows presynaptic, columns postsynaptic, in the order given."""
    matrix = np.zeros((len(skids), len(skids)), dtype=np.int64)
    where = {s: i for i, s in enumerate(skids)}
    for pre, posts in body.items():
        for post, count in posts.items():
            if int(pre) in where and int(post) in where:
                matrix[where[int(pre)], where[int(post)]] = int(count)
    index = pd.Index(list(skids), name="pre")
    result: pd.DataFrame = pd.DataFrame(matrix, index=index, columns=pd.Index(list(skids), name="post"))
    return result


def reviews_frame(body: Mapping[str, Any]) -> pd.DataFrame:
    """``{node: [[reviewer, time], ...]}`` -> ``node_id, reviewer_id, review_time`` (UTC)."""
    rows = [(int(node), int(reviewer), when) for node, pairs in body.items() for reviewer, when in pairs]
    table = pd.DataFrame(rows, columns=["node_id", "reviewer_id", "review_time"])
    table = table.astype({"node_id": "int64", "reviewer_id": "int64"})
    # Parsed one by one: the server mixes "...Z" (milliseconds) and "+00:00" (microseconds).
    table["review_time"] = pd.to_datetime(
        [parse_iso(t) for t in table["review_time"]], utc=True)
    ordered: pd.DataFrame = table.sort_values(["node_id", "reviewer_id"], kind="stable")
    result: pd.DataFrame = ordered.reset_index(drop=True)
    return result


# -- volumes -------------------------------------------------------------------------------------
def _mesh(part: int) -> Any:
    def read(record: Mapping[str, Any]) -> Any:
        if record.get("mesh") is None:
            return None
        return parse_indexed_triangle_set(record.get("mesh") or "")[part]
    return read


converter.register_structure_hook(Volume, record(
    Volume, id="id", name="name", comment="comment", vertices=_mesh(0), faces=_mesh(1), consumes=("mesh",)))


def volumes_from_table(body: Mapping[str, Any]) -> list[Volume]:
    """``GET /{pid}/volumes/``: ``{columns, data}`` rows, without meshes."""
    columns = body.get("columns") or []
    return [converter.structure(dict(zip(columns, row)), Volume) for row in body.get("data") or []]


def volume_rows(body: Any) -> list[dict[str, Any]]:
    """``GET /{pid}/volumes/`` as one dict per volume (id, name, user_id, creation_time ...)."""
    columns = body["columns"]
    rows = [dict(zip(columns, row)) for row in body["data"]]
    for row in rows:
        int(row["id"]), int(row["user_id"]), str(row["name"]), str(row["creation_time"])
    return rows


def volume_from_detail(body: Mapping[str, Any]) -> Volume:
    """``GET /{pid}/volumes/{id}/`` with its X3D mesh."""
    return converter.structure(body, Volume)


def _volume_form(volume: Volume) -> dict[str, str]:
    """The ``volumes/add`` form of a trimesh volume (``volumes/{id}/`` takes the same keys)."""
    return {"type": "trimesh", "title": volume.name or "", "comment": volume.comment or "",
            "mesh": orjson.dumps(mesh_for_wire(volume)).decode()}


converter.register_unstructure_hook(Volume, _volume_form)


def created_volume(body: Mapping[str, Any]) -> int:
    """``volumes/add``'s answer: the new id (read inside the request: a reply without it is an
    unknown outcome, never a failure)."""
    return int(body["volume_id"])


def connector_form(connector: Connector, relation_ids: Mapping[str, int]) -> list[tuple[str, str]]:
    """The ``connector/create`` form: location, confidence (5 when unset) and every link as
    ``links[i] = [node, relation id, confidence]`` (one request: never a half-made connector)."""
    rows = [(link.node_id, relation_ids[link.relation], link.confidence or 5) for link in connector.links or []]
    where: list[Any] = [connector.x, connector.y, connector.z]  # checked finite before any request
    location = [(axis, repr(float(value))) for axis, value in zip("xyz", where)]
    return location + [("confidence", str(connector.confidence or 5))] + form_rows("links", rows)


def mesh_for_wire(volume: Volume) -> list[Any]:
    """``[[vertices], [faces]]`` with float coordinates kept as floats."""
    return [np.asarray(volume.vertices, dtype=float).tolist(), np.asarray(volume.faces, dtype=int).tolist()]
