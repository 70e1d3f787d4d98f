"""Fault matrix: faults x operations x backends, on the bundled servers.

Each cell asserts one of: retried and correct (only where the request is safe to repeat, or
where the server certainly did not process it), or the right typed error carrying the server's
message. Writes are never repeated: exactly one write request reaches the server unless the
server refused it unprocessed (429/503 with Retry-After), and storage never holds a duplicate.
"""

from __future__ import annotations

import time
import uuid

import attrs
import pytest
from shapely.geometry import Point

from neuromodels import (
    Annotation,
    AnnotationCollection,
    BadRequest,
    Connection,
    Neuron,
    NeuronCollection,
    NotFound,
    PartialSaveError,
    ProtocolError,
    ServerError,
    ServerUnavailable,
)
from neuromodels.testing import Fault, serve

TIMEOUT = 0.4
FAULTS = {
    "500": dict(kind="status", status=500),
    "502-html": dict(kind="html"),
    "503-retry-after": dict(kind="status", status=503, retry_after=0.01),
    "429-retry-after": dict(kind="status", status=429, retry_after=0.01),
    "reset": dict(kind="reset"),
    "stall": dict(kind="stall", seconds=TIMEOUT + 0.25),
    "truncated": dict(kind="truncate", when="after"),
    "error-200": dict(kind="error200"),
}
WRITE_ERRORS = {
    "500": (ServerError, "injected fault"),
    "502-html": (ServerError, "Bad Gateway"),
    "reset": (ServerUnavailable, "connection failed"),
    "stall": (ServerUnavailable, "no answer within"),
    "truncated": (ProtocolError, "not valid JSON"),
    "error-200": (BadRequest, "injected fault"),
}
SWC = "1 1 0 0 0 5 -1\n2 3 10 0 0 1 1\n3 3 20 0 0 1 2\n"


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


# -- one adapter per backend: how to make, read, write and count its objects ------------------------
class Catmaid:
    backend = "catmaid"
    later_page = 1  # the listing pages: hit the second page
    ops = ("fetch", "collection", "save", "update", "delete", "batch")
    read = {"fetch": ("POST", r"compact-detail"), "collection": ("POST", r"query-targets")}
    write = {"save": ("POST", r"skeletons/import"), "update": ("POST", r"/neurons/\d+/rename"),
             "delete": ("POST", r"/neuron/\d+/delete"), "batch": ("POST", r"skeletons/import")}

    def make(self):
        return Neuron.from_swc(SWC, name=unique("fault")).save()

    def new(self):
        return Neuron.from_swc(SWC, name=unique("fault new"))

    def fetched(self, obj):
        return Neuron.fetch(obj.id).name == obj.name

    def listed(self, objs):
        prefix = objs[0].name.rsplit(" ", 1)[0]
        return sorted(n.id for n in NeuronCollection(name=prefix).fetch(nodes=False) if n.name in {o.name for o in objs}) == sorted(o.id for o in objs)

    def group(self, n):
        tag = unique("fault group")
        return [Neuron.from_swc(SWC, name=f"{tag} {i}").save() for i in range(n)]

    def change(self, obj):
        obj.name = obj.name + " changed"

    def stored(self, server, obj):
        return server._app.db.read("SELECT COUNT(*) FROM class_instance WHERE kind = 'neuron' AND name = ?", (obj.name,))[0][0]

    def collection_of(self, objs):
        return NeuronCollection(objs)


class Cytomine:
    backend = "cytomine"
    later_page = 1
    ops = ("fetch", "collection", "save", "update", "delete", "batch")
    read = {"fetch": ("GET", r"^/api/annotation/\d+\.json$"), "collection": ("GET", r"^/api/annotation\.json$")}
    write = {"save": ("POST", r"^/api/annotation\.json$"), "update": ("PUT", r"^/api/annotation/\d+\.json$"),
             "delete": ("DELETE", r"^/api/annotation/\d+\.json$"), "batch": ("POST", r"^/api/annotation\.json$")}
    counter = 0

    def image(self):
        return self.server._app.db.read("SELECT MIN(id) FROM image")[0][0]

    def point(self):
        Cytomine.counter += 1
        return Point(1000 + Cytomine.counter, 3000)

    def make(self):
        return Annotation(geometry=self.point(), image=self.image()).save()

    def new(self):
        return Annotation(geometry=self.point(), image=self.image())

    def fetched(self, obj):
        return Annotation.fetch(obj.id).geometry.equals(obj.geometry)

    def listed(self, objs):
        box = objs[0].geometry.buffer(1).bounds
        xs = [o.geometry.x for o in objs]
        got = AnnotationCollection(image=self.image(), bbox=(min(xs) - 0.5, 2999.0, max(xs) + 0.5, 3001.0)).fetch()
        del box
        return sorted(a.id for a in got) == sorted(o.id for o in objs)

    def group(self, n):
        return [self.make() for _ in range(n)]

    def change(self, obj):
        obj.geometry = Point(obj.geometry.x, 3500)

    def stored(self, server, obj):
        return server._app.db.read("SELECT COUNT(*) FROM annotation WHERE location = ?", (obj.geometry.wkt,))[0][0]

    def collection_of(self, objs):
        return AnnotationCollection(objs)


