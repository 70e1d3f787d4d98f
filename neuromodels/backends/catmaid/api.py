"""Small CATMAID request helpers shared by the resource declarations."""

from __future__ import annotations

import logging
from typing import Any, Iterable, Iterator, Sequence, TypeVar

import attrs
import orjson

from ...connection import Connection
from ...errors import NotFound
from ..resource import ConnectionState
from .converter import form_list

log = logging.getLogger("neuromodels")
T = TypeVar("T")


def pid(conn: Connection) -> int:
    """The connection's project id; CATMAID scopes almost every endpoint by it."""
    project = conn.project
    if isinstance(project, bool) or not isinstance(project, int):
        raise ValueError(f"a CATMAID connection needs project=<int>, not {project!r}")
    return project


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def get(conn: Connection, path: str, **params: Any) -> Any:
    return conn.transport.request("GET", f"/{pid(conn)}{path}", params=params or None)


def read(conn: Connection, path: str, data: Any) -> Any:
    """A POST that only reads (CATMAID takes long id lists in POST bodies): safe to retry."""
    return conn.transport.request("POST", f"/{pid(conn)}{path}", data=data, read=True)


def write(conn: Connection, path: str, data: Any = None, **kwargs: Any) -> Any:
    return conn.transport.request("POST", f"/{pid(conn)}{path}", data=data, **kwargs)


def state(known: Any) -> str:
    """The optimistic-locking ``state`` field: the edition times we hold, else nocheck."""
    if known is None:
        log.debug("CATMAID state: no edition time held, sending nocheck")
        return '{"nocheck": true}'
    return orjson.dumps(known).decode()


def neuron_ids(conn: Connection, skeleton_ids: Iterable[int]) -> dict[int, int]:
    """Skeleton id -> neuron id, in bulk (``neurons/from-models``); unknown ids are absent."""
    skids = list(dict.fromkeys(skeleton_ids))
    result: dict[int, int] = {}
    for part in chunks(skids, 2000):
        body = read(conn, "/neurons/from-models", form_list("model_ids", part))
        result.update({int(k): int(v) for k, v in body.items()})
    return result


def require_neuron_ids(conn: Connection, skeleton_ids: Iterable[int]) -> dict[int, int]:
    skids = list(skeleton_ids)
    mapping = neuron_ids(conn, skids)
    missing = [s for s in skids if s not in mapping]
    if missing:
        raise NotFound(f"no neuron for skeleton(s) {missing[:10]}", missing=missing)
    return mapping


def annotation_index(conn: Connection) -> dict[str, int]:
    """Every annotation name -> id in the project (``annotations/?simple=true``)."""
    body = get(conn, "/annotations/", simple="true")
    return {a["name"]: int(a["id"]) for a in body.get("annotations", [])}


@attrs.define
class CatmaidState(ConnectionState):
    """What a CATMAID connection reads once: each project's relation ids."""

    relations: dict[int, dict[str, int]] = attrs.field(factory=dict)


def relation_ids(conn: Connection) -> dict[str, int]:
    """Connector relation name -> the project's numeric relation id, read once per connection."""
    state = CatmaidState.of(conn)
    project = pid(conn)
    if project not in state.relations:
        body = get(conn, "/connectors/types/")
        state.relations[project] = {row["relation"]: int(row["relation_id"]) for row in body}
    return state.relations[project]


def sync_annotations(conn: Connection, before: Iterable[str], after: Iterable[str], *, target: tuple[str, int],
                     entity: int) -> None:
    """Add the annotation names new in ``after`` to ``target`` (``("skeleton_ids", skid)`` or
    ``("entity_ids", id)``) and remove the names gone since ``before`` from ``entity``."""
    added, removed = sorted(set(after) - set(before)), sorted(set(before) - set(after))
    if added:
        write(conn, "/annotations/add", form_list(target[0], [target[1]]) + form_list("annotations", added))
    if removed:
        index = annotation_index(conn)
        ids = [index[name] for name in removed if name in index]
        if ids:
            write(conn, "/annotations/remove", form_list("annotation_ids", ids) + form_list("entity_ids", [entity]))
