import pytest

from neuromodels import Connection
from neuromodels.testing import serve

#: Ids of the bundled deployment (see neuromodels/testing/cave/store.py).
ROOT = 10 << 56
SV = 1 << 56
A, B, C = ROOT + 1000, ROOT + 1001, ROOT + 1002     # A and B merged into AB at T2; C split at T4
AB, C1, C2 = ROOT + 2000, ROOT + 2001, ROOT + 2002
D = ROOT + 1003                                      # never edited


def sv(k, j=0):
    return SV + 100 * (k + 1) + j


@pytest.fixture(scope="module")
def cave_server():
    with serve("cave") as server:
        yield server


def connect_to(server, **options):
    settings = dict(backend="cave", project=server.project, token=server.token, timeout=10, retries=2,
                    backoff=0.01, progress=False)
    settings.update(options)
    return Connection(server.url, **settings)


@pytest.fixture
def cave(cave_server):
    with connect_to(cave_server) as conn:
        yield conn
