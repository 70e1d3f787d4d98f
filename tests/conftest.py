import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

#: Headers and query parameters that carry credentials on any backend.
SECRET_HEADERS = ["X-Authorization", "Authorization", "authorization", "Cookie", "Set-Cookie", "X-CSRFToken"]
SECRET_QUERY = ["token", "api_key", "access_token", "key", "publicKey", "privateKey"]


#: Keys a server may send back in a body (Cytomine's user/current.json carries the user's keys).
_BODY_KEYS = re.compile(rb'("(?:publicKey|privateKey|token|api_token|access_token)"\s*:\s*)"[^"]*"')


def _scrub_response(response):
    for name in list(response.get("headers", {})):
        if name.lower() in ("set-cookie", "www-authenticate-token"):
            response["headers"].pop(name)
    body = response.get("body", {}).get("string")
    if isinstance(body, bytes) and body:
        response["body"]["string"] = _BODY_KEYS.sub(rb'\1"<SCRUBBED>"', body)
    return response


def _normalized_body(request):
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    ctype = request.headers.get("Content-Type", "") or ""
    if "multipart/form-data" in ctype and "boundary=" in ctype:
        # requests picks a random boundary per upload: compare the parts, not the boundary.
        body = body.replace(ctype.split("boundary=", 1)[1].encode(), b"BOUNDARY")
    return body


def _form_body(r1, r2):
    assert _normalized_body(r1) == _normalized_body(r2)


def _vcr_responses_give_their_connection_back():
    """vcrpy before 9 (the last on Python 3.10) has no ``release_conn`` on its replayed responses,
    so urllib3's pool never gets their connections back; with the transport's blocking pool a
    replay would wait forever for a free connection. Give them the method urllib3's own
    responses have."""
    try:
        from vcr.stubs import VCRHTTPResponse
    except ImportError:
        return
    if hasattr(VCRHTTPResponse, "release_conn"):
        return

    def release_conn(self):
        pool, conn = getattr(self, "_pool", None), getattr(self, "_connection", None)
        if pool is not None and conn is not None:
            pool._put_conn(conn)
            self._connection = None

    VCRHTTPResponse.release_conn = release_conn


_vcr_responses_give_their_connection_back()


def pytest_recording_configure(config, vcr):
    vcr.register_matcher("form_body", _form_body)


def vcr_settings():
    """The recording settings every cassette is made with (credentials scrubbed)."""
    return {
        "match_on": ["method", "path", "query", "form_body"],
        "filter_headers": [(h, "<SCRUBBED>") for h in SECRET_HEADERS],
        "filter_query_parameters": [(q, "<SCRUBBED>") for q in SECRET_QUERY],
        "filter_post_data_parameters": [("csrfmiddlewaretoken", "<SCRUBBED>")],
        "decode_compressed_response": True,
        "before_record_response": _scrub_response,
    }


@pytest.fixture(scope="module")
def vcr_config():
    return vcr_settings()


@pytest.fixture(scope="module")
def vcr_cassette_dir(request):
    # cassettes/<backend>/<test module>/<test>.yaml, the backend being the test's folder.
    module = Path(request.module.__file__)
    return str(ROOT / "cassettes" / module.parent.name / module.stem)