class Clio:
    backend = "clio"
    later_page = 0  # one query, no pages
    # A batch whose reply was lost is settled at once by reading it back; what did not land is
    # resent record by record (writes are keyed by body id: nothing can be duplicated).
    settles_batches_inline = ("reset", "stall", "truncated")
    ops = ("fetch", "collection", "save", "update", "delete", "batch")
    read = {"fetch": ("GET", r"/id-number/"), "collection": ("POST", r"/neurons/query$")}
    write = {"save": ("POST", r"/neurons$"), "update": ("POST", r"/neurons$"), "delete": ("DELETE", r"/id-number/"),
             "batch": ("POST", r"/neurons$")}
    counter = 700000

    def body(self):
        Clio.counter += 1
        return Clio.counter

    def make(self):
        return Annotation(id=self.body(), properties={"tag": unique("t")}).save()

    def new(self):
        return Annotation(id=self.body(), properties={"tag": unique("t")})

    def fetched(self, obj):
        return Annotation.fetch(obj.id).properties["tag"] == obj.properties["tag"]

    def listed(self, objs):
        got = AnnotationCollection(tag=[o.properties["tag"] for o in objs]).fetch()
        return sorted(a.id for a in got) == sorted(o.id for o in objs)

    def group(self, n):
        return [self.make() for _ in range(n)]

    def change(self, obj):
        obj.properties["tag"] = obj.properties["tag"] + " changed"

    def stored(self, server, obj):
        rows = server._app.db.read("SELECT data FROM record WHERE uuid = '74ea83' AND bodyid = ?", (obj.id,))
        return 1 if rows and (obj.properties or {}).get("tag") in rows[0][0] else 0

    def collection_of(self, objs):
        return AnnotationCollection(objs)


class NeuroMorpho:
    backend = "neuromorpho"
    later_page = 1
    ops = ("fetch", "collection")
    read = {"fetch": ("GET", r"^/api/neuron/id/"), "collection": ("POST", r"/select$")}
    write = {}

    def group(self, n):
        return NeuronCollection(species="mouse").fetch(limit=n)

    def fetched(self, obj):
        return Neuron.fetch(obj.id, nodes=False).name == obj.name

    def listed(self, objs):
        return [n.id for n in NeuronCollection(ids=[o.id for o in objs]).fetch()] == [o.id for o in objs]


class Cave:
    backend = "cave"
    later_page = 1
    # An update whose reply was lost is settled at once by reading the old row back: superseded
    # means it landed (with the new id), otherwise it is sent again (an old row can be
    # superseded only once, so nothing can be duplicated). Inserts settle on the next save().
    settles_updates_inline = ("reset", "stall", "truncated")
    ops = ("fetch", "collection", "save", "update", "delete", "batch")
    read = {"fetch": ("POST", r"/query$"), "collection": ("POST", r"/query$")}
    write = {"save": ("POST", r"/annotations$"), "update": ("PUT", r"/annotations$"),
             "delete": ("DELETE", r"/annotations$"), "batch": ("POST", r"/annotations$")}
    counter = 0

    def new(self):
        Cave.counter += 1
        return Annotation(properties={"pt_position": [1000 + Cave.counter, 4000, 130], "cell_type": unique("fault"),
                                      "classification_system": "faults"}, extra={"table": "cell_types"})

    def make(self):
        return self.new().save()

    def fetched(self, obj):
        return Annotation.fetch(obj.id, table="cell_types").properties["cell_type"] == obj.properties["cell_type"]

    def listed(self, objs):
        got = AnnotationCollection(table="cell_types", cell_type=[o.properties["cell_type"] for o in objs]).fetch()
        return sorted(a.id for a in got) == sorted(o.id for o in objs)

    def group(self, n):
        return [self.make() for _ in range(n)]

    def change(self, obj):
        obj.properties["cell_type"] = obj.properties["cell_type"] + " changed"

    def stored(self, server, obj):
        return server._app.db.read("SELECT COUNT(*) FROM annotation WHERE tbl = 'cell_types' AND deleted IS NULL "
                                   "AND json_extract(data, '$.cell_type') = ?", (obj.properties["cell_type"],))[0][0]

    def collection_of(self, objs):
        return AnnotationCollection(objs, table="cell_types")


CASES = {c.backend: c for c in (Catmaid(), Cytomine(), Clio(), NeuroMorpho(), Cave())}
CELLS = [(b, op, f) for b, case in CASES.items() for op in case.ops for f in FAULTS]


@pytest.fixture(scope="module")
def servers():
    started = {}
    try:
        for name in CASES:
            started[name] = serve(name).start()
            CASES[name].server = started[name]
        yield started
    finally:
        for server in started.values():
            server.stop()


