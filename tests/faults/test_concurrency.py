"""16 threads over two connections to two bundled servers, interleaving CRUD: no cross-talk,
no exhausted pool, every result correct. Bounded in count and time."""

from __future__ import annotations

import logging
import threading
import uuid

from shapely.geometry import Point

from neuromodels import Annotation, AnnotationCollection, Connection, Neuron, NeuronCollection, NotFound
from neuromodels.testing import serve

THREADS, ROUNDS, DEADLINE = 16, 4, 90.0
SWC = "1 1 0 0 0 5 -1\n2 3 10 0 0 1 1\n3 3 20 0 0 1 2\n"


def catmaid_round(conn, tag):
    with conn:
        n = Neuron.from_swc(SWC, name=f"{tag} neuron").save()
        assert Neuron.fetch(n.id).name == f"{tag} neuron"
        n.update(name=f"{tag} renamed")
        assert [x.name for x in NeuronCollection(name=tag).fetch(nodes=False)] == [f"{tag} renamed"]
        n.delete()
        try:
            Neuron.fetch(n.id)
            raise AssertionError("deleted neuron still there")
        except NotFound:
            pass


def cytomine_round(conn, tag, image, x):
    with conn:
        a = Annotation(geometry=Point(x, 7000), image=image).save()
        assert Annotation.fetch(a.id).geometry.equals(Point(x, 7000))
        a.update(geometry=Point(x, 7001))
        listed = AnnotationCollection(image=image, bbox=(x - 0.25, 6999, x + 0.25, 7002)).fetch()
        assert [b.id for b in listed] == [a.id]
        a.delete()


def test_sixteen_threads_two_connections(caplog):
    caplog.set_level(logging.WARNING, logger="urllib3")
    with serve("catmaid") as catmaid, serve("cytomine") as cytomine:
        image = cytomine._app.db.read("SELECT MIN(id) FROM image")[0][0]
        conns = [
            Connection(catmaid.url, backend="catmaid", project=catmaid.project, token=catmaid.token, max_workers=4,
                       timeout=20, progress=False),
            Connection(cytomine.url, backend="cytomine", project=cytomine.project, public_key=cytomine.public_key,
                       private_key=cytomine.private_key, max_workers=4, timeout=20, progress=False),
        ]
        errors: list[BaseException] = []
        done = []

        def worker(i):
            try:
                for r in range(ROUNDS):
                    tag = f"thread {i} round {r} {uuid.uuid4().hex[:6]}"
                    if i % 2 == 0:
                        catmaid_round(conns[0], tag)
                    else:
                        cytomine_round(conns[1], tag, image, 100.0 + i * 10 + r)
                done.append(i)
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(DEADLINE)
        assert not [t for t in threads if t.is_alive()], "threads still running at the deadline"
        assert errors == [], errors[:3]
        assert sorted(done) == list(range(THREADS))
        # No cross-talk: each server saw only its own kind of request, and holds none of the
        # objects the threads created and deleted.
        assert all(path.startswith("/1/") or path == "/projects/" for _, path in catmaid.log)
        assert all(path.startswith("/api/") for _, path in cytomine.log)
        assert catmaid._app.db.read("SELECT COUNT(*) FROM class_instance WHERE kind = 'neuron'")[0][0] == 0
        assert cytomine._app.db.read("SELECT COUNT(*) FROM annotation")[0][0] == 0
    assert "Connection pool is full" not in caplog.text
