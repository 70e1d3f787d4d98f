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
    # The interrupt is remembered: the rest of the operation sends nothing ...
    assert interrupted()
    with pytest.raises(NotSent):
        conn.transport.request("GET", "/later")
    assert [type(o.error) for o in conn.transport.map(lambda i: i, [1, 2])] == [NotSent, NotSent]
    # ... until it is raised again for the caller, which also forgets it.
    with pytest.raises(KeyboardInterrupt):
        Transport.reraise_interrupt()
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
