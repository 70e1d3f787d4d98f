import os
import re

import pytest

from neuromodels import Connection
from neuromodels.testing import serve


@pytest.fixture(scope="module")
def cytomine_target():
    """A writable Cytomine: live when NEUROMODELS_TEST_CYTOMINE_URL/_PUBLIC_KEY/_PRIVATE_KEY
    (and _PROJECT) are set, otherwise the bundled server."""
    url = os.environ.get("NEUROMODELS_TEST_CYTOMINE_URL")
    if url:
        yield {"url": url, "public_key": os.environ["NEUROMODELS_TEST_CYTOMINE_PUBLIC_KEY"],
               "private_key": os.environ["NEUROMODELS_TEST_CYTOMINE_PRIVATE_KEY"],
               "project": int(os.environ["NEUROMODELS_TEST_CYTOMINE_PROJECT"]), "server": None}
        return
    with serve("cytomine") as server:
        yield {"url": server.url, "public_key": server.public_key, "private_key": server.private_key,
               "project": server.project, "server": server}


def connect_to(target, **options):
    settings = dict(backend="cytomine", project=target["project"], public_key=target["public_key"],
                    private_key=target["private_key"], timeout=10, retries=2, backoff=0.01, progress=False)
    settings.update(options)
    return Connection(target["url"], **settings)


@pytest.fixture
def cytomine(cytomine_target):
    with connect_to(cytomine_target) as conn:
        yield conn


@pytest.fixture
def bundled(cytomine_target):
    if cytomine_target["server"] is None:
        pytest.skip("needs the bundled server (fault injection or storage checks)")
    return cytomine_target["server"]


@pytest.fixture
def image(cytomine):
    from neuromodels import ImageInstanceCollection

    return max(ImageInstanceCollection().fetch(), key=lambda i: i.width * i.height)


_KEYS = re.compile(rb'("(?:publicKey|privateKey)"\s*:\s*)"[^"]*"')


def _scrub_keys(response):
    """Cytomine's user/current.json answers with the user's keys: masked before recording."""
    from conftest import _scrub_response

    response = _scrub_response(response)
    body = response.get("body", {}).get("string")
    if isinstance(body, str):
        response["body"]["string"] = _KEYS.sub(rb'\1"<SCRUBBED>"', body.encode()).decode()
    elif isinstance(body, bytes):
        response["body"]["string"] = _KEYS.sub(rb'\1"<SCRUBBED>"', body)
    return response


@pytest.fixture(scope="module")
def vcr_config():
    from conftest import vcr_settings

    return {**vcr_settings(), "before_record_response": _scrub_keys}
