"""Servers that misbehave on purpose: redirecting elsewhere, dripping bytes, bombing with gzip,
asking for absurd pauses, answering writes with garbage. Each is a tiny loopback server written
here, so it can do what the bundled servers never would. Every case is bounded in time."""

from __future__ import annotations

import gzip
import json
import shutil
import ssl
import subprocess
import threading
import time
import tracemalloc
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

import pytest

from neuromodels import AuthenticationError, Connection, ProtocolError, ServerError, ServerUnavailable
from neuromodels.backends.cytomine import signature
from neuromodels.errors import RedirectRefused, ResponseTooLarge
from neuromodels.transport import same_origin

TOKEN = "SECRETtoken0hostile0d15t1nct1ve"


class Hostile:
    """A loopback HTTP server whose every reply is ``script(handler)``; it records each request
    as ``(method, path, headers)``."""

    def __init__(self, script: Callable[["Handler"], None], tls: ssl.SSLContext | None = None) -> None:
        self.script = script
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.stop = threading.Event()
        hostile = self

        class _Handler(Handler):
            server_side = hostile

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "Hostile":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Handler(BaseHTTPRequestHandler):
    server_side: Hostile

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def handle_one(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        self.server_side.seen.append((self.command, self.path, dict(self.headers)))
        try:
            self.server_side.script(self)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            pass

    do_GET = do_POST = do_PUT = do_DELETE = handle_one

    def reply(self, status: int, body: bytes | str | Any = b"", headers: dict[str, str] | None = None,
              content_type: str = "application/json") -> None:
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def drip(self, data: bytes, per_second: float = 4.0) -> None:
        for i in range(len(data)):
            if self.server_side.stop.is_set():
                return
            self.wfile.write(data[i : i + 1])
            self.wfile.flush()
            time.sleep(1 / per_second)


def catmaid(url: str, **options: Any) -> Connection:
    settings: dict[str, Any] = dict(backend="catmaid", project=1, token=TOKEN, timeout=2, retries=2, backoff=0.01,
                                    progress=False)
    settings.update(options)
    return Connection(url, **settings)


# -- redirects ---------------------------------------------------------------------------------------
def test_redirect_to_another_port_is_refused_and_the_token_stays_home():
    with Hostile(lambda h: h.reply(200, {"stolen": True})) as elsewhere:
        with Hostile(lambda h: h.reply(302, headers={"Location": elsewhere.url + "/collect?x=1"})) as server:
            with pytest.raises(RedirectRefused) as info:
                catmaid(server.url).transport.request("GET", "/1/projects")
    assert info.value.location == elsewhere.url + "/collect"
    assert elsewhere.url in str(info.value) and "x=1" not in str(info.value)
    assert elsewhere.seen == []  # not even a request without credentials


CREDENTIALS = {
    "catmaid": dict(token=TOKEN, http_user="u", http_password=TOKEN),
    "clio": dict(token=TOKEN),
    "cave": dict(token=TOKEN),
    "cytomine": dict(public_key=TOKEN, private_key=TOKEN + "2"),
    "neuromorpho": dict(http_user="u", http_password=TOKEN),
}


@pytest.mark.parametrize("backend", sorted(CREDENTIALS))
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_no_backend_sends_credentials_to_another_origin(backend, status):
    with Hostile(lambda h: h.reply(200, {"stolen": True})) as elsewhere:
        with Hostile(lambda h: h.reply(status, headers={"Location": elsewhere.url + "/x"})) as server:
            conn = Connection(server.url, backend=backend, retries=1, timeout=2, **CREDENTIALS[backend])
            with pytest.raises(RedirectRefused):
                conn.transport.request("GET", "/api/x")
    sent = {k.lower() for k in server.seen[0][2]}
    assert sent & {"authorization", "x-authorization"}  # the credentials went where they belong ...
    assert elsewhere.seen == []  # ... and nowhere else


def test_redirect_to_another_host_name_is_refused():
    # localhost and 127.0.0.1 reach the same socket, but they are different origins
    with Hostile(lambda h: h.reply(200, {"ok": True}) if h.path.startswith("/b") else
                 h.reply(301, headers={"Location": f"http://localhost:{h.server_side.port}/b"})) as server:
        with pytest.raises(RedirectRefused, match="localhost"):
            catmaid(server.url).transport.request("GET", "/a")
    assert len(server.seen) == 1


def test_redirect_within_the_origin_is_followed_with_the_credentials():
    def script(h: Handler) -> None:
        if h.path.startswith("/old"):
            h.reply(302, headers={"Location": "/new?page=2"})
        else:
            h.reply(200, {"path": h.path, "token": h.headers.get("X-Authorization") == f"Token {TOKEN}"})

    with Hostile(script) as server:
        body = catmaid(server.url).transport.request("GET", "/old", params={"page": 1})
    assert body == {"path": "/new?page=2", "token": True}


def test_redirect_loops_are_bounded():
    with Hostile(lambda h: h.reply(302, headers={"Location": "/again"})) as server:
        with pytest.raises(ProtocolError, match="redirected"):
            catmaid(server.url).transport.request("GET", "/again")
    assert len(server.seen) == 6  # the request and five redirects


def test_a_write_is_never_redirected_and_its_fate_is_unknown():
    with Hostile(lambda h: h.reply(302, headers={"Location": "/elsewhere"})) as server:
        with pytest.raises(ProtocolError) as info:
            catmaid(server.url).transport.request("POST", "/1/annotations/add", data={"a": 1})
    assert len(server.seen) == 1
    # Post/redirect/get: the server may well have stored it before redirecting.
    assert info.value.sent is True and info.value.outcome_unknown is True


def test_cytomine_requests_are_signed_again_for_the_redirect_target():
    public, private = "pub-hostile", "priv-hostile"

    def script(h: Handler) -> None:
        if h.path.startswith("/api/old"):
            h.reply(302, headers={"Location": "/api/new.json?max=5"})
            return
        date = h.headers["date"]
        expected = signature(private, "GET", h.headers.get("content-type", ""), date, h.path)
        ok = h.headers.get("authorization") == f"CYTOMINE {public}:{expected}"
        h.reply(200 if ok else 401, {"signed_for": h.path} if ok else {"message": "bad signature"})

    with Hostile(script) as server:
        conn = Connection(server.url, backend="cytomine", public_key=public, private_key=private, signature="3.x",
                          retries=0, timeout=2)
        assert conn.transport.request("GET", "/api/old.json") == {"signed_for": "/api/new.json?max=5"}


# -- TLS -----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a throwaway certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    other = folder / "other.pem"  # a valid bundle that does not contain our certificate
    import certifi

    other.write_text(open(certifi.where()).read())
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return {"cert": str(cert), "other": str(other), "context": context}


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_verify_holds_against_the_environment(certificate, monkeypatch, variable):
    monkeypatch.setenv(variable, certificate["other"])
    with Hostile(lambda h: h.reply(200, {"ok": True}), tls=certificate["context"]) as server:
        assert catmaid(server.url, verify=certificate["cert"]).transport.request("GET", "/x") == {"ok": True}
        import urllib3

        with pytest.warns(urllib3.exceptions.InsecureRequestWarning):
            assert catmaid(server.url, verify=False).transport.request("GET", "/x") == {"ok": True}
        with pytest.raises(ServerUnavailable, match="TLS"):
            catmaid(server.url, retries=0).transport.request("GET", "/x")  # verify=True: the bundle rules


def test_https_never_falls_back_to_http(certificate):
    with Hostile(lambda h: h.reply(200, {"clear": True})) as plain:
        redirect = f"http://127.0.0.1:{plain.port}/x"
        with Hostile(lambda h: h.reply(301, headers={"Location": redirect}), tls=certificate["context"]) as server:
            with pytest.raises(RedirectRefused, match="http://127.0.0.1"):
                catmaid(server.url, verify=certificate["cert"]).transport.request("GET", "/x")
    assert plain.seen == []


def test_origin_rule():
    assert same_origin("http://a.org/x", "https://a.org/x")  # upgrade on the same host
    assert same_origin("http://a.org:8080/x", "https://a.org:8080/x")
    assert not same_origin("https://a.org/x", "http://a.org/x")
    assert not same_origin("https://a.org/x", "https://a.org.evil.com/x")
    assert not same_origin("https://a.org/x", "https://user@b.org/x")
    assert not same_origin("https://a.org/x", "https://a.org:99999/x")


# -- deadlines and sizes ----------------------------------------------------------------------------------
def test_a_dripping_body_does_not_hold_the_timeout():
    def script(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", "40")
        h.end_headers()
        h.drip(b'{"n": "' + b"x" * 31 + b'"}')

    with Hostile(script) as server:
        started = time.perf_counter()
        with pytest.raises(ServerUnavailable, match="did not arrive within 1 s"):
            catmaid(server.url, timeout=1, retries=3).transport.request("GET", "/slow")
        elapsed = time.perf_counter() - started
    assert elapsed < 1.8, f"held for {elapsed:.1f} s"
    assert len(server.seen) == 1  # too slow once is too slow again: not retried


def test_dripping_headers_do_not_hold_the_timeout():
    with Hostile(lambda h: h.drip(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{}")) as server:
        started = time.perf_counter()
        with pytest.raises(ServerUnavailable):
            catmaid(server.url, timeout=1, retries=0).transport.request("GET", "/slow")
        elapsed = time.perf_counter() - started
    assert elapsed < 1.8, f"held for {elapsed:.1f} s"


def test_a_gzip_bomb_stops_at_the_cap():
    bomb = gzip.compress(b"\0" * (48 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 100_000
    with Hostile(lambda h: h.reply(200, bomb, headers={"Content-Encoding": "gzip"})) as server:
        conn = catmaid(server.url, max_body=1024 * 1024, retries=0)
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLarge) as info:
                conn.transport.request("GET", "/bomb")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert info.value.limit == 1024 * 1024 and "max_body" in str(info.value)
    assert peak < 12 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB while decoding"


def test_a_gzip_bomb_is_caught_by_its_ratio_under_the_default_cap():
    bomb = gzip.compress(b"\0" * (96 * 1024 * 1024), compresslevel=9)  # 96 MiB from about 100 kB
    with Hostile(lambda h: h.reply(200, bomb, headers={"Content-Encoding": "gzip"})) as server:
        conn = catmaid(server.url, retries=0, timeout=30)
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLarge, match="compression bomb"):
                conn.transport.request("GET", "/bomb")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 48 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"


def test_max_body_can_be_lifted_for_one_call():
    body = b'"' + b"ab" * 1024 * 1024 + b'"'
    with Hostile(lambda h: h.reply(200, body)) as server:
        conn = catmaid(server.url, max_body=1024 * 1024, retries=0)
        with pytest.raises(ResponseTooLarge):
            conn.transport.request("GET", "/big")
        assert len(conn.transport.request("GET", "/big", max_body=None)) == 2 * 1024 * 1024


def test_a_body_that_lies_about_its_encoding_is_a_protocol_error():
    with Hostile(lambda h: h.reply(200, b"this is not gzip at all", headers={"Content-Encoding": "gzip"})) as server:
        with pytest.raises(ProtocolError, match="Content-Encoding"):
            catmaid(server.url, retries=1).transport.request("GET", "/x")
        assert len(server.seen) == 2  # a read: tried again once
        with pytest.raises(ProtocolError) as info:
            catmaid(server.url, retries=1).transport.request("POST", "/x")
    assert info.value.outcome_unknown is True and len(server.seen) == 3


def test_an_announced_huge_body_is_refused_without_reading_it():
    def script(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(10**12))
        h.end_headers()
        h.wfile.write(b"[")

    with Hostile(script) as server:
        with pytest.raises(ResponseTooLarge, match="announced"):
            catmaid(server.url, retries=0).transport.request("GET", "/huge")


def test_max_body_is_validated():
    with pytest.raises(ValueError, match="max_body"):
        catmaid("http://127.0.0.1:9", max_body=0)
    assert catmaid("http://127.0.0.1:9", max_body=None).transport.max_body is None


def once_then_ok(header: str) -> Callable[[Handler], None]:
    def script(h: Handler) -> None:
        if len(h.server_side.seen) == 1:
            h.reply(503, {"detail": "busy"}, headers={"Retry-After": header})
        else:
            h.reply(200, {"ok": True})

    return script


@pytest.mark.parametrize("header", ["0.05", "-5", "0", formatdate(time.time() - 3600, usegmt=True)])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_retry_after_short_negative_or_past_is_retried_at_once(header, method):
    with Hostile(once_then_ok(header)) as server:
        started = time.perf_counter()
        assert catmaid(server.url).transport.request(method, "/x") == {"ok": True}
    assert time.perf_counter() - started < 1.0 and len(server.seen) == 2


@pytest.mark.parametrize("header", ["nan", "inf", "-inf", "soon", "1e400", "Mon, 99 Foo 2024 25:61:61 GMT", "9" * 80])
def test_retry_after_nonsense_is_no_hint(header):
    with Hostile(once_then_ok(header)) as server:
        started = time.perf_counter()
        assert catmaid(server.url).transport.request("GET", "/x") == {"ok": True}  # a read: plain backoff
    assert time.perf_counter() - started < 1.0
    with Hostile(once_then_ok(header)) as server:
        with pytest.raises(ServerUnavailable):  # a write without a usable hint: not resent
            catmaid(server.url).transport.request("POST", "/x")
    assert len(server.seen) == 1


@pytest.mark.parametrize("header", ["1e9", "86400", formatdate(time.time() + 7 * 86400, usegmt=True)])
def test_retry_after_beyond_the_timeout_ends_the_call_at_once(header):
    with Hostile(once_then_ok(header)) as server:
        started = time.perf_counter()
        with pytest.raises(ServerUnavailable, match="asked to wait"):
            catmaid(server.url, timeout=1).transport.request("POST", "/x")
    assert time.perf_counter() - started < 0.5 and len(server.seen) == 1


def test_an_error_page_of_repeated_titles_is_read_in_linear_time():
    page = "<html><head>" + "<title>" * 6000 + "</head></html>"  # 42 kB, no closing tag
    with Hostile(lambda h: h.reply(500, page, content_type="text/html")) as server:
        started = time.perf_counter()
        with pytest.raises(ServerError):
            catmaid(server.url, retries=0).transport.request("GET", "/x")
        elapsed = time.perf_counter() - started
    assert elapsed < 0.3, f"{elapsed:.2f} s for one error page"
    from neuromodels.backends.catmaid.errors import html_title

    started = time.perf_counter()
    assert html_title("<TITLE>" * 200_000) is not None
    assert time.perf_counter() - started < 0.2


# -- writes whose reply cannot be read -------------------------------------------------------------------
@pytest.mark.parametrize("reply", [(200, b'{"id": 12'), (201, b"<html>saved</html>"), (200, b"")])
def test_a_write_answered_with_an_unreadable_body_is_unknown_never_failed(reply):
    status, body = reply
    with Hostile(lambda h: h.reply(status, body)) as server:
        with pytest.raises(ProtocolError) as info:
            catmaid(server.url).transport.request("POST", "/1/neuron/add")
    assert info.value.sent is True and info.value.outcome_unknown is True
    assert info.value.unknown_outcome is True  # the older name still answers
    assert len(server.seen) == 1


def test_a_write_cut_off_by_the_size_cap_is_unknown():
    with Hostile(lambda h: h.reply(200, b"[" + b"0," * 1000 + b"0]")) as server:
        with pytest.raises(ResponseTooLarge) as info:
            catmaid(server.url, max_body=100).transport.request("POST", "/1/neuron/add")
    assert info.value.sent is True and info.value.outcome_unknown is True


# -- errors that say what to do -------------------------------------------------------------------------
@pytest.mark.parametrize("reply", [
    (403, {"detail": "CSRF Failed: CSRF cookie not set."}, "application/json"),
    (403, "<html><head><title>403 Forbidden</title></head><body><p>CSRF verification failed. Request aborted.</p>"
          "</body></html>", "text/html"),
    (403, {"error": "User 'AnonymousUser' with ID 1 does not have the required permissions in project 1",
           "type": "PermissionError", "detail": ""}, "application/json"),
])
def test_catmaid_without_a_token_says_how_to_give_one(reply):
    status, body, ctype = reply
    with Hostile(lambda h: h.reply(status, body, content_type=ctype)) as server:
        with pytest.raises(AuthenticationError) as info:
            catmaid(server.url, token=None).transport.request("POST", "/1/annotations/add", data={"a": 1})
    assert "token=" in str(info.value) and "NEUROMODELS_TOKEN" in str(info.value)
    with Hostile(lambda h: h.reply(status, body, content_type=ctype)) as server:
        with pytest.raises(Exception) as info:
            catmaid(server.url).transport.request("POST", "/1/annotations/add", data={"a": 1})
    assert not isinstance(info.value, AuthenticationError)  # with a token it is a real refusal


def test_a_refused_connection_names_host_and_port():
    with Hostile(lambda h: h.reply(200, {})) as server:
        port = server.port
    with pytest.raises(ServerUnavailable) as info:
        catmaid(f"http://127.0.0.1:{port}", retries=0).transport.request("GET", "/x")
    assert f"127.0.0.1:{port}" in str(info.value) and info.value.sent is False


def test_errors_keep_no_trace_of_the_request_and_its_headers():
    with Hostile(lambda h: h.reply(500, {"error": "boom", "type": "Exception"})) as server:
        port = server.port
        with pytest.raises(ServerError) as info:
            catmaid(server.url, retries=0).transport.request("GET", "/x")
    assert info.value.__context__ is None and info.value.__cause__ is None
    with pytest.raises(ServerUnavailable) as info:
        catmaid(f"http://127.0.0.1:{port}", retries=0).transport.request("POST", "/x")
    assert info.value.__context__ is None and info.value.__cause__ is None


def test_traceback_locals_show_no_credential():
    password = "SECRETpass0hostile0d15t1nct"
    with Hostile(lambda h: h.reply(502, "<html><title>bad gateway</title></html>", content_type="text/html")) as server:
        conn = catmaid(server.url.replace("http://", f"http://someone:{password}@"), retries=0)
        try:
            conn.transport.request("GET", "/x")
        except ServerError as e:
            error = e
    seen = server.seen[0][2]
    assert seen.get("X-Authorization") == f"Token {TOKEN}" and seen.get("Authorization", "").startswith("Basic ")
    texts = [repr(conn), repr(vars(conn)), repr(vars(conn.transport)), repr(vars(conn.transport.auth)), str(error),
             repr(error), conn.url, conn.transport.base_url]
    tb = error.__traceback__.tb_next  # the frames below this test's own
    while tb is not None:
        texts += [f"{name}={value!r}" for name, value in tb.tb_frame.f_locals.items()]
        tb = tb.tb_next
    leaks = [text[:80] for text in texts if TOKEN in text or password in text]
    assert leaks == []
    assert conn.http_auth == ("someone", password)
