"""The opt-in read cache: reads are served from it, a write through the connection makes the
next read see the write, the cache survives the process when it is a file, entries expire,
credentials are never stored and two users never share entries."""

from __future__ import annotations

import time

import pytest

from neuromodels import Connection, Neuron, NeuronCollection
from neuromodels.testing import serve

SWC = "1 1 0 0 0 1 -1\n2 3 10 0 0 1 1\n"


@pytest.fixture(scope="module")
def server():
    with serve("catmaid") as server:
        yield server


def connect(server, **kw):
    return Connection(server.url, backend="catmaid", project=server.project, token=server.token, progress=False,
                      retries=0, **kw)


def test_reads_come_from_the_cache_and_a_write_is_seen_by_the_next_read(server):
    with connect(server, cache=True) as conn:
        n = Neuron.from_swc(SWC, name="cached", annotations=["cache test"]).save()
        assert [x.name for x in NeuronCollection(annotation="cache test").fetch()] == ["cached"]
        before = server.requests
        assert [x.name for x in NeuronCollection(annotation="cache test").fetch()] == ["cached"]
        assert server.requests == before and conn.transport.cache.hits > 0
        n.update(name="renamed")  # a write through the connection
        assert [x.name for x in NeuronCollection(annotation="cache test").fetch()] == ["renamed"]
        assert server.requests > before
        n.delete()


def test_a_cache_file_outlives_the_connection_and_holds_no_credential(server, tmp_path):
    path = str(tmp_path / "reads.sqlite")
    with connect(server, cache=path):
        Neuron.from_swc(SWC, name="persisted", annotations=["file cache"]).save()
        NeuronCollection(annotation="file cache").fetch()
    with connect(server, cache=path):  # as a new process would
        before = server.requests
        assert [x.name for x in NeuronCollection(annotation="file cache").fetch()] == ["persisted"]
        assert server.requests == before
    assert server.token.encode() not in open(path, "rb").read()


def test_entries_expire(server):
    with connect(server, cache=True, cache_ttl=0.3):
        assert NeuronCollection(name="nothing here yet").count() == 0
        before = server.requests
        NeuronCollection(name="nothing here yet").count()
        assert server.requests == before
        time.sleep(0.4)
        NeuronCollection(name="nothing here yet").count()
        assert server.requests > before


def test_another_user_does_not_get_my_cached_reads(server, tmp_path):
    path = str(tmp_path / "shared.sqlite")
    with connect(server, cache=path):
        NeuronCollection(name="per user").count()
    other = Connection(server.url, backend="catmaid", project=server.project, token="another-users-token",
                       cache=path, retries=0, progress=False)
    with other:
        before = server.requests
        with pytest.raises(Exception):
            NeuronCollection(name="per user").count()  # refused by the server, not answered from the cache
        assert server.requests > before


def test_cache_options_are_checked():
    with pytest.raises(TypeError):
        Connection("http://127.0.0.1:9", backend="catmaid", cache=3)
    with pytest.raises(ValueError):
        Connection("http://127.0.0.1:9", backend="catmaid", cache=True, cache_ttl=-1)
