"""CAVE as API.md says: a datastack is the project; annotation rows are read through
materialization (filters, columns, a version, a timestamp) and written through the annotation
engine in batches; root ids are neurons with skeletons, lineage and latest roots; synapse rows
are connectors (bundled deployment)."""

import datetime as dt

import pytest

from neuromodels import (
    Annotation, AnnotationCollection, AuthenticationError, Connector, ConnectorCollection, Neuron,
    NeuronCollection, NotFound, NotSupported, Project,
)
from neuromodels.backends import cave as backend
from neuromodels.errors import CredentialsRequired

from .conftest import AB, B, C, C1, C2, D, A, connect_to, sv

ROW = {"pt_position": [1000, 4000, 130], "cell_type": "test", "classification_system": "tests"}


def test_a_datastack_is_the_project(cave, cave_server):
    p = Project.fetch(cave_server.project)
    assert p.id == "local_v1" and "six neurons" in p.description
    assert p.extra["synapse_table"] == "synapses"
    assert cave.ping()["email"] == "local.user@localhost"
    with pytest.raises(NotFound):
        Project.fetch("nowhere")
    with pytest.raises(NotSupported, match="administrators"):
        Project(name="x").save()


def test_reads_at_a_version_a_timestamp_and_live(cave):
    live = AnnotationCollection(table="cell_types").fetch()
    assert [a.id for a in live] == [1, 2, 3, 4, 5, 6]
    assert [a.id for a in AnnotationCollection(table="cell_types", version=1).fetch()] == [1, 2, 3, 4, 5]
    # neuron 0's root: A at version 1, AB (the merge) at version 2 and now
    assert AnnotationCollection(table="cell_types", version=1).fetch()[0].targets == [A]
    assert AnnotationCollection(table="cell_types", version=2).fetch()[0].targets == [AB]
    then = AnnotationCollection(table="cell_types", timestamp=dt.datetime(2026, 1, 25)).fetch()
    assert then[2].targets == [C] and live[2].targets == [C1]
    one = Annotation.fetch(3, table="cell_types", version=1)
    assert one.properties == {"pt_position": [1000, 3000, 120], "cell_type": "basket", "classification_system": "local"}
    assert one.extra["version"] == 1 and one.extra["pt_supervoxel_id"] == sv(2)
    assert one.extra["created"] == dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def test_filters_and_columns_go_to_the_server(cave, cave_server):
    before = cave_server.sent("POST", "/query")
    found = AnnotationCollection(table="cell_types", cell_type=["basket", "L4 IT"]).fetch()
    assert sorted(a.properties["cell_type"] for a in found) == ["L4 IT", "basket"]
    assert cave_server.sent("POST", "/query") == before + 1
    assert [a.id for a in AnnotationCollection(table="cell_types", id__gt=4).fetch()] == [5, 6]
    assert [a.id for a in AnnotationCollection(table="cell_types", cell_type__regex="^L").fetch()] == [1, 2, 5]
    assert [a.id for a in AnnotationCollection(table="cell_types", pt_root_id=AB).fetch()] == [1, 2]
    box = ((900, 900, 0), (1100, 2100, 200))
    assert [a.id for a in AnnotationCollection(table="cell_types", pt_position__within=box).fetch()] == [1, 2]
    slim = AnnotationCollection(table="cell_types", columns=["cell_type"]).fetch()
    assert slim[0].properties == {"cell_type": "L2/3 IT"}
    with pytest.raises(ValueError, match="did you mean 'cell_type'"):
        AnnotationCollection(table="cell_types", cell_tpye="x").fetch()
    with pytest.raises(TypeError, match="filter 'id__gt' takes int"):
        AnnotationCollection(table="cell_types", id__gt="4").fetch()
    with pytest.raises(ValueError, match="give table="):
        AnnotationCollection().fetch()
    with pytest.raises(ValueError, match="not both"):
        AnnotationCollection(table="cell_types", version=1, timestamp="2026-01-25T00:00:00").fetch()


