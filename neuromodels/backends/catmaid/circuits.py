"""CATMAID's circuit queries (see :class:`neuromodels.backends.circuits.CircuitsMixin`):
``skeletons/connectivity`` with link types, ``graph/circlesofhell``, ``graph/dps`` with
``skeletons/confidence-compartment-subgraph``, ``skeletons/connectivity-counts`` and
``connector/list/many_to_many``; partners within a volume through ``connectors/``."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from ...connection import Connection
from ...core.capabilities import List
from ...core.errors import ProtocolError
from ...formats.mesh import inside
from ...models import Connector, Neuron
from ..circuits import Circuits
from . import api, converter as cv
from .converter import form_list

#: partners() kind -> (CATMAID link type, which is also its key in the answer, this side's relation,
#: the partner's relation)
KINDS = {
    "upstream": ("incoming", "postsynaptic_to", "presynaptic_to"),
    "downstream": ("outgoing", "presynaptic_to", "postsynaptic_to"),
    "gapjunction": ("gapjunction", "gapjunction_with", "gapjunction_with"),
    "attachment": ("attachment", "attached_to", "close_to"),
    "abutting": ("abutting", "abutting", "abutting"),
    "tightjunction": ("tightjunction", "tightjunction_with", "tightjunction_with"),
    "desmosome": ("desmosome", "desmosome_with", "desmosome_with"),
    "close_object": ("close_object", "close_to", "close_to"),
}
PARTNER_COLUMNS = ["neuron", "skeleton_id", "direction", "n_synapses", "name", "n_nodes"]
BETWEEN_COLUMNS = ["connector_id", "connector_x", "connector_y", "connector_z"] + [
    f"{c}{side}{suffix}" for side in ("1", "2") for c, suffix in (
        ("node", "_id"), ("skeleton", "_id"), ("confidence", ""), ("creator", "_id"), ("node", "_x"), ("node", "_y"),
        ("node", "_z"))]


def _named(conn: Connection, table: pd.DataFrame) -> pd.DataFrame:
    names = api.neuron_names(conn, table["skeleton_id"].tolist()) if len(table) else {}
    table["name"] = [names.get(int(s)) for s in table["skeleton_id"]]
    return table


class CatmaidCircuits(Circuits[Neuron]):
    """Mixed into :class:`~neuromodels.backends.catmaid.neurons.CatmaidNeuron`."""

    def partners_of(self, conn: Connection, skids: Sequence[int], kinds: Sequence[str], min_synapses: int,
                    volume: Any) -> pd.DataFrame:
        if volume is not None:
            return self._partners_in_volume(conn, skids, kinds, min_synapses, volume)
        form = form_list("source_skeleton_ids", list(skids)) + [("boolean_op", "OR"), ("with_nodes", "false")]
        form += form_list("link_types", [KINDS[k][0] for k in kinds])
        body = api.read(conn, "/skeletons/connectivity", form)
        rows = []
        try:
            for kind in kinds:
                for partner, entry in (body.get(KINDS[kind][0]) or {}).items():
                    for source, counts in entry["skids"].items():
                        rows.append((int(source), int(partner), kind, int(sum(counts)), None,
                                     int(entry.get("num_nodes") or 0)))
        except (AttributeError, KeyError, TypeError, ValueError) as e:
            raise ProtocolError(f"CATMAID's connectivity answer has an unexpected shape: {e!r}") from None
        return self._frame(conn, rows, min_synapses, skids)

    def _frame(self, conn: Connection, rows: list[tuple[Any, ...]], min_synapses: int, skids: Sequence[int]) -> pd.DataFrame:
        table = pd.DataFrame(rows, columns=PARTNER_COLUMNS)
        table = table[table["n_synapses"] >= min_synapses]
        order = {s: k for k, s in enumerate(skids)}
        table = table.assign(_order=table["neuron"].map(order)).sort_values(
            ["_order", "n_synapses", "skeleton_id"], ascending=[True, False, True], kind="stable").drop(columns="_order")
        table = table.reset_index(drop=True).astype({"neuron": "int64", "skeleton_id": "int64", "n_synapses": "int64",
                                                     "n_nodes": "int64"})
        return _named(conn, table)

    def _partners_in_volume(self, conn: Connection, skids: Sequence[int], kinds: Sequence[str], min_synapses: int,
                            volume: Any) -> pd.DataFrame:
        vid = api.volume_id(conn, volume)
        mesh = cv.volume_from_detail(api.get(conn, f"/volumes/{vid}/"))
        listing = conn.backend.resource(Connector).require(List)
        connectors: list[Any] = [c for page in listing.pages(conn, {"neuron": list(skids)}, None) for c in page]
        if not connectors or mesh.vertices is None or mesh.faces is None:
            return self._frame(conn, [], min_synapses, skids)
        where = np.array([[c.x, c.y, c.z] for c in connectors], dtype=float)
        kept = [c for c, ok in zip(connectors, inside(where, mesh.vertices, mesh.faces)) if ok]
        members = set(skids)
        counts: dict[tuple[int, int, str], int] = {}
        for c in kept:
            for kind in kinds:
                _, mine, theirs = KINDS[kind]
                for a in c.links or []:
                    if a.skeleton_id in members and a.relation == mine:
                        for b in c.links or []:
                            if b is not a and b.relation == theirs and b.skeleton_id != a.skeleton_id:
                                key = (int(a.skeleton_id), int(b.skeleton_id), kind)
                                counts[key] = counts.get(key, 0) + 1
        sizes = self._node_counts(conn, sorted({k[1] for k in counts}))
        rows = [(s, p, kind, n, None, sizes.get(p, 0)) for (s, p, kind), n in counts.items()]
        return self._frame(conn, rows, min_synapses, skids)

    def _node_counts(self, conn: Connection, skids: Sequence[int]) -> dict[int, int]:
        if not skids:
            return {}
        body = api.read(conn, "/skeletons/compact-detail", form_list("skeleton_ids", list(skids))
                        + [("with_connectors", "false"), ("with_tags", "false")])
        return {int(k): len(v[0]) for k, v in (body.get("skeletons") or {}).items()}

    def nth_partners(self, conn: Connection, skids: Sequence[int], n: int, min_pre: int, min_post: int) -> pd.DataFrame:
        form = [("n_circles", str(n)), ("min_pre", str(min_pre or -1)), ("min_post", str(min_post or -1))]
        body = api.read(conn, "/graph/circlesofhell", form + form_list("skeleton_ids", list(skids)))
        try:
            found, names = body[0], body[1]
            rows = [(int(s), names.get(str(s))) for s in found]
        except (IndexError, KeyError, TypeError, ValueError, AttributeError) as e:
            raise ProtocolError(f"CATMAID's circles-of-hell answer has an unexpected shape: {e!r}") from None
        table = pd.DataFrame(sorted(rows), columns=["skeleton_id", "name"])
        return table.astype({"skeleton_id": "int64"})

    def paths(self, conn: Connection, sources: Sequence[int], targets: Sequence[int], n_hops: int,
              min_synapses: int) -> list[list[int]]:
        form = [("n_hops", str(n_hops)), ("min_synapses", str(min_synapses))]
        on_paths = api.read(conn, "/graph/dps", form + form_list("sources", list(sources)) + form_list("targets", list(targets)))
        nodes = sorted({int(s) for s in on_paths} | set(sources) | set(targets))
        body = api.read(conn, "/skeletons/confidence-compartment-subgraph", form_list("skeleton_ids", nodes))
        graph: dict[int, list[int]] = {}
        for pre, post, counts in body.get("edges", []):
            if sum(counts) >= min_synapses and int(pre) != int(post):
                graph.setdefault(int(pre), []).append(int(post))
        ends, found = set(targets), []
        for source in sources:  # simple paths of at most n_hops edges, depth first
            stack: list[list[int]] = [[source]]
            while stack:
                path = stack.pop()
                for nxt in sorted(graph.get(path[-1], []), reverse=True):
                    if nxt in path:
                        continue
                    if nxt in ends:
                        found.append(path + [nxt])
                    if len(path) < n_hops and nxt not in ends:
                        stack.append(path + [nxt])
        return sorted(found, key=lambda p: (len(p), p))

    def link_counts(self, conn: Connection, skids: Sequence[int], sources: Sequence[str],
                    targets: Sequence[str]) -> pd.DataFrame:
        form = form_list("skeleton_ids", list(skids)) + form_list("source_relations", list(sources))
        body = api.read(conn, "/skeletons/connectivity-counts", form + form_list("target_relations", list(targets)))
        names = {str(k): v for k, v in (body.get("relations") or {}).items()}
        table = pd.DataFrame(0, index=pd.Index(list(skids), name="neuron"), columns=list(sources), dtype="int64")
        for skid, per_relation in (body.get("connectivity") or {}).items():
            for relation, count in per_relation.items():
                name = names.get(str(relation), str(relation))
                if int(skid) in table.index and name in table.columns:
                    table.loc[int(skid), name] = int(count)
        return table

    def connectors_between(self, conn: Connection, one: Sequence[int], two: Sequence[int], directional: bool) -> pd.DataFrame:
        def ask(a: Sequence[int], b: Sequence[int]) -> list[list[Any]]:
            form = [("relation", "presynaptic_to")] + form_list("skids1", list(a)) + form_list("skids2", list(b))
            rows: list[list[Any]] = api.read(conn, "/connector/list/many_to_many", form)
            return rows

        rows = ask(one, two) + ([] if directional else ask(two, one))
        flat = []
        try:
            for r in rows:
                flat.append([r[0], *r[1], *r[2:6], *r[6], *r[7:11], *r[11]])
        except (IndexError, TypeError) as e:
            raise ProtocolError(f"CATMAID's many_to_many answer has an unexpected shape: {e!r}") from None
        table = pd.DataFrame(flat, columns=BETWEEN_COLUMNS)
        ints = [c for c in BETWEEN_COLUMNS if not c.endswith(("_x", "_y", "_z"))]
        return table.astype({c: "int64" for c in ints}).drop_duplicates().reset_index(drop=True)
