"""A copy made again with another transform is noticed: refused before any write, or (with
``update=True``) the stale copies are made again; the command line says the same."""

from __future__ import annotations

import pytest

from neuromodels import Neuron, NeuronCollection, Volume, VolumeCollection
from neuromodels.transfer import Transform, TransformChanged

from .conftest import connect

pytestmark = pytest.mark.parametrize("pair", [("catmaid", "catmaid")], indirect=True)
SWC = "1 0 0 0 0 2 -1\n2 0 10 0 0 2 1\n3 0 20 5 0 2 2\n"


def seeded(source):
    with connect(source):
        return NeuronCollection([Neuron.from_swc(SWC, name=f"n{k}", annotations=["PN"]) for k in range(3)]).save()


def target_state(target):
    with connect(target):
        neurons = NeuronCollection(annotation="PN").fetch()
    return sorted((n.name, float(n.nodes.x.max())) for n in neurons)


def test_changed_scale_is_refused_then_recopied_with_update(pair):
    source, target = pair
    seeded(source)
    src, dst = connect(source), connect(target)
    first = NeuronCollection(annotation="PN").copy_to(dst, connection=src, connectors=False)
    assert len(first.copy_report.created) == 3
    assert target_state(target) == [("n0", 20.0), ("n1", 20.0), ("n2", 20.0)]

    with pytest.raises(TransformChanged, match=r"3 neuron\(s\) on the target were copied with transform 'none', "
                                               r"not 'scale 1000,1000,1000 offset 0,0,0'.*update=True") as info:
        NeuronCollection(annotation="PN").copy_to(dst, connection=src, transform=1000, connectors=False)
    assert len(info.value.stale) == 3
    assert target_state(target) == [("n0", 20.0), ("n1", 20.0), ("n2", 20.0)]  # nothing written

    dry = NeuronCollection(annotation="PN").copy_to(dst, connection=src, transform=1000, connectors=False,
                                                   update=True, dry_run=True)
    assert len(dry.copy_report.recopied) == 3 and "would re-copy 3 (transform changed)" in str(dry.copy_report)

    again = NeuronCollection(annotation="PN").copy_to(dst, connection=src, transform=1000, connectors=False, update=True)
    report = again.copy_report
    assert (len(report.recopied), len(report.created), len(report.existing)) == (3, 0, 0)
    assert "re-copied 3 (transform changed)" in str(report)
    assert target_state(target) == [("n0", 20000.0), ("n1", 20000.0), ("n2", 20000.0)]  # no duplicates

    third = NeuronCollection(annotation="PN").copy_to(dst, connection=src, transform=Transform(scale=1000),
                                                     connectors=False)
    assert len(third.copy_report.existing) == 3  # same transform: found, not made again


def test_volume_transform_change(pair):
    source, target = pair
    with connect(source):
        Volume(name="box", vertices=[[0, 0, 0], [1, 0, 0], [0, 1, 0]], faces=[[0, 1, 2]]).save()
    src, dst = connect(source), connect(target)
    volumes = VolumeCollection().fetch(connection=src)
    assert len(volumes.copy_to(dst, connection=src, transform=2).copy_report.created) == 1
    with pytest.raises(TransformChanged, match="volume"):
        volumes.copy_to(dst, connection=src, transform=3)
    assert len(volumes.copy_to(dst, connection=src, transform=3, update=True).copy_report.recopied) == 1
    with connect(target):
        volumes = VolumeCollection().fetch()
        assert len(volumes) == 1
        assert Volume.fetch(volumes[0].id).vertices.max() == 3.0


def test_command_line_says_what_to_do(pair, monkeypatch, capsys):
    from neuromodels.cli import main

    source, target = pair
    seeded(source)
    for prefix, server in (("SRC", source), ("DST", target)):
        monkeypatch.setenv(f"{prefix}_URL", server.url)
        monkeypatch.setenv(f"{prefix}_BACKEND", "catmaid")
        monkeypatch.setenv(f"{prefix}_PROJECT", str(server.project))
        monkeypatch.setenv(f"{prefix}_TOKEN", server.token)
    assert main(["copy", "env:SRC", "env:DST", "neuron", "annotation=PN", "--no-connectors"]) == 0
    capsys.readouterr()
    assert main(["copy", "env:SRC", "env:DST", "neuron", "annotation=PN", "--no-connectors", "--scale", "1000"]) == 1
    err = capsys.readouterr().err
    assert "TransformChanged" in err and "--update" in err
    assert main(["copy", "env:SRC", "env:DST", "neuron", "annotation=PN", "--no-connectors", "--scale", "1000",
                 "--update"]) == 0
    assert "re-copied 3 (transform changed)" in capsys.readouterr().out


def test_a_recopy_leaves_no_empty_connector_and_no_unused_transform_label(pair):
    from neuromodels import AnnotationCollection, Connector

    source, target = pair
    neurons = seeded(source)
    with connect(source):
        Connector(x=10, y=0, z=0, links=[(int(neurons[0].nodes.node_id[1]), "presynaptic_to"),
                                         (int(neurons[1].nodes.node_id[1]), "postsynaptic_to")]).save()
    src, dst = connect(source), connect(target)
    for scale in (1000, 2000, 3000):  # each a changed transform, re-copied in place
        NeuronCollection(annotation="PN").copy_to(dst, connection=src, transform=scale, update=True)
    rows = target._app.db.read("SELECT c.id, COUNT(tc.id) FROM connector c "
                               "LEFT JOIN treenode_connector tc ON tc.connector_id = c.id GROUP BY c.id")
    assert len(rows) == 1 and rows[0][1] == 2  # the one connector of the last copy, with its two links
    with connect(target):
        labels = sorted(a.name for a in AnnotationCollection().fetch() if a.name.startswith("copy transform: "))
    assert labels == ["copy transform: scale 3000,3000,3000 offset 0,0,0"]
