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
from ...wire import make_converter, record
from ...resources import Connector, ImageInstance, Link, Neuron, Project, Volume
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


# -- connectors ----------------------------------------------------------------------------------
def connector_from_detail(body: Mapping[str, Any]) -> Connector:
    """``GET /{pid}/connectors/{cid}/``."""
    links = [
        Link(p["partner_id"], p["relation_name"], p.get("skeleton_id"), p.get("confidence"))
        for p in body.get("partners", [])
    ]
    return Connector(
        id=body["connector_id"], x=body["x"], y=body["y"], z=body["z"],
        confidence=body.get("confidence"), links=links,
        extra={"link_ids": [p.get("link_id") for p in body.get("partners", [])]},
    )


def connectors_from_list(body: Mapping[str, Any], relation_names: Mapping[int, str]) -> list[Connector]:
    """``POST /{pid}/connectors/`` with partners: rows plus ``partners`` by connector id."""
    partners = body.get("partners") or {}
    result = []
    for row in body.get("connectors", []):
        cid = int(row[0])
        links = [
            Link(int(p[1]), relation_names.get(int(p[3]), str(p[3])), int(p[2]), int(p[4]))
            for p in partners.get(str(cid), [])
        ]
        result.append(
            Connector(id=cid, x=row[1], y=row[2], z=row[3], confidence=row[4], links=links,
                      extra={"creator_id": row[5], "editor_id": row[6]})
        )
    return result


# -- volumes -------------------------------------------------------------------------------------
def volumes_from_table(body: Mapping[str, Any]) -> list[Volume]:
    columns = body.get("columns") or []
    result = []
    for row in body.get("data") or []:
        record = dict(zip(columns, row))
        result.append(
            Volume(
                id=record.pop("id"),
                name=record.pop("name", None),
                comment=record.pop("comment", None),
                extra=record,
            )
        )
    return result


def volume_from_detail(body: Mapping[str, Any]) -> Volume:
    vertices, faces = parse_indexed_triangle_set(body.get("mesh") or "")
    known = ("id", "name", "comment", "mesh")
    return Volume(
        id=body["id"], name=body.get("name"), comment=body.get("comment"),
        vertices=vertices, faces=faces, extra={k: v for k, v in body.items() if k not in known},
    )


def mesh_for_wire(volume: Volume) -> list[Any]:
    """``[[vertices], [faces]]`` with float coordinates kept as floats."""
    return [np.asarray(volume.vertices, dtype=float).tolist(), np.asarray(volume.faces, dtype=int).tolist()]
