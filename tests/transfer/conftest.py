from __future__ import annotations

import pytest

from neuromodels import Connection
from neuromodels.testing import serve


def connect(server, **options):
    """A connection to a bundled server that gives up fast when it is stopped."""
    options = {"timeout": 5, "retries": 1, "backoff": 0.01, "progress": False, **options}
    return Connection(server.url, backend=server.backend, project=server.project, token=server.token,
                      public_key=server.public_key, private_key=server.private_key, **options)


@pytest.fixture
def pair(request, tmp_path):
    """Two bundled servers (source, target) of the kinds the test names, on files that survive
    a stop and start."""
    source_kind, target_kind = request.param
    with serve(source_kind, db=str(tmp_path / "source.sqlite")) as source, \
            serve(target_kind, db=str(tmp_path / "target.sqlite")) as target:
        yield source, target


def restart(server, seconds: float = 5.0):
    """Start a server a stop fault stopped, on its port, once the old socket is closed."""
    import time

    deadline = time.monotonic() + seconds
    while server.running and time.monotonic() < deadline:  # the stop runs in its own thread
        time.sleep(0.02)
    while True:
        try:
            return server.start()
        except (SystemExit, OSError):  # werkzeug exits when the port is still held
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def per_neuron_markers(target) -> "collections.Counter[str]":
    """How many skeletons on a bundled CATMAID carry each per-neuron marker: the import origins
    CATMAID keeps (``copied from <source>#neuron/<id>``), and marker annotations of older copies."""
    import collections

    from neuromodels.transfer import Origin

    rows = target._app.db.read("SELECT ds.url, so.source_id FROM skeleton_origin so JOIN data_source ds ON ds.id = so.data_source_id")
    found = collections.Counter(Origin(url, "neuron", str(source)).marker for url, source in rows)
    with Connection(target.url, backend="catmaid", project=target.project, token=target.token, progress=False):
        from neuromodels import NeuronCollection

        for n in NeuronCollection().fetch(nodes=False):
            found.update(a for a in n.annotations if Origin.parse(a) is not None)
    return found
