"""CATMAID's node lookups (see :mod:`neuromodels.nodes`): bulk endpoints where CATMAID has them
(``treenodes/compact-detail``, ``nodes/location``, ``node/user-info``, ``labels-for-nodes``,
``node/list``), one request per node only for ``treenodes/{id}/info``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd

from ...connection import Connection
from ...formats.times import iso_series
from ...core.backend import required
from ...core.errors import NotFound, ProtocolError
from ...formats.mesh import inside
from ...models import Neuron
from ..nodes import NodeQueries
from . import api, converter as cv
from .api import chunks
from .common import _box
from .converter import form_list

#: Columns of a node row (treenodes/compact-detail and node/list).
NODE_COLUMNS = ["node_id", "parent_id", "x", "y", "z", "confidence", "radius", "skeleton_id", "edition_time", "creator_id"]
#: node/list answers at most this many nodes per box (CATMAID's default limit); a full box is split.
BOX_SPLITS = 3


def node_frame(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """Rows ``[id, parent, x, y, z, confidence, radius, skeleton, edition epoch, user]``."""
    try:
        table = pd.DataFrame([list(r[:10]) for r in rows], columns=NODE_COLUMNS)
        table["parent_id"] = table["parent_id"].fillna(-1)
        for column in ("node_id", "parent_id", "confidence", "skeleton_id", "creator_id"):
            table[column] = table[column].astype("int64")
        for column in ("x", "y", "z", "radius"):
            table[column] = table[column].astype(float)
        table["edition_time"] = pd.to_datetime(table["edition_time"].astype(float), unit="s", utc=True)
    except (TypeError, ValueError, IndexError) as e:
        raise ProtocolError(f"CATMAID sent node rows of an unexpected shape: {e}") from None
    return table


def _missing(wanted: Sequence[int], found: Any, what: str = "node") -> None:
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound(f"no {what}(s) {missing[:10]} on the server", missing=missing)


def _times(values: Any) -> Any:
    return iso_series(list(values))


class CatmaidNodeQueries(NodeQueries[Neuron]):
    """Mixed into :class:`~neuromodels.backends.catmaid.neurons.CatmaidNeuron`, which provides these:"""

    if TYPE_CHECKING:
        def load(self, conn: Connection, skids: Sequence[int], *, nodes: bool = True) -> dict[int, Neuron]: ...

    def _compact(self, conn: Connection, form: list[tuple[str, str]]) -> pd.DataFrame:
        return node_frame(api.read(conn, "/treenodes/compact-detail", form))

    def skeletons(self, conn: Connection, node_ids: Sequence[int]) -> pd.Series:
        parts = conn.transport.map_values(lambda part: self._compact(conn, form_list("treenode_ids", part)),
                                          list(chunks(list(node_ids), 2000)))
        found = dict(zip(pd.concat(parts)["node_id"].tolist(), pd.concat(parts)["skeleton_id"].tolist()))
        _missing(node_ids, found)
        return pd.Series([found[i] for i in node_ids], index=pd.Index(node_ids, name="node_id"),
                         name="skeleton_id", dtype="int64")

    def info(self, conn: Connection, node_ids: Sequence[int]) -> pd.DataFrame:
        answers = conn.transport.map_values(lambda n: api.get(conn, f"/treenodes/{n}/info"), list(node_ids),
                                            desc="node info")
        return pd.DataFrame([{"node_id": n, "skeleton_id": int(a["skeleton_id"]), "skeleton_name": a["skeleton_name"],
                              "neuron_id": int(a["neuron_id"]), "neuron_name": a["neuron_name"]}
                             for n, a in zip(node_ids, answers)])

    def locations(self, conn: Connection, node_ids: Sequence[int]) -> pd.DataFrame:
        where: dict[int, list[float]] = {}
        for part in chunks(list(node_ids), 2000):
            for row in api.read(conn, "/nodes/location", form_list("node_ids", part)):
                where[int(row[0])] = [float(v) for v in row[1:4]]
        _missing(node_ids, where)  # CATMAID leaves unknown ids out of its answer
        return pd.DataFrame([[i, *where[i]] for i in node_ids], columns=["node_id", "x", "y", "z"])

    def find(self, conn: Connection, tags: Sequence[str], neurons: Sequence[int], ids: Sequence[int]) -> pd.DataFrame:
        form = form_list("label_names", list(tags)) + form_list("skeleton_ids", list(neurons))
        form += form_list("treenode_ids", list(ids))
        return self._compact(conn, form)

    def details(self, conn: Connection, node_ids: Sequence[int]) -> pd.DataFrame:
        body: dict[str, Any] = {}
        for part in chunks(list(node_ids), 2000):
            body.update(api.read(conn, "/node/user-info", form_list("node_ids", part)))
        _missing(node_ids, {int(k) for k in body})
        rows = [{"node_id": i, "creator_id": int(body[str(i)]["user"]), "editor_id": int(body[str(i)]["editor"]),
                 "creation_time": body[str(i)]["creation_time"], "edition_time": body[str(i)]["edition_time"],
                 "reviewer_ids": [int(r) for r in body[str(i)].get("reviewers", [])],
                 "review_times": list(iso_series(body[str(i)].get("review_times", [])))}
                for i in node_ids]
        table = pd.DataFrame(rows, columns=["node_id", "creator_id", "editor_id", "creation_time", "edition_time",
                                            "reviewer_ids", "review_times"])
        table["creation_time"], table["edition_time"] = _times(table["creation_time"]), _times(table["edition_time"])
        return table

    def table(self, conn: Connection, neurons: Sequence[int]) -> pd.DataFrame:
        loaded = self.load(conn, list(neurons))
        _missing(neurons, loaded, "skeleton")
        parts = []
        for skid in neurons:
            nodes = required(loaded[skid].nodes, "its nodes").copy()  # load() reads them
            nodes.insert(0, "neuron", skid)
            by_node: dict[int, list[str]] = {}
            for tag, tagged in (loaded[skid].tags or {}).items():
                for n in tagged:
                    by_node.setdefault(int(n), []).append(tag)
            nodes["tags"] = [sorted(by_node.get(int(n), [])) for n in nodes["node_id"]]
            parts.append(nodes)
        table = pd.concat(parts, ignore_index=True)
        extra = self.details(conn, table["node_id"].astype("int64").tolist())
        extra = extra.drop(columns=[c for c in ("creator_id", "edition_time") if c in table.columns])
        return table.merge(extra, on="node_id", how="left")

    def labels(self, conn: Connection) -> pd.DataFrame:
        rows = api.get(conn, "/labels/stats")
        table = pd.DataFrame([list(r[:4]) for r in rows], columns=["label_id", "tag", "skeleton_id", "node_id"])
        for column in ("label_id", "skeleton_id", "node_id"):
            table[column] = table[column].astype("int64")
        return table

    def tags(self, conn: Connection, node_ids: Sequence[int], connectors: bool) -> dict[int, list[str]]:
        key = "connector_ids" if connectors else "treenode_ids"
        result: dict[int, list[str]] = {}
        for part in chunks(list(node_ids), 1000):  # comma-joined in one value, as CATMAID reads it
            body = api.read(conn, "/labels-for-nodes", {key: ",".join(str(i) for i in part)})
            result.update({int(k): list(v) for k, v in body.items()})
        return result

    def in_box(self, conn: Connection, box: Any) -> pd.DataFrame:
        lo, hi = _box(box)
        rows: dict[int, list[Any]] = {}
        self._box_rows(conn, np.asarray(lo), np.asarray(hi), rows, BOX_SPLITS)
        table = node_frame(list(rows.values()))
        inside_box = ((table[["x", "y", "z"]].to_numpy() >= lo) & (table[["x", "y", "z"]].to_numpy() <= hi)).all(axis=1)
        return table[inside_box].sort_values("node_id").reset_index(drop=True)

    def _box_rows(self, conn: Connection, lo: np.ndarray, hi: np.ndarray, rows: dict[int, list[Any]], splits: int) -> None:
        form = [("left", repr(float(lo[0]))), ("right", repr(float(hi[0]))), ("top", repr(float(lo[1]))),
                ("bottom", repr(float(hi[1]))), ("z1", repr(float(lo[2]))), ("z2", repr(float(hi[2]))),
                ("atnid", "-1"), ("labels", "false")]
        body = api.read(conn, "/node/list", form)
        if len(body) > 3 and body[3] and splits > 0:  # the server's limit was reached: eight smaller boxes
            middle = (lo + hi) / 2
            for corner in range(8):
                pick = np.array([(corner >> k) & 1 for k in range(3)], dtype=bool)
                self._box_rows(conn, np.where(pick, middle, lo), np.where(pick, hi, middle), rows, splits - 1)
            return
        if len(body) > 3 and body[3]:
            raise ValueError("this box holds more nodes than CATMAID lists at once even split 512 ways; ask for a "
                             "smaller box")
        rows.update({int(r[0]): r for r in body[0]})

    def in_volume(self, conn: Connection, volume: Any) -> pd.DataFrame:
        vid = api.volume_id(conn, volume)
        mesh = cv.volume_from_detail(api.get(conn, f"/volumes/{vid}/"))
        if mesh.vertices is None or mesh.faces is None or not len(mesh.faces):
            raise ValueError(f"volume {vid} has no mesh")
        lo, hi = mesh.vertices.min(axis=0), mesh.vertices.max(axis=0)
        table = self.in_box(conn, (*lo, *hi))
        keep = inside(table[["x", "y", "z"]].to_numpy(dtype=float), mesh.vertices, mesh.faces)
        return table[keep].reset_index(drop=True)
