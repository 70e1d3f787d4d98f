"""Replies that never arrive, end to end on the bundled CATMAID: a delete whose reply was lost is
finished by the next delete(), and repeated save() converges under many faults at once (lost
replies, refused writes, failing settling reads) with every neuron stored exactly once."""

from __future__ import annotations

import pytest

from neuromodels import Connection, Neuron, NeuronCollection, PartialSaveError, ServerUnavailable
from neuromodels.core.state import SaveState
from neuromodels.testing import Fault, serve

SWC = "1 1 0 0 0 1 -1\n2 3 10 0 0 1 1\n"


def stored_names(server) -> list[str]:
    return [r[0] for r in server._app.db.read("SELECT name FROM class_instance WHERE kind = 'neuron'")]


@pytest.fixture
def catmaid():
    with serve("catmaid") as server:
        with Connection(server.url, backend="catmaid", project=server.project, token=server.token,
                        max_workers=4, timeout=5, retries=0, progress=False):
            yield server


def test_a_delete_whose_reply_was_lost_is_finished_by_the_next(catmaid):
    n = Neuron.from_swc(SWC, name="lost delete").save()
    catmaid.add_fault(Fault("reset", method="POST", path=r"/neuron/\d+/delete$", when="after"))
    with pytest.raises(ServerUnavailable):
        n.delete()
    assert n.state is SaveState.DELETING and stored_names(catmaid) == []
    n.delete()  # the neuron is gone: that is what was asked
    assert n.state is SaveState.DELETED


def test_a_batch_delete_with_lost_replies_is_finished_by_the_next(catmaid):
    batch = NeuronCollection(Neuron.from_swc(SWC, name=f"doomed {i}") for i in range(8)).save()
    catmaid.add_fault(Fault("reset", method="POST", path=r"/neuron/\d+/delete$", when="after", times=2, skip=3))
    with pytest.raises(PartialSaveError) as info:
        batch.delete()
    assert len(info.value.unknown) == 2 and len(info.value.saved) == 6 and len(batch) == 2
    batch.delete()
    assert len(batch) == 0 and stored_names(catmaid) == []


def test_repeated_save_converges_under_many_faults(catmaid):
    names = [f"converging {i}" for i in range(40)]
    batch = NeuronCollection(Neuron.from_swc(SWC, name=name) for name in names)
    imports = r"/skeletons/import$"
    for fault in (Fault("reset", method="POST", path=imports, when="after", times=6, skip=2),   # lost replies
                  Fault("status", status=503, method="POST", path=imports, times=5, skip=12),   # refused
                  Fault("status", status=503, method="POST", path=r"/annotations/query-targets$", times=2),
                  Fault("status", status=503, method="POST", path=r"/skeletons/compact-detail$", times=2)):
        catmaid.add_fault(fault)
    rounds = 0
    while True:
        rounds += 1
        assert rounds <= 10, "save() did not converge"
        try:
            batch.save()
            break
        except PartialSaveError as e:
            accounted = len(e.saved) + len(e.failed) + len(e.unknown)
            assert accounted <= len(names)
    assert sorted(stored_names(catmaid)) == sorted(names)  # every neuron exactly once
    assert all(n.state is SaveState.STORED and n.id is not None for n in batch)
