import pytest

from neuromodels import Connection

import toy  # registers the toy backend


@pytest.fixture
def server():
    with toy.ToyServer() as server:
        yield server


def connect(server, **kw):
    """A connection to the toy server with fast timeouts and backoff."""
    options = dict(backend="toy", token=server.token, timeout=2, retries=2, backoff=0.01, progress=False)
    options.update(kw)
    return Connection(server.url, **options)
