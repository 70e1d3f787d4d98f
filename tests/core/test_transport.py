import logging
import threading
import time

import pytest

from neuromodels import (
    AuthenticationError,
    BadRequest,
    Conflict,
    Connection,
    NotFound,
    Project,
    ProjectCollection,
    ProtocolError,
    ServerError,
    ServerUnavailable,
)
from neuromodels.testing import Fault


from .conftest import connect


def seed(server, n):
    with connect(server):
        for i in range(n):
            Project(name=f"item {i}").save()


def test_get_retried_on_500_then_correct(server):
    seed(server, 1)
    server.add_fault(Fault("status", status=500, method="GET", path="/items/1", times=2))
    before = server.requests
    with connect(server):
        assert Project.fetch(1).name == "item 0"
    assert server.requests - before == 3  # two failures, then the answer


def test_get_gives_up_after_retries_with_server_message(server):
    seed(server, 1)
    server.add_fault(Fault("status", status=502, method="GET", times=10))
    with connect(server, retries=1):
        with pytest.raises(ServerError) as info:
            Project.fetch(1)
    assert info.value.status == 502 and "injected 502" in str(info.value)
    assert info.value.method == "GET" and info.value.path == "/items/1"


def test_write_not_retried_on_500(server):
    server.add_fault(Fault("status", status=500, method="POST"))
    before = server.requests
    with connect(server):
        with pytest.raises(ServerError) as info:
            Project(name="x").save()
    assert server.requests - before == 1
    assert info.value.unknown_outcome is True


def test_write_retried_on_503_with_retry_after(server):
    server.add_fault(Fault("status", status=503, method="POST", retry_after=0.05))
    with connect(server):
        p = Project(name="after 503").save()
    assert p.id == 1
    with connect(server):
        assert [x.name for x in ProjectCollection().fetch()] == ["after 503"]


def test_write_retried_on_429(server):
    server.add_fault(Fault("status", status=429, method="POST", retry_after=0.01, times=2))
    with connect(server):
        assert Project(name="slow down").save().id == 1


def test_write_retried_when_connection_refused(server):
    port = server.port
    server.stop()
    threading.Timer(0.3, server.start).start()
    with connect(server, retries=5, backoff=0.15):
        assert Project(name="after restart").save().id == 1
    assert server.port == port


def test_refused_after_retries_is_server_unavailable():
    with Connection("http://127.0.0.1:9", backend="toy", token="t", retries=1, backoff=0.01):
        with pytest.raises(ServerUnavailable) as info:
            Project(name="nowhere").save()
    assert info.value.sent is False


def test_write_reset_after_processing_is_unknown_not_repeated(server):
    server.add_fault(Fault("reset", method="POST", when="after"))
    before = server.requests
    with connect(server):
        with pytest.raises(ServerUnavailable) as info:
            Project(name="lost reply").save()
    assert info.value.sent is True
    assert server.requests - before == 1
    assert server._app.db.read("SELECT COUNT(*) FROM item")[0][0] == 1  # stored once


def test_timeout_on_read_is_retried(server):
    seed(server, 1)
    server.add_fault(Fault("stall", method="GET", seconds=0.6))
    started = time.perf_counter()
    with connect(server, timeout=0.2):
        assert Project.fetch(1).name == "item 0"
    assert time.perf_counter() - started < 3


def test_timeout_on_write_is_not_retried(server):
    server.add_fault(Fault("stall", method="POST", seconds=0.6))
    before = server.requests
    with connect(server, timeout=0.2):
        with pytest.raises(ServerUnavailable, match="no answer within"):
            Project(name="slow").save()
    time.sleep(0.7)
    assert server.requests - before == 1


def test_truncated_json_on_read_is_retried(server):
    seed(server, 1)
    server.add_fault(Fault("truncate", method="GET", when="after"))
    with connect(server):
        assert Project.fetch(1).name == "item 0"


def test_truncated_json_without_retries_is_protocol_error(server):
    seed(server, 1)
    server.add_fault(Fault("truncate", method="GET", when="after"))
    with connect(server, retries=0):
        with pytest.raises(ProtocolError, match="not valid JSON"):
            Project.fetch(1)


@pytest.mark.parametrize(
    "status,error",
    [(400, BadRequest), (401, AuthenticationError), (404, NotFound), (409, Conflict)],
)
def test_errors_mapped_with_server_message(server, status, error):
    server.add_fault(Fault("status", status=status, method="GET"))
    with connect(server):
        with pytest.raises(error) as info:
            Project.fetch(5)
    assert info.value.status == status
    assert f"injected {status}" in str(info.value)
    assert info.value.server_message == f"injected {status}"


def test_200_with_error_body(server):
    with connect(server) as conn:
        with pytest.raises(BadRequest, match="it went wrong inside"):
            conn.transport.request("GET", "/echo-error")


def test_html_error_page(server):
    server.add_fault(Fault("html", method="GET", times=5))
    with connect(server, retries=1):
        with pytest.raises(ServerError) as info:
            Project.fetch(1)
    assert info.value.status == 502


def test_bad_credentials(server):
    with Connection(server.url, backend="toy", token="wrong"):
        with pytest.raises(AuthenticationError, match="bad credentials"):
            Project.fetch(1)


