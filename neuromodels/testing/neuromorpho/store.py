"""Schema and seed data of the bundled NeuroMorpho.org: a few dozen synthetic neurons."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

SCHEMA = """
CREATE TABLE IF NOT EXISTS neuron (id INTEGER PRIMARY KEY, name TEXT UNIQUE, record TEXT NOT NULL, swc TEXT);
"""
FIELDS = ["neuron_id", "neuron_name", "archive", "age_scale", "gender", "age_classification", "brain_region",
          "cell_type", "species", "strain", "scientific_name", "stain", "experiment_condition", "protocol",
          "slicing_direction", "reconstruction_software", "objective_type", "original_format", "domain", "attributes",
          "magnification", "upload_date", "deposition_date", "shrinkage_reported", "shrinkage_corrected",
          "reported_value", "reported_xy", "reported_z", "corrected_value", "corrected_xy", "corrected_z",
          "soma_surface", "surface", "volume", "slicing_thickness", "min_age", "max_age", "min_weight", "max_weight",
          "png_url", "reference_pmid", "reference_doi", "physical_Integrity"]
SPECIES = [("mouse", "Mus musculus", "C57BL/6"), ("rat", "Rattus norvegicus", "Wistar"),
           ("human", "Homo sapiens", "Not reported"), ("monkey", "Macaca mulatta", "Rhesus"),
           ("drosophila melanogaster", "Drosophila melanogaster", "Canton-S")]
REGIONS = [["neocortex", "occipital", "layer 6"], ["hippocampus", "CA1"], ["neocortex", "prefrontal", "layer 3"],
           ["cerebellum", "cortex"], ["antennal lobe"]]
CELLS = [["principal cell", "pyramidal"], ["interneuron", "basket"], ["Purkinje"], ["projection neuron"]]
ARCHIVES = ["Wearne_Hof", "Scanziani", "Smith Lab", "Jones"]
MISSING_SWC = {1003, 1029}  # their files answer with an HTML page, as the real file server may


def synthetic_swc(seed: int, n: int) -> str:
    """An SWC as NeuroMorpho's CNG files look: # header, 3-point soma, ragged padding."""
    rng = np.random.default_rng(seed)
    lines = ["# Original file synthetic.swc edited using StdSwc version 1.21.",
             "#  Irregularities and fixes documented in synthetic.swc.std.", "#"]
    r = round(float(rng.uniform(4, 9)), 3)
    lines += [f"  1 1   0.00   0.00   0.00 {r} -1", f"  2 1   0.00  {-r:.2f}   0.00 {r}  1",
              f"  3 1   0.00   {r:.2f}   0.00 {r}  1"]
    positions = {1: np.zeros(3)}
    for i in range(4, n + 1):
        parent = i - 1 if (i > 4 and rng.random() > 0.1) else int(rng.integers(1, i))
        if parent in (2, 3):
            parent = 1
        pos = positions[parent] + rng.normal(scale=3.0, size=3)
        positions[i] = pos
        lines.append(f"{i:>3} 3 {pos[0]:7.2f} {pos[1]:7.2f} {pos[2]:7.2f} {float(rng.uniform(0.2, 1.2)):.2f} {parent:>3}")
    return "\n".join(lines) + "\n"


def seed(cur: Any) -> None:
    if cur.execute("SELECT COUNT(*) FROM neuron").fetchone()[0]:
        return
    rng = np.random.default_rng(7)
    for k in range(36):
        nid = 1000 + k
        species, scientific, strain = SPECIES[k % len(SPECIES)]
        archive = ARCHIVES[k % len(ARCHIVES)]
        name = f"{['cnic', 'TypeA', 'smith', 'jx'][k % 4]}_{k:03d}"
        nodes = int(rng.integers(40, 400))
        record = {
            "neuron_id": nid, "neuron_name": name, "archive": archive, "note": "", "age_scale": "Day",
            "gender": ["Male", "Female", "Male/Female"][k % 3], "age_classification": ["young", "adult", "old"][k % 3],
            "brain_region": REGIONS[k % len(REGIONS)], "cell_type": CELLS[k % len(CELLS)], "species": species,
            "strain": strain, "scientific_name": scientific, "stain": "biocytin", "experiment_condition": ["Control"],
            "protocol": "in vitro", "slicing_direction": "coronal", "reconstruction_software": "Neurolucida",
            "objective_type": "oil", "original_format": f"{name}.asc", "domain": "Dendrites, Soma, Axon",
            "attributes": "Diameter, 3D, Angles", "magnification": "100", "upload_date": "2013-01-25",
            "deposition_date": "2012-12-05", "shrinkage_reported": "Not reported", "shrinkage_corrected": "Not Corrected",
            "reported_value": None, "reported_xy": None, "reported_z": None, "corrected_value": None,
            "corrected_xy": None, "corrected_z": None, "soma_surface": f"{rng.uniform(300, 900):.2f}",
            "surface": f"{rng.uniform(3000, 9000):.2f}", "volume": f"{rng.uniform(1000, 5000):.2f}",
            "slicing_thickness": "300", "min_age": f"{float(k % 30 + 10):.1f}", "max_age": f"{float(k % 30 + 20):.1f}",
            "min_weight": "Not reported", "max_weight": "Not reported",
            "png_url": f"http://neuromorpho.org/images/imageFiles/{archive}/{name}.png",
            "reference_pmid": [str(10000000 + k)], "reference_doi": [f"10.0000/synthetic.{k}"],
            "physical_Integrity": "Dendrites & Axon Moderate",
        }
        swc = None if nid in MISSING_SWC else synthetic_swc(nid, nodes)
        if swc is not None and k % 5 == 0:
            swc = swc.replace("\n", "\r\n")  # some files come with CRLF line ends
        cur.execute("INSERT INTO neuron VALUES (?, ?, ?, ?)", (nid, name, json.dumps(record), swc))