def test_writes_in_batches_keep_ids_and_history(cave, cave_server):
    batch = AnnotationCollection([Annotation(properties={**ROW, "cell_type": f"t{i}"}) for i in range(4)],
                                 table="cell_types").save()
    assert cave_server.sent("POST", "/annotations$") == 1
    ids = [a.id for a in batch]
    assert len(set(ids)) == 4 and all(a.extra["table"] == "cell_types" for a in batch)
    read = AnnotationCollection(ids=ids, table="cell_types").fetch()
    assert [a.properties["cell_type"] for a in read] == ["t0", "t1", "t2", "t3"] and read[0].targets == [D]
    first = read[0]
    old = first.id
    first.properties["cell_type"] = "changed"
    first.update()
    assert first.id != old  # CAVE supersedes the row with a new one
    assert Annotation.fetch(first.id, table="cell_types").properties["cell_type"] == "changed"
    with pytest.raises(NotFound):
        Annotation.fetch(old, table="cell_types")
    AnnotationCollection(ids=[first.id, *ids[1:]], table="cell_types").fetch().delete()
    assert [a.id for a in AnnotationCollection(table="cell_types").fetch()] == [1, 2, 3, 4, 5, 6]


def test_an_insert_whose_reply_cannot_be_read_is_settled_not_sent_again(cave, cave_server, monkeypatch):
    """The engine stored the rows but its reply was not the ids: the rows are unknown, and the
    next save() finds them instead of inserting them a second time."""
    from neuromodels import PartialSaveError
    from neuromodels.backends.cave.resources import CaveAnnotation

    real = CaveAnnotation._write

    def unreadable(self, conn, method, chunk, modifiers):
        table, _ = real(self, conn, method, chunk, modifiers)  # stored on the server
        return table, {"not": "the ids"}

    monkeypatch.setattr(CaveAnnotation, "_write", unreadable)
    one = Annotation(properties={**ROW, "cell_type": "unreadable"}, extra={"table": "cell_types"})
    with pytest.raises(Exception) as info:
        one.save()
    assert getattr(info.value, "outcome_unknown", False) or isinstance(info.value, PartialSaveError)
    monkeypatch.setattr(CaveAnnotation, "_write", real)
    one.save()  # settles: found on the server, not inserted again
    rows = [a for a in AnnotationCollection(table="cell_types").fetch() if a.properties["cell_type"] == "unreadable"]
    assert len(rows) == 1 and rows[0].id == one.id
    AnnotationCollection(rows, table="cell_types").delete()


def test_bad_rows_are_refused_before_any_request(cave, cave_server):
    before = cave_server.requests
    with pytest.raises(ValueError, match="computed by CAVE"):
        Annotation(properties={**ROW, "pt_root_id": 5}, extra={"table": "cell_types"}).save()
    with pytest.raises(ValueError, match="three finite numbers"):
        Annotation(properties={**ROW, "pt_position": [1, 2]}, extra={"table": "cell_types"}).save()
    with pytest.raises(NotSupported, match="targets follow"):
        Annotation(properties=ROW, targets=[D], extra={"table": "cell_types"}).save()
    assert cave_server.requests == before
    with pytest.raises(ValueError, match="unknown: cell_typ .*did you mean 'cell_type'"):
        Annotation(properties={"pt_position": [1, 2, 3], "cell_typ": "x", "classification_system": "y"},
                   extra={"table": "cell_types"}).save()


def test_a_root_is_a_neuron(cave):
    n = Neuron.fetch(D)
    assert len(n.nodes) == 5 and n.nodes.parent_id.tolist() == [-1, 0, 1, 2, 3] and n.tags == {"soma": [0]}
    assert n.nodes.x.tolist()[:2] == [4000.0, 4800.0]  # nanometres
    assert n.extra["latest"] is True
    assert Neuron.fetch(A, nodes=False).extra["latest"] is False
    with pytest.raises(NotFound):
        Neuron.fetch(ROOT_MISSING)
    assert [x.id for x in NeuronCollection(latest_of=A).fetch()] == [AB]
    assert [x.id for x in NeuronCollection(latest_of=[C, D]).fetch()] == [D, C1, C2]
    assert [x.id for x in NeuronCollection(lineage_of=C1).fetch()] == [C, C1, C2]
    assert [x.id for x in NeuronCollection(supervoxels=[sv(0), sv(1), sv(3)]).fetch()] == [AB, D]
    assert [x.id for x in NeuronCollection(supervoxels=sv(0), timestamp="2026-01-05T00:00:00").fetch()] == [A]
    assert NeuronCollection(latest_of=B).fetch(nodes=True)[0].n_nodes == 10
    with pytest.raises(ValueError, match="cannot list every root"):
        NeuronCollection().fetch()
    with pytest.raises(NotSupported, match="edits supersede"):
        n.delete()


ROOT_MISSING = (10 << 56) + 999


