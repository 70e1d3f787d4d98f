"""NeuroMorpho.org -> CATMAID: neurons with nodes and metadata annotations; interrupted and
resumed: nothing twice, nothing missing."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from neuromodels import Neuron, NeuronCollection, NoConnection, NotSupported, PartialSaveError, ServerUnavailable
from neuromodels.testing import Fault
from neuromodels.transfer import Origin, Transform

from .conftest import connect, per_neuron_markers, restart

pytestmark = pytest.mark.parametrize("pair", [("neuromorpho", "catmaid")], indirect=True)


def markers_on(target) -> Counter:
    """How many neurons on the target carry each per-neuron marker (import origins, annotations)."""
    return per_neuron_markers(target)


def test_copy_with_metadata_and_transform(pair):
    source, target = pair
    nmo, cat = connect(source), connect(target)
    rats = NeuronCollection(species="rat").fetch(connection=nmo)
    copies = rats.copy_to(cat, connection=nmo, transform=Transform(scale=1000))
    assert len(copies) == len(rats) == 7
    assert [c.copied_from.id for c in copies] == [n.id for n in rats]  # in order, each knowing its source
    assert copies.id_map() == {n.id: c.id for n, c in zip(rats, copies)}
    assert copies.copy_report.created and not copies.copy_report.existing
    first = Neuron.fetch(copies[0].id, connection=cat)
    original = Neuron.fetch(rats[0].id, connection=nmo)
    assert first.name == original.name
    assert {"species: rat", f"neuromorpho id: {original.id}", f"archive: {original.extra['archive']}",
            f"copied from {source.url}"} <= set(first.annotations)
    assert markers_on(target)[f"copied from {source.url}#neuron/{original.id}"] == 1  # CATMAID's import origin
    assert {f"brain region: {r}" for r in original.extra["brain_region"]} <= set(first.annotations)
    assert {f"cell type: {c}" for c in original.extra["cell_type"]} <= set(first.annotations)
    assert len(first.nodes) == len(original.nodes)
    np.testing.assert_allclose(np.sort(first.nodes["x"].to_numpy()), np.sort(original.nodes["x"].to_numpy() * 1000))
    # found again by its metadata
    assert [n.id for n in NeuronCollection(annotation=["species: rat", f"neuromorpho id: {original.id}"]).fetch(
        nodes=False, connection=cat)] == [first.id]


def test_second_copy_creates_nothing(pair):
    source, target = pair
    nmo, cat = connect(source), connect(target)
    rats = NeuronCollection(species="rat").fetch(connection=nmo)
    first = rats.copy_to(cat, connection=nmo)
    downloads = source.sent("GET", r"CNG\.swc$")
    again = NeuronCollection(species="rat").fetch(connection=nmo).copy_to(cat, connection=nmo)
    assert [c.id for c in again] == [c.id for c in first]
    assert again.copy_report.created == [] and len(again.copy_report.existing) == 7
    assert source.sent("GET", r"CNG\.swc$") == downloads  # recognised copies are not downloaded again
    assert target.sent("POST", r"skeletons/import") == 7


def test_dry_run_creates_nothing(pair):
    source, target = pair
    nmo, cat = connect(source), connect(target)
    rats = NeuronCollection(species="rat").fetch(connection=nmo)
    rats[:3].copy_to(cat, connection=nmo)
    plan = rats.copy_to(cat, connection=nmo, dry_run=True)
    assert plan.copy_report.dry_run and len(plan.copy_report.created) == 4 and len(plan.copy_report.existing) == 3
    assert [c.id is None for c in plan] == [False] * 3 + [True] * 4
    assert "would create 4" in str(plan.copy_report)
    assert target.sent("POST", r"skeletons/import") == 3 and sum(markers_on(target).values()) == 3


def test_target_stopped_mid_copy_then_resumed(pair):
    source, target = pair
    nmo = connect(source)
    pool = NeuronCollection(species=["rat", "mouse", "human"]).fetch(connection=nmo)
    n = len(pool)
    # The 9th import is stored, then the server stops before answering.
    target.add_fault(Fault("stop", method="POST", path=r"skeletons/import", when="after", skip=8))
    with pytest.raises((PartialSaveError, ServerUnavailable)):
        pool.copy_to(connect(target, max_workers=2), connection=nmo, chunk_size=5)
    stored = sum(markers_on(restart(target)).values())
    assert 0 < stored < n
    copies = NeuronCollection(species=["rat", "mouse", "human"]).fetch(connection=nmo).copy_to(
        connect(target), connection=nmo, chunk_size=5)
    assert len(copies.copy_report.existing) == stored and len(copies.copy_report.created) == n - stored
    counts = markers_on(target)
    assert len(counts) == n and set(counts.values()) == {1}  # nothing twice, nothing missing
    assert sorted(c.copied_from.id for c in copies) == sorted(int(x.id) for x in pool)


def test_a_neuron_without_a_file_fails_alone(pair):
    source, target = pair
    nmo, cat = connect(source), connect(target)
    monkeys = NeuronCollection(species="monkey").fetch(connection=nmo)  # 1003 has no SWC file
    with pytest.raises(PartialSaveError) as info:
        monkeys.copy_to(cat, connection=nmo)
    report = info.value.copy_report
    assert [o.id for o, _ in report.failed] == [1003]
    assert len(report.created) == len(monkeys) - 1
    assert len(info.value.copies) == len(monkeys) - 1


def test_a_single_model_copies_too(pair):
    source, target = pair
    nmo, cat = connect(source), connect(target)
    with nmo:
        copy = Neuron.fetch(1000).copy_to(cat)
    assert copy.copied_from == Origin(source.url, "neuron", 1000) and copy.id is not None


def test_paths_that_do_not_map_say_why(pair):
    source, target = pair
    nmo, cat = connect(source), connect(target)
    rats = NeuronCollection(species="rat").fetch(connection=nmo)
    with pytest.raises(NotSupported, match="read-only"):
        rats.copy_to(nmo, connection=cat)
    with pytest.raises(ValueError, match="same connection"):
        rats.copy_to(nmo, connection=nmo)
    with pytest.raises(NoConnection, match="connection=<source>"):
        NeuronCollection(list(rats)).copy_to(cat)  # made by hand: nobody says where it lives
    assert len(rats.copy_to(cat, dry_run=True)) == len(rats)  # fetched with connection=: remembered


def test_a_query_not_run_yet_runs_on_the_source(pair):
    source, target = pair
    nmo, cat = connect(source), connect(target)
    copies = NeuronCollection(species="rat").copy_to(cat, connection=nmo)
    assert len(copies) == 7 and len(copies.copy_report.created) == 7


def test_nodes_the_caller_loaded_stay_loaded(pair):
    source, target = pair
    nmo, cat = connect(source), connect(target)
    rats = NeuronCollection(species="rat").fetch(connection=nmo)
    rats[:2].load_nodes(connection=nmo)
    rats.copy_to(cat, connection=nmo)
    assert [n.nodes is not None for n in rats] == [True, True] + [False] * 5


def test_ctrl_c_mid_copy_then_resumed(pair):
    """Ctrl-C while the second step is being built: the first step is stored, the second run
    copies the rest."""
    source, target = pair
    nmo, cat = connect(source), connect(target)
    calls = []

    def interrupting(xyz):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return xyz * 1000

    with pytest.raises(KeyboardInterrupt):
        NeuronCollection(species="rat").copy_to(cat, connection=nmo, transform=interrupting, chunk_size=3)
    assert sum(markers_on(target).values()) == 3
    copies = NeuronCollection(species="rat").copy_to(cat, connection=nmo, transform=interrupting, chunk_size=3)
    assert (len(copies.copy_report.existing), len(copies.copy_report.created)) == (3, 4)
    counts = markers_on(target)
    assert len(counts) == 7 and set(counts.values()) == {1}


def test_progress_bar_when_asked(pair, capsys):
    source, target = pair
    NeuronCollection(species="rat").copy_to(connect(target, progress=True), connection=connect(source))
    assert "copying neurons" in capsys.readouterr().err
    NeuronCollection(species="mouse").copy_to(connect(target, progress=False), connection=connect(source))
    assert "copying neurons" not in capsys.readouterr().err
