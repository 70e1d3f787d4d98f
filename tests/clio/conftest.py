import os

import pytest

from neuromodels import Connection
from neuromodels.testing import serve


@pytest.fixture(scope="module")
def clio_target():
    """Clio: live when NEUROMODELS_TEST_CLIO_URL/_TOKEN/_PROJECT are set, else the bundled store."""
    url = os.environ.get("NEUROMODELS_TEST_CLIO_URL")
    if url:
        yield {"url": url, "token": os.environ["NEUROMODELS_TEST_CLIO_TOKEN"],
               "project": os.environ["NEUROMODELS_TEST_CLIO_PROJECT"], "server": None}
        return
    with serve("clio") as server:
        yield {"url": server.url, "token": server.token, "project": server.project, "server": server}


def connect_to(target, **options):
    settings = dict(backend="clio", project=target["project"], token=target["token"], timeout=10, retries=2,
                    backoff=0.01, progress=False)
    settings.update(options)
    return Connection(target["url"], **settings)


@pytest.fixture
def clio(clio_target):
    with connect_to(clio_target) as conn:
        yield conn


@pytest.fixture
def bundled(clio_target):
    if clio_target["server"] is None:
        pytest.skip("needs the bundled server")
    return clio_target["server"]
