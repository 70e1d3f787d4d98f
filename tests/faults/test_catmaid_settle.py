"""CATMAID writes whose reply is lost or unreadable: never counted as failed (so never stored
twice), and settled only onto a neuron the library can show it created.

A small loopback proxy in front of the bundled server rewrites chosen replies (the bundled
server itself always answers correctly); the bundled server's own faults drop replies."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

import pytest
import requests

from neuromodels import Connection, Connector, ConnectorCollection, Neuron, NeuronCollection, PartialSaveError
from neuromodels.core.state import SaveState
from neuromodels.testing import Fault, serve

SWC = "1 1 0 0 0 5 -1\n2 3 10 0 0 5 1\n3 3 20 0 0 5 2\n"


class Proxy:
    """Forwards every request to ``target``; ``rewrite(path, body)`` may replace a reply body."""

    def __init__(self, target: str, rewrite: Callable[[str, bytes], bytes | None]) -> None:
        proxy = self
        self.rewritten = 0

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                answer = requests.request(self.command, target + self.path, data=body, headers=headers,
                                          allow_redirects=False, timeout=10)
                content = answer.content
                changed = rewrite(self.path, content)
                if changed is not None:
                    proxy.rewritten += 1
                    content = changed
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
                if answer.headers.get("Date"):
                    self.send_header("Date", answer.headers["Date"])
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def conn_for(server: Any, url: str | None = None, **kw: Any) -> Connection:
    options = dict(backend="catmaid", project=server.project, token=server.token, timeout=5, retries=1,
                   backoff=0.01, progress=False, max_workers=1)
    options.update(kw)
    return Connection(url or server.url, **options)


def count_named(server: Any, name: str) -> int:
    return server._app.db.read("SELECT COUNT(*) FROM class_instance WHERE kind = 'neuron' AND name = ?", (name,))[0][0]


@pytest.fixture
def catmaid_server():
    with serve("catmaid") as server:
        yield server


def test_connector_reply_without_id_is_unknown_and_not_stored_twice(catmaid_server):
    def drop_id(path: str, body: bytes) -> bytes | None:
        if path.endswith("/connector/create"):
            data = json.loads(body)
            data.pop("connector_id", None)
            return json.dumps(data).encode()
        return None

    proxy = Proxy(catmaid_server.url, drop_id)
    try:
        with conn_for(catmaid_server):
            n = Neuron.from_swc(SWC, name="linked").save()
            node = int(n.nodes.node_id.iloc[0])
        with conn_for(catmaid_server, url=proxy.url):
            batch = ConnectorCollection([Connector(x=float(i), y=0.0, z=0.0, links=[(node, "presynaptic_to")])
                                         for i in range(3)])
            with pytest.raises(PartialSaveError) as info:
                batch.save()
            assert len(info.value.unknown) == 3 and not info.value.failed  # stored, reply unreadable
            assert all(c.state is SaveState.UNKNOWN for c in batch)
            batch.save()  # settled by looking: each found at its place with its links, nothing resent
            assert sorted(c.id is not None for c in batch) == [True] * 3 and len({c.id for c in batch}) == 3
        assert proxy.rewritten == 3
        with conn_for(catmaid_server):
            assert len(ConnectorCollection(neuron=n.id).fetch()) == 3  # 3 stored for 3, not 6
    finally:
        proxy.close()


def test_import_reply_without_ids_is_unknown_then_settled(catmaid_server):
    def drop_map(path: str, body: bytes) -> bytes | None:
        if path.endswith("/skeletons/import"):
            return b'{"neuron_id": 1}'
        return None

    proxy = Proxy(catmaid_server.url, drop_map)
    try:
        with conn_for(catmaid_server, url=proxy.url):
            batch = NeuronCollection([Neuron.from_swc(SWC, name="unreadable import")])
            with pytest.raises(PartialSaveError) as info:
                batch.save()
            assert len(info.value.unknown) == 1 and not info.value.failed
        # A copy of the model was never sent: nothing can be shown to be it, so it stays unknown.
        stranger = NeuronCollection([Neuron.from_swc(SWC, name="unreadable import")])
        stranger[0].set_state(SaveState.UNKNOWN)
        with conn_for(catmaid_server):
            with pytest.raises(PartialSaveError, match="did not send its import"):
                stranger.save()
        with conn_for(catmaid_server):  # a new connection (as after a restart) settles the sent one
            batch.save()
        assert batch[0].id is not None and count_named(catmaid_server, "unreadable import") == 1
    finally:
        proxy.close()


def test_an_older_identical_neuron_is_never_adopted(catmaid_server):
    """The same SWC imported earlier under the same name (by anyone) is not the lost import."""
    name = "same swc same name"
    with conn_for(catmaid_server):
        earlier = Neuron.from_swc(SWC, name=name).save()
    catmaid_server.add_fault(Fault("reset", path="skeletons/import", when="before"))  # never stored
    with conn_for(catmaid_server):
        batch = NeuronCollection([Neuron.from_swc(SWC, name=name)])
        with pytest.raises(PartialSaveError) as info:
            batch.save()
        assert len(info.value.unknown) == 1
        batch.save()  # looked up: only an older one matches, so it was not stored: sent again
    assert batch[0].id != earlier.id and count_named(catmaid_server, name) == 2


def test_lost_reply_adopts_only_the_neuron_created_after_the_send(catmaid_server):
    name = "twin with history"
    with conn_for(catmaid_server):
        earlier = Neuron.from_swc(SWC, name=name).save()
    catmaid_server.add_fault(Fault("reset", path="skeletons/import", when="after"))  # stored, reply lost
    with conn_for(catmaid_server):
        batch = NeuronCollection([Neuron.from_swc(SWC, name=name)])
        with pytest.raises(PartialSaveError):
            batch.save()
        batch.save()
    assert count_named(catmaid_server, name) == 2  # not imported a third time
    assert batch[0].id is not None and batch[0].id != earlier.id


def test_two_lost_imports_of_one_swc_in_one_batch_each_get_their_own(catmaid_server):
    name = "identical pair"
    catmaid_server.add_fault(Fault("reset", path="skeletons/import", when="after", times=2))
    with conn_for(catmaid_server):
        batch = NeuronCollection([Neuron.from_swc(SWC, name=name), Neuron.from_swc(SWC, name=name)])
        with pytest.raises(PartialSaveError) as info:
            batch.save()
        assert len(info.value.unknown) == 2
        # Both were created after the send and look alike: which is which cannot be told.
        with pytest.raises(PartialSaveError, match="cannot be told"):
            batch.save()
    assert count_named(catmaid_server, name) == 2  # never a third


def test_volume_reply_without_id_is_unknown_not_failed(catmaid_server):
    from neuromodels import ProtocolError, Volume

    proxy = Proxy(catmaid_server.url, lambda path, body: b"{}" if path.endswith("/volumes/add") else None)
    try:
        with conn_for(catmaid_server, url=proxy.url):
            v = Volume(name="lost id", vertices=[[0, 0, 0], [1, 0, 0], [0, 1, 0]], faces=[[0, 1, 2]])
            with pytest.raises(ProtocolError) as info:
                v.save()
            assert info.value.outcome_unknown and info.value.sent  # stored, maybe: never a certain failure
        assert catmaid_server._app.db.read("SELECT COUNT(*) FROM volume WHERE name = 'lost id'")[0][0] == 1
    finally:
        proxy.close()


def test_lost_connector_reply_never_adopts_an_older_twin(catmaid_server):
    """Another client's identical connector, made just before: the create that never arrived
    is sent again, not mapped onto it (the server's clock is known from our own writes)."""
    with conn_for(catmaid_server):
        n = Neuron.from_swc(SWC, name="twin host").save()
        node = int(n.nodes.node_id.iloc[0])
    other = requests.post(f"{catmaid_server.url}/{catmaid_server.project}/connector/create",
                          headers={"X-Authorization": f"Token {catmaid_server.token}"}, timeout=5,
                          data={"x": "7.0", "y": "7.0", "z": "7.0", "confidence": "5", "links[0][0]": str(node),
                                "links[0][1]": str(_relation(catmaid_server, "presynaptic_to")), "links[0][2]": "5"})
    twin = other.json()["connector_id"]
    # Made a tenth of a second before ours: the server's record tells them apart (within a few
    # milliseconds of each other, nothing can, and the create would stay unknown or be adopted).
    time.sleep(0.1)
    catmaid_server.add_fault(Fault("reset", path="connector/create", when="before", skip=1))  # 2nd never stored
    with conn_for(catmaid_server):
        batch = ConnectorCollection([Connector(x=8.0, y=8.0, z=8.0, links=[(node, "presynaptic_to")]),
                                     Connector(x=7.0, y=7.0, z=7.0, links=[(node, "presynaptic_to")])])
        with pytest.raises(PartialSaveError) as info:
            batch.save()
        assert len(info.value.saved) == 1 and len(info.value.unknown) == 1
        batch.save()
        assert batch[1].id is not None and batch[1].id != twin
        assert len(ConnectorCollection(neuron=n.id).fetch()) == 3


def _relation(server, name):
    return server._app.db.read("SELECT id FROM relation WHERE name = ?", (name,))[0][0]
