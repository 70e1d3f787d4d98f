"""Random faults on every writable resource: 503 before the server sees a request, replies
lost after it stored the write, replies held back — at 15 %/15 %/4 %, through a chaos proxy in
front of each bundled server. ``save()`` repeated until it returns stores every object exactly
once, within 12 rounds. (The heavy soak, 200 objects × three seeds per resource, is
``benchmarks/random_faults.py``.)"""

from __future__ import annotations

import pytest

from neuromodels import Connection, Neuron, NeuronCollection, PartialSaveError
from neuromodels.core.model import SaveState
from neuromodels.testing import Fault, serve
from neuromodels.testing.chaos import ChaosProxy
from neuromodels.testing.soak import SCENARIOS, soak

SWC = "1 1 0 0 0 5 -1\n2 3 10 0 0 5 1\n3 3 20 0 0 5 2\n"


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_object_stored_exactly_once_under_random_faults(scenario):
    n = 120 if SCENARIOS[scenario].bulk else 16
    result = soak(scenario, n=n, seed=32, delay=0.05, max_rounds=12, max_seconds=60, timeout=10)
    assert result.converged, result
    assert (result.duplicates, result.missing, result.stored) == (0, 0, n), result
    assert result.fates.get("lose", 0) > 0 and result.fates.get("refuse", 0) > 0  # the faults did fire


def test_the_proxy_draws_each_fate_and_forwards_only_to_loopback():
    with pytest.raises(ValueError, match="loopback"):
        ChaosProxy("http://example.org")
    with serve("neuromorpho") as server, ChaosProxy(server.url, seed=3, refuse=0.5, lose=0.0, slow=0.0,
                                                    delay=0.0) as proxy:
        import requests

        answers = [requests.get(proxy.url + "/api/health", timeout=5).status_code for _ in range(40)]
    assert set(answers) == {200, 503} and proxy.fates["refuse"] == answers.count(503)


def stored(server, name):
    return server._app.db.read("SELECT COUNT(*) FROM class_instance WHERE kind = 'neuron' AND name = ?", (name,))[0][0]


def test_a_lookup_that_adopted_then_lost_its_round_adopts_again_and_resends_nothing():
    """Two imports lose their replies; the next save() adopts the first and fails to look up the
    second. The first stays adopted, the second stays unknown (never resent), and the third
    save() settles it: each neuron once."""
    with serve("catmaid") as server:
        server.add_fault(Fault("reset", method="POST", path=r"/skeletons/import$", when="after", times=2))
        with Connection(server.url, backend="catmaid", project=server.project, token=server.token, retries=0,
                        timeout=5, max_workers=1, progress=False):
            batch = NeuronCollection([Neuron.from_swc(SWC, name="first"), Neuron.from_swc(SWC, name="second")])
            with pytest.raises(PartialSaveError):
                batch.save()
            assert [n.state for n in batch] == [SaveState.UNKNOWN] * 2
            server.add_fault(Fault("status", status=502, method="POST", path=r"/node/user-info$", skip=1))
            with pytest.raises(PartialSaveError) as info:
                batch.save()
            assert info.value.saved == [batch[0]] and info.value.unknown == [batch[1]] and not info.value.failed
            batch.save()
        assert all(n.state is SaveState.STORED for n in batch)
        assert (stored(server, "first"), stored(server, "second")) == (1, 1)
