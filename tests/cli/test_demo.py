"""``neuromodels demo``: every backend's part, in order, offline, in a few seconds."""

import subprocess
import sys
import time

import pandas as pd
import pytest

from neuromodels.demo import cable_length, cable_lengths, parts, run, synthetic_neuron


def test_demo_shows_every_backend_in_order_offline():
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "neuromodels.cli", "demo"], capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin", "NO_PROXY": "*",
                                            "HTTP_PROXY": "http://192.0.2.1:9", "HTTPS_PROXY": "http://192.0.2.1:9"})
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    titles = [line.split()[1] for line in out.splitlines() if line.startswith("== ")]
    assert titles == ["CATMAID", "Cytomine", "NeuroMorpho.org", "Clio", "CAVE"]
    urls = [word for word in out.split() if word.startswith("http")]
    assert urls and all(u.startswith("http://127.0.0.1:") for u in urls)
    assert "Traceback" not in proc.stderr and elapsed < 60


@pytest.fixture(scope="module")
def shown():
    lines = {}
    for name in parts():
        out = []
        run([name], print_=out.append)
        lines[name] = "\n".join(out)
    return lines


def test_catmaid_part(shown):
    text = shown["catmaid"]
    assert "Created 6 neurons" in text and "the server now calls it 'KC left (renamed)'" in text
    assert "cable (µm)" in text and "PN left #0 -> LN left #3 through connector" in text
    assert "neurons annotated PN and olfactory: ['PN left #0', 'PN left #2', 'PN right #1']" in text


def test_cytomine_part(shown):
    text = shown["cytomine"]
    assert "Uploaded 24 annotations" in text and "their ids: " in text
    ids = text.split("their ids: ")[1].split(", ...")[0].split(", ")
    assert len(ids) == 8 and all(i.isdigit() for i in ids)
    assert "with term 'Stroma'" in text and "Changed the term of annotation" in text


def test_neuromorpho_part(shown):
    text = shown["neuromorpho"]
    assert "NeuronCollection(species='rat', brain_region='hippocampus')" in text
    assert "SWC nodes, first rows:" in text and "parent_id" in text


def test_clio_part(shown):
    text = shown["clio"]
    assert "Upserted 3 body annotations at version v0.3.33" in text
    assert "still says status 'Traced'" in text and "990001 does not have it" in text


def test_cave_part(shown):
    text = shown["cave"]
    assert "5 rows at materialization version 1, 6 live" in text and "its lineage has 3 roots" in text
    assert "Posted 3 rows in one request" in text and "a skeleton of 5 nodes" in text


def test_demo_rejects_unknown_backend():
    with pytest.raises(ValueError, match="catmaid"):
        run(["nosuch"], print_=lambda line: None)


def test_cable_length_from_the_node_table():
    neuron = synthetic_neuron(3, n_nodes=50)
    nodes = neuron.nodes
    edges = nodes[nodes.parent_id >= 0].merge(nodes, left_on="parent_id", right_on="node_id", suffixes=("", "_p"))
    expected = ((edges[["x", "y", "z"]].to_numpy() - edges[["x_p", "y_p", "z_p"]].to_numpy()) ** 2).sum(1) ** 0.5
    assert cable_length(nodes) == pytest.approx(expected.sum())
    assert 49 * 60 <= cable_length(nodes) <= 49 * 180


def test_cable_lengths_prefers_the_collections_own():
    class WithOwn(list):
        def cable_length(self):
            return pd.Series({7: 1.5})

    assert cable_lengths(WithOwn()) == {7: 1.5}


@pytest.mark.parametrize("module", ["neuromodels.cli", "neuromodels.demo"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3 and result.failed == 0


def test_the_demo_shows_what_the_backends_declare():
    from neuromodels.backends import BUILTIN

    shown = list(parts())
    assert shown[: len(BUILTIN)] == list(BUILTIN), "the shipped backends first, in their order"
    assert all(value.endswith(":demo") for value in parts().values())