def connect(server, **kw):
    kw = {"timeout": TIMEOUT, **kw}
    return Connection(server.url, backend=server.backend, project=server.project, token=server.token,
                      public_key=server.public_key, private_key=server.private_key,
                      retries=2, backoff=0.01, progress=False, max_workers=2, **kw)


def expected_read(fault):
    return (BadRequest, "injected fault") if fault == "error-200" else None


def expected_write(fault):
    return None if fault in ("503-retry-after", "429-retry-after") else WRITE_ERRORS[fault]


@pytest.mark.parametrize("backend,op,fault", CELLS, ids=[f"{b}-{o}-{f}" for b, o, f in CELLS])
def test_cell(servers, backend, op, fault, monkeypatch):
    case = CASES[backend]
    server = servers[backend]
    server.faults.clear()  # a fault that did not fire must not leak into the next cell
    spec = FAULTS[fault]
    # Pages of two, so that three objects take two pages (page sizes are declarations).
    from neuromodels.backends.catmaid.neurons import CatmaidNeuron
    from neuromodels.backends.cave.resources import TableRows
    from neuromodels.backends.cytomine.domains import CommandList
    from neuromodels.backends.neuromorpho.resources import NeuroMorphoNeuron

    for cls in (CatmaidNeuron, CommandList, NeuroMorphoNeuron, TableRows):
        monkeypatch.setattr(cls, "paging", attrs.evolve(cls.paging, size=2))
    with connect(server):
        if op in ("fetch", "collection"):
            with connect(server, timeout=10):  # the setup is not under test: no short deadline
                objs = case.group(3)
            method, path = case.read[op]
            injected = server.add_fault(Fault(method=method, path=path, skip=case.later_page if op == "collection" else 0, **spec))
            want = expected_read(fault)
            if want is None:
                ok = case.fetched(objs[0]) if op == "fetch" else case.listed(objs)
                assert ok, "a retried read must return the right answer"
            else:
                with pytest.raises(want[0], match=want[1]):
                    case.fetched(objs[0]) if op == "fetch" else case.listed(objs)
            assert injected.fired == 1
            if fault == "stall":
                time.sleep(spec["seconds"])
            return

        method, path = case.write[op]
        want = expected_write(fault)
        if op == "batch":
            if fault in getattr(case, "settles_batches_inline", ()):
                want = None
            items = [case.new() for _ in range(4)]
            batch = case.collection_of(items)
            injected = server.add_fault(Fault(method=method, path=path, **spec))
            before = server.sent(method, path)
            if want is None:
                batch.save()
            else:
                with pytest.raises(PartialSaveError) as info:
                    batch.save()
                e = info.value
                assert len(e.saved) + len(e.failed) + len(e.unknown) == len(items)
                if fault == "stall":
                    time.sleep(spec["seconds"])  # a stalled write may still land: let it, then settle
                batch.save()  # finishes the job
            assert injected.fired == 1
            assert all(o.id is not None for o in items)
            assert [case.stored(server, o) for o in items] == [1] * len(items), "nothing lost, nothing duplicated"
            del before
            return

        if op == "update" and fault in getattr(case, "settles_updates_inline", ()):
            want = None
        if op in ("save", "update") and fault in getattr(case, "settles_batches_inline", ()):
            want = None  # a model's write is a batch of one: settled inline the same way
        with connect(server, timeout=10):  # the setup is not under test: no short deadline
            obj = None if op == "save" else case.make()
        target = case.new() if op == "save" else obj
        if op == "update":
            case.change(target)
        injected = server.add_fault(Fault(method=method, path=path, **spec))
        before = server.sent(method, path)
        call = {"save": lambda: target.save(), "update": lambda: target.update(), "delete": lambda: target.delete()}[op]
        if want is None:
            call()
        else:
            with pytest.raises(want[0], match=want[1]):
                call()
            if fault == "stall":
                time.sleep(spec["seconds"])
            assert server.sent(method, path) - before == 1, "a write whose fate is unknown is never repeated"
        assert injected.fired == 1
        landed = want is None or spec.get("when") == "after" or fault == "stall"
        if op == "delete":
            if landed:
                with pytest.raises(NotFound):
                    case.fetched(target)
            else:
                assert case.fetched(target)
        else:
            assert case.stored(server, target) == (1 if landed else 0), "stored at most once"
        # The single-model column: the same call again finishes the job, as a batch's second
        # save() does: nothing lost, nothing stored twice.
        if want is not None:
            with connect(server, timeout=10):  # the faults are spent: no short deadline needed
                call()
            if op == "delete":
                with pytest.raises(NotFound):
                    case.fetched(target)
            else:
                assert target.id is not None and not target.changes()
                assert case.stored(server, target) == 1, "the second call stores it exactly once"


def test_matrix_size():
    # 4 backends x 6 operations x 8 faults + NeuroMorpho's 2 reads x 8 faults
    assert len(CELLS) == 4 * 6 * 8 + 2 * 8 == 208
