"""A connection closed by the user stays closed: passed explicitly or entered again, it raises
instead of quietly opening a new session; ``with`` blocks alone never close it for good."""

from __future__ import annotations

import pytest

from neuromodels import Neuron, NeuronCollection, NoConnection
from neuromodels.testing import connect, serve


@pytest.fixture(scope="module")
def server():
    with serve("catmaid") as s:
        yield s


def test_save_with_a_closed_connection_raises(server):
    conn = connect(server, progress=False)
    conn.close()
    assert conn.closed
    before = server.requests
    with pytest.raises(NoConnection, match="was closed.*make a new Connection"):
        Neuron.from_swc("1 1 0 0 0 1 -1\n", name="x").save(connection=conn)
    with pytest.raises(NoConnection, match="was closed"):
        NeuronCollection(annotation="PN").fetch(connection=conn)
    assert server.requests == before  # nothing was sent


def test_entering_a_closed_connection_raises(server):
    conn = connect(server, progress=False)
    conn.close()
    with pytest.raises(NoConnection, match="was closed"):
        with conn:
            pass


def test_closed_inside_its_with_block(server):
    with connect(server, progress=False) as conn:
        conn.close()
        with pytest.raises(NoConnection, match="was closed"):
            NeuronCollection(annotation="PN").fetch()


def test_with_blocks_do_not_close_for_good(server):
    conn = connect(server, progress=False)
    for _ in range(2):
        with conn:
            assert NeuronCollection().count() >= 0
    assert not conn.closed
