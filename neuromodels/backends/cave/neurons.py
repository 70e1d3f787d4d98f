"""CAVE neurons: a root id of the chunked graph is a neuron; its nodes are the skeleton
service's skeleton (nanometres, ``node_id`` = vertex index, the soma tagged ``soma``).

Which roots: ``supervoxels=`` (the roots they belong to), ``latest_of=`` (what roots became
through later edits), ``lineage_of=`` (every root of their edit history), each at
``timestamp=`` (default: now). ``extra`` holds ``created`` (when the root was made) and
``latest`` (whether no edit has replaced it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterator, Mapping, Sequence

from ...connection import Connection
from ...models import Neuron
from ...transport import parse_json
from ...core.backend import Filter, as_list, segment
from ...core.capabilities import BulkFetch, List, LoadNodes
from . import converter as cv
from . import services as sv

#: The skeleton version asked for (the skeleton service's current one).
SKELETON_VERSION = 4
WHICH = ("supervoxels", "latest_of", "lineage_of")


def graph_path(conn: Connection, rest: str) -> str:
    table = sv.datastack(conn).pcg_table
    if not table:
        raise ValueError("this datastack has no chunked graph (its segmentation is not graphene://)")
    return f"/segmentation/api/v1/table/{segment(table)}/{rest}"


def _at(conn: Connection, modifiers: Mapping[str, Any]) -> dt.datetime:
    """The collection's ``timestamp=``, else the connection's, else now."""
    value = modifiers.get("timestamp", conn.options.get("timestamp"))
    return sv.timestamp(value) if value is not None else dt.datetime.now(dt.timezone.utc)


class CaveNeuron(BulkFetch[Neuron], List[Neuron], LoadNodes[Neuron]):
    endpoints = {
        "fetch": "GET /segmentation/api/v1/table/{pcg}/valid_nodes, POST .../is_latest_roots and .../root_timestamps",
        "list": "POST .../roots_binary (supervoxels=), POST .../lineage_graph_multiple (latest_of=, lineage_of=)",
        "nodes": "GET /skeletoncache/api/v1/{datastack}/async/get_skeleton/4/{root}/flatdict",
    }
    filters = {
        "ids": Filter("ids", (int,), "root ids", many=True),
        "supervoxels": Filter("supervoxels", (int,), "the roots these supervoxels belong to", many=True),
        "latest_of": Filter("latest_of", (int,), "the roots these roots became (themselves when not edited since)",
                            many=True),
        "lineage_of": Filter("lineage_of", (int,), "every root in these roots' edit history", many=True),
        "timestamp": Filter("timestamp", (object,), "the moment the roots are for (default: now)",
                            check=sv.check_timestamp),
    }
    context_modifiers = frozenset({"timestamp"})
    fetch_options = {"nodes": True}
    list_options = {"nodes": False}
    not_supported = {
        "create": "roots are made by proofreading edits in the chunked graph, not uploaded",
        "update": "a root never changes: an edit makes new roots (see latest_of=)",
        "delete": "roots are never deleted; edits supersede them",
        "measure": "CAVE's skeleton service gives skeletons, not morphometry",
    }

    def check_modifiers(self, conn: Connection, modifiers: Mapping[str, Any]) -> None:
        super().check_modifiers(conn, modifiers)
        given = [k for k in WHICH if k in modifiers]
        if len(given) != 1 and "ids" not in modifiers:
            raise ValueError("CAVE cannot list every root: give one of supervoxels=, latest_of=, lineage_of= (or ids=)")

    def fetch_many(self, conn: Connection, ids: Sequence[Any], context: Mapping[str, Any], **options: Any) -> dict[Any, Neuron]:
        if not ids:
            return {}
        ids = [int(i) for i in ids]
        roots = sv.services(conn).request("GET", graph_path(conn, "valid_nodes"), json={"node_ids": ids},
                                          params={"end_timestamp": cv.epoch(_at(conn, context))},
                                          parse=lambda r: {int(i) for i in parse_json(r)["valid_roots"]})
        found = self._neurons(conn, [i for i in ids if i in roots], context)
        if options.get("nodes", True):
            self.load_nodes(conn, found)
        return {n.id: n for n in found}

    def _neurons(self, conn: Connection, roots: list[int], modifiers: Mapping[str, Any]) -> list[Neuron]:
        """Neurons for existing roots, with when each was made and whether it is still latest."""
        if not roots:
            return []
        at = {"timestamp": cv.epoch(_at(conn, modifiers))}
        latest: Any = sv.services(conn).request("POST", graph_path(conn, "is_latest_roots"), json={"node_ids": roots},
                                           params=at, read=True)
        states = sv.services(conn).request("POST", graph_path(conn, "root_timestamps"), json={"node_ids": roots},
                                           read=True, parse=lambda r: cv.root_states(latest, parse_json(r), roots))
        return [Neuron(id=r, name=str(r), extra=state) for r, state in zip(roots, states)]

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, **options: Any) -> Iterator[Sequence[Neuron]]:
        at = cv.epoch(_at(conn, modifiers))
        if "supervoxels" in modifiers:
            svs = [int(s) for s in as_list(modifiers["supervoxels"])]
            found = sv.services(conn).request("POST", graph_path(conn, "roots_binary"), data=cv.uint64_bytes(svs),
                                              params={"timestamp": at}, read=True,
                                              parse=lambda r: cv.roots_of(r, len(svs)))
            roots = [r for r in dict.fromkeys(found) if r]
        else:
            key = "latest_of" if "latest_of" in modifiers else "lineage_of"
            asked = [int(r) for r in as_list(modifiers[key])]
            graph = sv.services(conn).request("POST", graph_path(conn, "lineage_graph_multiple"), json={"root_ids": asked},
                                              params={"timestamp_future": at}, read=True,
                                              parse=lambda r: cv.lineage_of(parse_json(r)))
            made = graph.made
            parents = {p for p, c in graph.links if c in made and made[c] <= at}
            roots = [r for r in sorted(made) if made[r] <= at and (key == "lineage_of" or r not in parents)]
        neurons = self._neurons(conn, roots[:limit] if limit else roots, modifiers)
        if options.get("nodes"):
            self.load_nodes(conn, neurons)
        yield neurons

    def load_nodes(self, conn: Connection, neurons: Sequence[Neuron]) -> None:
        """The skeletons, one request each, in parallel."""
        name = segment(sv.datastack_name(conn))
        skeletons = sv.services(conn).map_values(
            lambda n: sv.services(conn).request(
                "GET", f"/skeletoncache/api/v1/{name}/async/get_skeleton/{SKELETON_VERSION}/{int(n.id)}/flatdict",
                params={"verbose_level": 0}, parse=cv.skeleton_of), list(neurons))
        for neuron, skeleton in zip(neurons, skeletons):
            neuron.nodes, neuron.tags = skeleton.nodes, {"soma": skeleton.soma}
