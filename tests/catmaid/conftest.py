import os

import pytest

from neuromodels import Connection
from neuromodels.testing import serve

SWC = """# contract test neuron
1 1 5040.0 6010.0 900.0 12.5 -1
2 3 5080.0 6020.0 900.0 4.0 1
3 3 5120.0 6030.0 909.0 4.0 2
4 3 5160.0 6040.0 909.0 4.0 3
5 3 5100.0 5990.0 909.0 3.0 2
6 3 5140.0 5970.0 918.0 3.0 5
"""


@pytest.fixture(scope="module")
def catmaid_target():
    """A writable CATMAID: live when NEUROMODELS_TEST_CATMAID_URL/_TOKEN/_PROJECT are set,
    otherwise the bundled server."""
    url = os.environ.get("NEUROMODELS_TEST_CATMAID_URL")
    if url:
        yield {"url": url, "token": os.environ["NEUROMODELS_TEST_CATMAID_TOKEN"],
               "project": int(os.environ["NEUROMODELS_TEST_CATMAID_PROJECT"]), "server": None}
        return
    with serve("catmaid") as server:
        yield {"url": server.url, "token": server.token, "project": server.project, "server": server}


@pytest.fixture
def catmaid(catmaid_target):
    with Connection(catmaid_target["url"], backend="catmaid", project=catmaid_target["project"],
                    token=catmaid_target["token"], timeout=10, retries=2, backoff=0.01, progress=False) as conn:
        yield conn


@pytest.fixture
def bundled(catmaid_target):
    if catmaid_target["server"] is None:
        pytest.skip("needs the bundled server (fault injection or storage checks)")
    return catmaid_target["server"]
