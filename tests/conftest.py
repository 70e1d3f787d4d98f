import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

#: Headers and query parameters that carry credentials on any backend.
SECRET_HEADERS = ["X-Authorization", "Authorization", "authorization", "Cookie", "Set-Cookie", "X-CSRFToken"]
SECRET_QUERY = ["token", "api_key", "access_token", "key", "publicKey", "privateKey"]


def _scrub_response(response):
    for name in list(response.get("headers", {})):
        if name.lower() in ("set-cookie", "www-authenticate-token"):
            response["headers"].pop(name)
    return response


@pytest.fixture(scope="module")
def vcr_config():
    return {
        "match_on": ["method", "path", "query", "body"],
        "filter_headers": [(h, "<SCRUBBED>") for h in SECRET_HEADERS],
        "filter_query_parameters": [(q, "<SCRUBBED>") for q in SECRET_QUERY],
        "filter_post_data_parameters": [("csrfmiddlewaretoken", "<SCRUBBED>")],
        "decode_compressed_response": True,
        "before_record_response": _scrub_response,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir(request):
    # cassettes/<backend>/<test module>/<test>.yaml, the backend being the test's folder.
    module = Path(request.module.__file__)
    return str(ROOT / "cassettes" / module.parent.name / module.stem)