def test_synapse_rows_are_connectors(cave):
    every = ConnectorCollection().fetch()
    assert len(every) == 10
    mine = ConnectorCollection(neuron=D).fetch()
    assert all(D in [link.skeleton_id for link in c.links] for c in mine) and len(mine) == 2
    out = ConnectorCollection(neuron=D, relation="presynaptic_to").fetch()
    assert [c.links[0].skeleton_id for c in out] == [D] * len(out) and len(out) == 1
    c = Connector.fetch(out[0].id)
    assert (c.x, c.y, c.z) == (out[0].x, out[0].y, out[0].z) and c.extra["size"] > 0
    with pytest.raises(ValueError, match="presynaptic_to or postsynaptic_to"):
        ConnectorCollection(neuron=D, relation="pre").fetch()
    with pytest.raises(NotSupported, match="detection pipelines"):
        Connector(x=1, y=2, z=3).save()


def test_tokens(cave_server, tmp_path, monkeypatch):
    monkeypatch.delenv("CAVE_TOKEN", raising=False)
    monkeypatch.setattr(backend, "SECRETS", tmp_path)
    with connect_to(cave_server, token=None) as conn:
        with pytest.raises(CredentialsRequired, match="CAVE needs a token"):
            conn.ping()
    (tmp_path / "cave-secret.json").write_text('{"token": "%s"}' % cave_server.token)
    with connect_to(cave_server, token=None) as conn:
        assert conn.ping()["id"] == 1
    server_file = tmp_path / f"127.0.0.1:{cave_server.port}-cave-secret.json"
    server_file.write_text('{"token": "wrong"}')
    with connect_to(cave_server, token=None) as conn:
        with pytest.raises(AuthenticationError, match="Invalid or Expired"):
            conn.ping()
        assert cave_server.token not in repr(conn)
    monkeypatch.setenv("CAVE_TOKEN", cave_server.token)
    with connect_to(cave_server, token=None) as conn:
        assert conn.ping()["id"] == 1


def test_json_replies_when_pyarrow_is_absent(cave, cave_server, monkeypatch):
    from neuromodels.backends.cave import services

    monkeypatch.setattr(services, "_has_arrow", lambda: False)
    rows = AnnotationCollection(table="cell_types", version=1).fetch()
    assert rows[0].targets == [A] and rows[0].extra["created"] == dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    assert rows[0].properties["pt_position"] == [1000, 1000, 100]


def test_command_line_serves_and_lists(cave_server, monkeypatch, capsys):
    import json

    from neuromodels.cli import main, server_lines

    lines = dict(line.split("=", 1) for line in server_lines(cave_server))
    assert lines["PROJECT"] == "local_v1" and lines["NEUROMODELS_BACKEND"] == "cave"
    for key in [k for k in lines if k.startswith("NEUROMODELS_")]:
        monkeypatch.setenv(key, lines[key])
    assert main(["ls"]) == 0
    assert {line.split()[0] for line in capsys.readouterr().out.splitlines()} == {"annotation", "connector", "neuron",
                                                                                  "project"}
    assert main(["ls", "annotation", "table=cell_types", "cell_type=basket", "-f", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == [3] and rows[0]["cell_type"] == "basket"


def test_the_connection_can_pin_a_version_or_a_moment(cave_server):
    with connect_to(cave_server, version=1):
        assert len(AnnotationCollection(table="cell_types").fetch()) == 5
        assert AnnotationCollection(table="cell_types").fetch()[0].extra["version"] == 1
        assert len(AnnotationCollection(table="cell_types", timestamp=dt.datetime.now()).fetch()) == 6  # the collection wins
    with connect_to(cave_server, timestamp="2026-01-05T00:00:00"):
        assert AnnotationCollection(table="cell_types").fetch()[0].targets == [A]
        assert [n.id for n in NeuronCollection(supervoxels=sv(0)).fetch()] == [A]
    with pytest.raises(ValueError, match="not both"):
        with connect_to(cave_server, version=1, timestamp="2026-01-05T00:00:00"):
            AnnotationCollection(table="cell_types").fetch()


def test_a_misspelt_table_is_named_with_the_tables_there_are(cave, cave_server):
    queries = cave_server.sent("POST", "/query$")
    with pytest.raises(NotFound, match=r"no annotation table 'cell_tpyes'.*did you mean 'cell_types'.*its tables: "):
        AnnotationCollection(table="cell_tpyes").fetch()
    assert cave_server.sent("POST", "/query$") == queries  # refused before the query is sent
