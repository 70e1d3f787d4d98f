"""Ctrl-C in the middle of a batch save or delete, end to end on a bundled server: sending stops
promptly, every model is left in a true state, and a second call finishes the job with nothing
stored twice."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from neuromodels import Connection, Neuron, NeuronCollection
from neuromodels.core.state import SaveState
from neuromodels.testing import serve

SWC = "1 1 0 0 0 1 -1\n2 3 10 0 0 1 1\n"


#: Timers of this module's Ctrl-Cs: cancelled when a test ends, so none lands in another test.
TIMERS: list[threading.Timer] = []


@pytest.fixture(autouse=True)
def cancel_pending_ctrl_c():
    yield
    while TIMERS:
        TIMERS.pop().cancel()


def ctrl_c(after: float) -> None:
    main = threading.main_thread().ident
    assert main is not None and threading.current_thread() is threading.main_thread()
    timer = threading.Timer(after, signal.pthread_kill, args=(main, signal.SIGINT))
    TIMERS.append(timer)
    timer.start()


def names_stored(server) -> list[str]:
    return [r[0] for r in server._app.db.read("SELECT name FROM class_instance WHERE kind = 'neuron'")]


@pytest.fixture
def slow_catmaid():
    with serve("catmaid", latency=0.05) as server:
        with Connection(server.url, backend="catmaid", project=server.project, token=server.token,
                        max_workers=2, timeout=5, retries=1, backoff=0.01, progress=False) as conn:
            yield server, conn


def test_ctrl_c_during_a_batch_save_then_save_again(slow_catmaid):
    server, _ = slow_catmaid
    batch = NeuronCollection(Neuron.from_swc(SWC, name=f"interrupted {i}") for i in range(30))
    ctrl_c(0.4)
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        batch.save()
    assert time.perf_counter() - started < 1.5
    sent = len(names_stored(server))
    time.sleep(0.3)
    assert len(names_stored(server)) == sent < 30  # nothing more is sent after the interrupt
    states = {m.state for m in batch}
    assert states <= {SaveState.STORED, SaveState.NEW, SaveState.UNKNOWN}
    assert sum(m.state is SaveState.STORED for m in batch) <= sent
    batch.save()  # finishes the job
    stored = names_stored(server)
    assert sorted(stored) == sorted(f"interrupted {i}" for i in range(30))  # each once
    assert all(m.id is not None and m.state is SaveState.STORED for m in batch)


def test_ctrl_c_during_a_batch_delete_then_delete_again(slow_catmaid):
    server, _ = slow_catmaid
    batch = NeuronCollection(Neuron.from_swc(SWC, name=f"doomed {i}") for i in range(30)).save()
    ctrl_c(0.4)
    with pytest.raises(KeyboardInterrupt):
        batch.delete()
    left = len(names_stored(server))
    assert 0 < left < 30 and len(batch) >= left  # deleted members left the collection
    batch.delete()
    assert names_stored(server) == [] and len(batch) == 0


def test_two_threads_saving_one_collection_store_each_item_once(slow_catmaid):
    server, conn = slow_catmaid
    batch = NeuronCollection(Neuron.from_swc(SWC, name=f"shared {i}") for i in range(40))
    errors: list[BaseException] = []

    def save() -> None:
        try:
            batch.save(connection=conn)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=save) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert sorted(names_stored(server)) == sorted(f"shared {i}" for i in range(40))