def test_parallel_map_keeps_order_and_reports_each_failure(server):
    seed(server, 5)
    with connect(server, max_workers=4) as conn:
        outcomes = conn.transport.map(lambda i: Project.fetch(i, connection=conn).name, [1, 2, 99, 3, 98, 4])
    assert [o.value for o in outcomes if o.ok] == ["item 0", "item 1", "item 2", "item 3"]
    assert [o.item for o in outcomes if not o.ok] == [99, 98]
    assert all(isinstance(o.error, NotFound) for o in outcomes if not o.ok)


def test_debug_log_has_method_path_status_and_no_token(server, caplog):
    caplog.set_level(logging.DEBUG, logger="neuromodels")
    seed(server, 1)
    with connect(server):
        Project.fetch(1)
    text = caplog.text
    assert "GET /items/1 -> 200" in text
    assert server.token not in text


def test_dh_key_too_small_retries_once_without_dh_and_still_verifies(server, monkeypatch, caplog):
    import ssl

    import requests

    from neuromodels.transport import NoDHAdapter

    seed(server, 1)
    conn = connect(server)
    session = conn.transport.session
    original = requests.Session.request
    calls = []

    def handshake(self, method, url, **kw):
        calls.append(url)
        if len(calls) == 1:
            raise requests.exceptions.SSLError("[SSL: DH_KEY_TOO_SMALL] dh key too small (_ssl.c:1006)")
        return original(self, method, url, **kw)

    monkeypatch.setattr(requests.Session, "request", handshake)
    with conn:
        assert Project.fetch(1).name == "item 0"
    assert len(calls) == 2 and "retrying without DH" in caplog.text
    adapter = session.get_adapter(server.url + "/items/1")
    assert isinstance(adapter, NoDHAdapter)
    ctx = NoDHAdapter.context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert not [c["name"] for c in ctx.get_ciphers() if c["name"].startswith(("DHE-", "EDH-"))]


def test_other_tls_errors_are_not_retried(server, monkeypatch):
    import requests

    calls = []

    def broken(self, method, url, **kw):
        calls.append(url)
        raise requests.exceptions.SSLError("certificate verify failed")

    monkeypatch.setattr(requests.Session, "request", broken)
    with connect(server):
        with pytest.raises(ServerUnavailable, match="TLS handshake failed"):
            Project.fetch(1)
    assert len(calls) == 1


def test_map_workers_run_in_the_callers_context(server):
    with connect(server, max_workers=3) as conn:
        outcomes = conn.transport.map(lambda i: Connection.current() is conn, range(6))
    assert [o.value for o in outcomes] == [True] * 6


@pytest.mark.parametrize("value,seconds", [
    ("3", 3.0), (" 0.25 ", 0.25), ("-4", 0.0), ("nan", None), ("inf", None), ("1e400", None), ("", None),
    ("soon", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("x" * 100, None), (None, None),
])
def test_retry_after_values(value, seconds):
    from neuromodels.transport import parse_retry_after

    assert parse_retry_after(value) == seconds


def test_retry_after_date_in_the_future():
    from email.utils import formatdate

    from neuromodels.transport import parse_retry_after

    assert 55 <= parse_retry_after(formatdate(time.time() + 60, usegmt=True)) <= 61


def test_a_stall_without_any_byte_is_still_retried_but_a_slow_reply_is_cut(server):
    seed(server, 1)
    server.add_fault(Fault("stall", method="GET", seconds=0.6))
    before = server.requests
    with connect(server, timeout=0.3) as conn:
        assert conn.transport.request("GET", "/items/1")["name"] == "item 0"
    assert server.requests - before == 2


def test_waiting_for_a_free_connection_is_bounded_by_the_deadline(server):
    import time as _time

    from neuromodels import ServerUnavailable

    conn = connect(server, max_workers=1, timeout=0.3, retries=0)
    url = server.url + "/items"
    conn.transport.request("GET", "/items")
    manager = conn.transport.session.get_adapter(url).poolmanager
    (pool,) = [manager.pools[key] for key in manager.pools.keys()]  # the pool that request used
    taken = [pool._get_conn() for _ in range(pool.pool.maxsize)]  # every pooled connection busy
    started = _time.monotonic()
    with pytest.raises(ServerUnavailable) as info:
        conn.transport.request("GET", "/items")
    assert _time.monotonic() - started < 2 and not info.value.sent  # nothing went out
    for c in taken:
        pool._put_conn(c)
    assert conn.transport.request("GET", "/items")["total"] >= 0


def test_a_retry_policy_value_sets_how_often_and_how_long(server):
    from neuromodels.retry import RetryPolicy

    seed(server, 1)
    server.add_fault(Fault("status", status=500, method="GET", path="/items/1", times=5))
    before = server.requests
    with connect(server, retries=RetryPolicy(total=1, backoff=0)) as conn:
        assert conn.retries == 1 and conn.transport.retry == RetryPolicy(total=1, backoff=0)
        with pytest.raises(ServerError):
            Project.fetch(1)
    assert server.requests - before == 2  # the first attempt and one retry
    with pytest.raises(ValueError):
        RetryPolicy(total=-1)


def test_a_derived_transport_keeps_the_policy_but_not_the_credentials(server):
    with connect(server) as conn:
        other = conn.transport.derive("http://127.0.0.1:9")
        try:
            assert other.retry == conn.transport.retry and other.timeout == conn.transport.timeout
            assert other.auth is None and other.base_url == "http://127.0.0.1:9"
            assert other.verify == conn.transport.verify and other.max_body == conn.transport.max_body
        finally:
            other.close()
