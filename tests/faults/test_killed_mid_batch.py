"""A batch save with the server stopped part-way: PartialSaveError accounts for every item,
the server restarts on the same database, a second save() finishes, and the server's own
storage holds every item exactly once."""

from __future__ import annotations

from collections import Counter

import pytest
from shapely.geometry import Point

from neuromodels import Annotation, AnnotationCollection, Connection, Neuron, NeuronCollection, PartialSaveError
from neuromodels.testing import Fault, serve


def connect(server, **kw):
    return Connection(server.url, backend=server.backend, project=server.project, token=server.token,
                      public_key=server.public_key, private_key=server.private_key, timeout=5, retries=2,
                      backoff=0.01, progress=False, **kw)


def kill_and_finish(server, batch, fault, n):
    server.add_fault(fault)
    with connect(server, max_workers=2):
        with pytest.raises(PartialSaveError) as info:
            batch.save()
    e = info.value
    assert len(e.saved) + len(e.failed) + len(e.unknown) == n
    assert len(e.saved) < n and (e.failed or e.unknown)
    assert not server.running
    server.start()  # same database, same port
    with connect(server, max_workers=2):
        batch.save()
    return e


def test_cytomine_2000_annotations(tmp_path):
    n = 2000
    with serve("cytomine", db=str(tmp_path / "c.sqlite")) as server:
        image = server._app.db.read("SELECT MIN(id) FROM image")[0][0]
        batch = AnnotationCollection(Annotation(geometry=Point(10 + i % 1000, 10 + i // 1000), image=image) for i in range(n))
        e = kill_and_finish(server, batch, Fault("stop", method="POST", path=r"^/api/annotation\.json$", when="after", skip=2), n)
        stored = Counter(loc for (loc,) in server._app.db.read("SELECT location FROM annotation WHERE image = ?", (image,)))
        wanted = Counter(a.geometry.wkt for a in batch)
        assert stored == wanted, "nothing lost, nothing duplicated"
        assert len({a.id for a in batch}) == n and all(a.id for a in batch)
        print(f"cytomine: first save {len(e.saved)} saved, {len(e.failed)} failed, {len(e.unknown)} unknown; "
              f"after restart {sum(stored.values())} stored once each")


def test_clio_2000_records(tmp_path):
    n = 2000
    with serve("clio", db=str(tmp_path / "k.sqlite")) as server:
        batch = AnnotationCollection(Annotation(id=600000 + i, properties={"type": f"K{i}"}) for i in range(n))
        e = kill_and_finish(server, batch, Fault("stop", method="POST", path=r"/neurons$", when="after", skip=10), n)
        rows = server._app.db.read("SELECT bodyid, data FROM record WHERE uuid = '74ea83' AND bodyid >= 600000")
        assert len(rows) == n
        assert all(f'"type": "K{b - 600000}"' in d for b, d in rows)
        print(f"clio: first save {len(e.saved)} saved, {len(e.failed)} failed, {len(e.unknown)} unknown")


def test_catmaid_neurons(tmp_path):
    n = 400  # one import request per neuron: 400 keeps this test near a few seconds
    swc = "1 1 0 0 0 5 -1\n2 3 10 0 0 1 1\n"
    with serve("catmaid", db=str(tmp_path / "m.sqlite")) as server:
        batch = NeuronCollection(Neuron.from_swc(swc, name=f"killed {i}") for i in range(n))
        e = kill_and_finish(server, batch, Fault("stop", method="POST", path=r"skeletons/import", when="after", skip=100), n)
        names = Counter(name for (name,) in server._app.db.read(
            "SELECT name FROM class_instance WHERE kind = 'neuron' AND name LIKE 'killed %'"))
        assert names == Counter(f"killed {i}" for i in range(n)), "nothing lost, nothing duplicated"
        print(f"catmaid: first save {len(e.saved)} saved, {len(e.failed)} failed, {len(e.unknown)} unknown")


def test_cave_2000_rows(tmp_path, monkeypatch):
    from neuromodels.backends.cave.resources import CaveAnnotation

    n = 2000
    monkeypatch.setattr(CaveAnnotation, "batch_size", 100)  # 20 inserts: the stop comes part-way
    with serve("cave", db=str(tmp_path / "v.sqlite")) as server:
        batch = AnnotationCollection((Annotation(properties={"pt_position": [1000 + i % 50, 4000, 130], "cell_type": f"K{i}",
                                                             "classification_system": "killed"}) for i in range(n)),
                                     table="cell_types")
        e = kill_and_finish(server, batch, Fault("stop", method="POST", path=r"/annotations$", when="after", skip=5), n)
        stored = Counter(t for (t,) in server._app.db.read(
            "SELECT json_extract(data, '$.cell_type') FROM annotation WHERE tbl = 'cell_types' AND deleted IS NULL "
            "AND json_extract(data, '$.classification_system') = 'killed'"))
        assert stored == Counter(f"K{i}" for i in range(n)), "nothing lost, nothing duplicated"
        assert len({a.id for a in batch}) == n and all(a.id for a in batch)
        print(f"cave: first save {len(e.saved)} saved, {len(e.failed)} failed, {len(e.unknown)} unknown")
