"""Morphometry (one neuron, all, select, fields) and persistence vectors, computed from the SWC
files of the bundled neurons."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from werkzeug.wrappers import Request, Response

from ...harness import route
from ..base import BadQuery, NeuroMorphoBase, error, reply

#: L-Measure's quantities as the API names them (mixed casing as the real server's).
MEASURES = ["surface", "volume", "n_bifs", "n_branch", "width", "height", "depth", "diameter", "eucDistance",
            "pathDistance", "branch_Order", "contraction", "fragmentation", "partition_asymmetry", "pk_classic",
            "bif_ampl_local", "fractal_Dim", "soma_Surface", "n_stems", "bif_ampl_remote", "length"]
#: What a morphometry select accepts and sorts by.
MEASURE_FIELDS = ["neuron_id", "neuron_name", *MEASURES]
HAL = "application/hal+json;charset=UTF-8"


def tree(swc: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node positions, radii and parent rows (-1 at the root) of an SWC text."""
    rows = [line.split() for line in swc.splitlines() if line.strip() and not line.startswith("#")]
    if not rows:
        return np.zeros((1, 3)), np.ones(1), np.array([-1])
    ids = {int(r[0]): i for i, r in enumerate(rows)}
    xyz = np.array([[float(r[2]), float(r[3]), float(r[4])] for r in rows])
    radius = np.array([float(r[5]) for r in rows])
    parent = np.array([ids.get(int(r[6]), -1) for r in rows])
    return xyz, radius, parent


def path_distances(xyz: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Distance along the tree from the root to every node (parents come first in these files)."""
    out = np.zeros(len(xyz))
    for i, p in enumerate(parent):
        if p >= 0:
            out[i] = out[p] + float(np.linalg.norm(xyz[i] - xyz[p]))
    return out


def measurements(record: dict[str, Any], swc: str) -> dict[str, str]:
    """One neuron's morphometry, as strings (as the real server's values are, most likely)."""
    xyz, radius, parent = tree(swc)
    children = np.bincount(parent[parent >= 0], minlength=len(xyz))
    bifurcations = int((children >= 2).sum())
    path = path_distances(xyz, parent)
    extent = xyz.max(axis=0) - xyz.min(axis=0)
    euclid = float(np.linalg.norm(xyz - xyz[0], axis=1).max())
    values = {"surface": float(record["surface"]), "volume": float(record["volume"]), "n_bifs": bifurcations,
              "n_branch": 2 * bifurcations + 1, "width": extent[0], "height": extent[1], "depth": extent[2],
              "diameter": 2 * float(radius.mean()), "eucDistance": euclid, "pathDistance": float(path.max()),
              "branch_Order": bifurcations, "contraction": euclid / float(path.max()) if path.max() else 1.0,
              "fragmentation": len(xyz), "partition_asymmetry": 0.5, "pk_classic": 2.0, "bif_ampl_local": 60.0,
              "fractal_Dim": 1.05, "soma_Surface": float(record["soma_surface"]), "n_stems": int(children[0]),
              "bif_ampl_remote": 55.0, "length": 3.0 * len(xyz)}  # as before: the docs' examples show it
    return {k: (str(v) if isinstance(v, int) else f"{v:.2f}") for k, v in values.items()}


def persistence_vector(swc: str) -> dict[str, Any]:
    """A 100-value summary of the path distances (the shape of NeuroMorpho's pvec, not its maths)."""
    xyz, _, parent = tree(swc)
    path = path_distances(xyz, parent)
    top = float(path.max()) or 1.0
    density, _ = np.histogram(path, bins=100, range=(0.0, top))
    coefficients = np.cumsum(density[::-1])[::-1] / max(len(path), 1)
    return {"scaling_factor": 1.0, "distance": round(top, 4), "coefficients": [round(float(c), 5) for c in coefficients]}


class MeasureViews(NeuroMorphoBase):
    def measured(self) -> list[dict[str, Any]]:
        """Every neuron with a file: its morphometry record (neuron_name, neuron_id, measures)."""
        out = []
        for record, swc in self.db.read("SELECT record, swc FROM neuron WHERE swc IS NOT NULL ORDER BY id"):
            meta = json.loads(record)
            out.append({"neuron_name": meta["neuron_name"], "neuron_id": meta["neuron_id"], **measurements(meta, swc)})
        return out

    @staticmethod
    def measure_links(base: str, row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "_links": {"self": {"href": f"{base}/api/morphometry/id/{row['neuron_id']}"}}}

    def one_measured(self, request: Request, where: str, value: Any) -> Response:
        rows = self.db.read(f"SELECT record, swc FROM neuron WHERE {where} = ?", (value,))
        if not rows or rows[0][1] is None:
            return error(404, "Requested neuron not found", request.path)
        meta = json.loads(rows[0][0])
        row = {"neuron_name": meta["neuron_name"], "neuron_id": meta["neuron_id"], **measurements(meta, rows[0][1])}
        return reply(self.measure_links(request.host_url.rstrip("/"), row), ctype=HAL)

    @route("/api/morphometry/id/<int:nid>")
    def morphometry(self, request: Request, user: None, nid: int) -> Response:
        return self.one_measured(request, "id", nid)

    @route("/api/morphometry/name/<name>")
    def morphometry_by_name(self, request: Request, user: None, name: str) -> Response:
        return self.one_measured(request, "name", name)

    @route("/api/morphometry")
    def morphometry_all(self, request: Request, user: None) -> Response:
        return self.hal(request, self.measured(), "measurements", MEASURE_FIELDS, link=self.measure_links)

    @route("/api/morphometry/select")
    def morphometry_select(self, request: Request, user: None) -> Response:
        rows = self.filtered(self.clauses(request), self.measured(), MEASURE_FIELDS)
        return self.hal(request, rows, "measurements", MEASURE_FIELDS, link=self.measure_links)

    @route("/api/morphometry/fields")
    def morphometry_fields(self, request: Request, user: None) -> Response:
        return reply({"Measurement Fields": MEASURE_FIELDS})  # the key is inferred

    @route("/api/morphometry/fields/<field>")
    def morphometry_values(self, request: Request, user: None, field: str) -> Response:
        if field not in MEASURE_FIELDS:
            raise BadQuery(f"Invalid field: {field}")
        return self.page_of_values(request, list(self.distinct(self.measured(), field)))

    def one_pvec(self, request: Request, where: str, value: Any) -> Response:
        rows = self.db.read(f"SELECT id, swc FROM neuron WHERE {where} = ?", (value,))
        if not rows or rows[0][1] is None:
            return error(404, "Requested neuron not found", request.path)
        nid = rows[0][0]
        body = {"neuron_id": nid, **persistence_vector(rows[0][1]),
                "_links": {"self": {"href": f"{request.host_url.rstrip('/')}/api/pvec/id/{nid}"}}}
        return reply(body, ctype=HAL)

    @route("/api/pvec/id/<int:nid>")
    def pvec(self, request: Request, user: None, nid: int) -> Response:
        return self.one_pvec(request, "id", nid)

    @route("/api/pvec/name/<name>")
    def pvec_by_name(self, request: Request, user: None, name: str) -> Response:
        return self.one_pvec(request, "name", name)
