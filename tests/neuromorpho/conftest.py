import os

import pytest

from neuromodels import Connection
from neuromodels.testing import serve


@pytest.fixture(scope="module")
def neuromorpho_target():
    """NeuroMorpho.org: live when NEUROMODELS_TEST_NEUROMORPHO_URL is set, else the bundled server."""
    url = os.environ.get("NEUROMODELS_TEST_NEUROMORPHO_URL")
    if url:
        yield {"url": url, "server": None}
        return
    with serve("neuromorpho") as server:
        yield {"url": server.url, "server": server}


@pytest.fixture
def neuromorpho(neuromorpho_target):
    with Connection(neuromorpho_target["url"], backend="neuromorpho", timeout=30, retries=2, backoff=0.01,
                    progress=False) as conn:
        yield conn


@pytest.fixture
def bundled(neuromorpho_target):
    if neuromorpho_target["server"] is None:
        pytest.skip("needs the bundled server")
    return neuromorpho_target["server"]
