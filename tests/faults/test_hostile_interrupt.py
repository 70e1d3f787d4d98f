"""Ctrl-C during parallel work: sending stops within about half a second, queued items are never
sent (they come back as NotSent), the ones in flight finish, and the operation remembers the
interrupt until it is turned back into KeyboardInterrupt. SIGINT is sent to this very process,
aimed at the main thread, as a terminal would."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from neuromodels.errors import NotSent
from neuromodels.parallel import PartlySent
from neuromodels.transport import Transport, interrupted

from .test_hostile_server import Handler, Hostile, catmaid

pytestmark = pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs signal.pthread_kill (POSIX)")


#: Timers of this module's Ctrl-Cs: cancelled when a test ends, so none lands in another test.
TIMERS: list[threading.Timer] = []


@pytest.fixture(autouse=True)
def no_interrupt_left_over():
    yield
    while TIMERS:
        TIMERS.pop().cancel()
    try:
        Transport.reraise_interrupt()
    except KeyboardInterrupt:
        pytest.fail("the test left an interrupt recorded")


def ctrl_c(after: float) -> threading.Timer:
    main = threading.main_thread().ident
    assert main is not None and threading.current_thread() is threading.main_thread()
    timer = threading.Timer(after, signal.pthread_kill, args=(main, signal.SIGINT))
    TIMERS.append(timer)
    timer.start()
    return timer


def slow(seconds: float):
    def script(h: Handler) -> None:
        time.sleep(seconds)
        h.reply(200, {"path": h.path})

    return script


def test_ctrl_c_during_a_parallel_save_stops_sending():
    with Hostile(slow(0.2)) as server:
        conn = catmaid(server.url, max_workers=2, timeout=5)
        ctrl_c(0.5)
        started = time.perf_counter()
        outcomes = conn.transport.map(lambda i: conn.transport.request("POST", f"/item/{i}", json={}), range(30))
        returned = time.perf_counter() - started
        sent_at_return = len(server.seen)
        time.sleep(0.5)
        assert len(server.seen) == sent_at_return  # nothing is sent after map returned
    assert returned < 1.0, f"map returned {returned - 0.5:.2f} s after Ctrl-C"
    assert [o.item for o in outcomes] == list(range(30))  # every item accounted for, in order
    done = [o for o in outcomes if o.ok]
    not_sent = [o for o in outcomes if isinstance(o.error, NotSent)]
    assert len(done) + len(not_sent) == 30 and len(done) == sent_at_return <= 8
    assert {int(path.rsplit("/", 1)[1]) for _, path, _ in server.seen} == {o.item for o in done}
    assert all(o.error.sent is False and "interrupted" in str(o.error) for o in not_sent)
    # The interrupt is remembered: the rest of the operation starts nothing ...
    assert interrupted()
    assert [type(o.error) for o in conn.transport.map(lambda i: i, [1, 2])] == [NotSent, NotSent]
    # ... and the operation's next request raises it for the caller (never a NotSent of its
    # own), unsent, and forgets it.
    with pytest.raises(KeyboardInterrupt):
        conn.transport.request("GET", "/later")
    assert len(server.seen) == sent_at_return
    assert not interrupted()
    Transport.reraise_interrupt()  # nothing recorded: no-op


def test_map_values_raises_keyboard_interrupt_and_forgets_it():
    with Hostile(slow(0.2)) as server:
        conn = catmaid(server.url, max_workers=2, timeout=5)
        ctrl_c(0.3)
        started = time.perf_counter()
        with pytest.raises(KeyboardInterrupt):
            conn.transport.map_values(lambda i: conn.transport.request("GET", f"/n/{i}"), range(40))
        assert time.perf_counter() - started < 0.9
        assert len(server.seen) <= 6
        assert not interrupted()
        assert conn.transport.request("GET", "/after") == {"path": "/after"}  # the next operation sends


def test_in_flight_items_finish_but_are_not_retried():
    def script(h: Handler) -> None:
        time.sleep(0.4)
        h.reply(503, {"detail": "busy"}, headers={"Retry-After": "0.01"})

    with Hostile(script) as server:
        conn = catmaid(server.url, max_workers=2, timeout=5, retries=5)
        ctrl_c(0.2)
        outcomes = conn.transport.map(lambda i: conn.transport.request("POST", f"/x/{i}"), range(10))
    assert len(server.seen) == 2  # the two in flight, answered once, not resent after Ctrl-C
    assert [type(o.error).__name__ for o in outcomes[:2]] == ["ServerUnavailable", "ServerUnavailable"]
    assert all(isinstance(o.error, NotSent) for o in outcomes[2:])
    with pytest.raises(KeyboardInterrupt):
        Transport.reraise_interrupt()


def test_a_second_ctrl_c_stops_waiting_for_requests_in_flight():
    with Hostile(slow(3.0)) as server:
        conn = catmaid(server.url, max_workers=2, timeout=5)
        ctrl_c(0.3)
        ctrl_c(0.6)
        started = time.perf_counter()
        with pytest.raises(KeyboardInterrupt):
            conn.transport.map(lambda i: conn.transport.request("GET", f"/n/{i}"), range(6))
        assert time.perf_counter() - started < 1.2
        assert not interrupted()
        assert len(server.seen) == 2


def test_nested_maps_inside_a_started_item_stop_starting_new_work():
    with Hostile(slow(0.15)) as server:
        conn = catmaid(server.url, max_workers=2, timeout=5)

        def chunk(i: int) -> list:
            return conn.transport.map(lambda j: conn.transport.request("GET", f"/c/{i}/{j}"), range(10),
                                      max_workers=1)

        ctrl_c(0.4)
        started = time.perf_counter()
        outcomes = conn.transport.map(chunk, range(4))
        assert time.perf_counter() - started < 1.0
        inner = [o for outer in outcomes if outer.ok for o in outer.value]
        assert any(isinstance(o.error, NotSent) for o in inner)
        assert len(server.seen) == sum(1 for o in inner if o.ok) <= 8
    with pytest.raises(KeyboardInterrupt):
        Transport.reraise_interrupt()


def dripping(h: Handler) -> None:
    body = b'{"a": [' + b"1," * 40 + b"1]}"
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.drip(body, per_second=100)


def test_ctrl_c_while_bodies_are_read_in_parallel_is_a_keyboard_interrupt_even_when_they_finish():
    """Every item was in flight (nothing to cancel) and finished reading its body: the caller
    still gets KeyboardInterrupt at once, and its next request is not a NotSent."""
    with Hostile(dripping) as server:
        conn = catmaid(server.url, max_workers=2, timeout=10)
        ctrl_c(0.3)
        with pytest.raises(KeyboardInterrupt):
            conn.transport.map_values(lambda i: conn.transport.request("GET", f"/body/{i}"), range(2))
        assert not interrupted()


def test_ctrl_c_during_a_body_read_on_the_calling_thread_is_a_keyboard_interrupt():
    with Hostile(dripping) as server:
        conn = catmaid(server.url, timeout=10)
        ctrl_c(0.2)
        with pytest.raises(KeyboardInterrupt):
            conn.transport.request("POST", "/body", data={})


def test_an_item_stopped_after_it_sent_a_write_is_unknown_never_not_sent():
    """An item in flight at Ctrl-C that already sent a write and then wants more requests (a
    create, then its tags) is an unknown outcome, settled by looking, not "never sent" (which
    the next save would send again)."""
    with Hostile(slow(0.3)) as server:
        conn = catmaid(server.url, max_workers=2, timeout=5)

        def create_then_tag(i: int) -> None:
            conn.transport.request("POST", f"/create/{i}", data={})
            conn.transport.map_values(lambda t: conn.transport.request("POST", f"/tag/{i}/{t}", data={}), range(2))

        ctrl_c(0.15)
        outcomes = conn.transport.map(create_then_tag, range(6))
        started = [o for o in outcomes if not isinstance(o.error, NotSent)]
        assert len(started) == 2 and all(isinstance(o.error, PartlySent) for o in started)
        assert all(o.error.sent and o.error.outcome_unknown for o in started)
        assert [p for _, p, _ in server.seen if p.startswith("/tag/")] == []
        with pytest.raises(KeyboardInterrupt):
            Transport.reraise_interrupt()
