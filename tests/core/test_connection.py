import threading

import pytest

import toy  # noqa: F401  (registers the toy backend)
from neuromodels import Connection, NoConnection, NotSupported, Project
from neuromodels.connection import _current


def make(url="http://127.0.0.1:9", **kw):
    return Connection(url, backend="toy", token="toy-secret-token", **kw)


def test_backend_from_scheme_prefix_and_keyword():
    assert Connection("catmaid+https://example.org", project=1).backend.name == "catmaid"
    assert Connection("https://example.org", backend="catmaid").url == "https://example.org"
    with pytest.raises(ValueError, match="says backend"):
        Connection("catmaid+https://example.org", backend="clio")
    with pytest.raises(ValueError, match="unknown backend"):
        Connection("https://example.org", backend="nope")
    with pytest.raises(ValueError, match="backend="):
        Connection("https://example.org")


@pytest.mark.parametrize("kwargs", [{"timeout": 0}, {"timeout": "5"}, {"retries": -1}, {"max_workers": 0}])
def test_bad_options_refused(kwargs):
    with pytest.raises((ValueError, TypeError)):
        make(**kwargs)


def test_unknown_option_refused():
    with pytest.raises(TypeError, match="unknown option"):
        make(colour="red")


def test_secrets_not_in_repr():
    conn = Connection("catmaid+https://user:hunter2@example.org", project=3, token="tok-SECRET-123",
                      http_user="user", http_password="hunter2")
    text = repr(conn) + str(conn) + repr(conn.transport.auth) + repr(vars(conn).get("options"))
    assert "SECRET" not in text and "hunter2" not in text
    assert "example.org" in repr(conn) and "project=3" in repr(conn)


def test_from_env(monkeypatch):
    monkeypatch.setenv("NEUROMODELS_URL", "https://example.org")
    monkeypatch.setenv("NEUROMODELS_BACKEND", "catmaid")
    monkeypatch.setenv("NEUROMODELS_PROJECT", "7")
    monkeypatch.setenv("NEUROMODELS_TOKEN", "abc")
    conn = Connection.from_env()
    assert conn.backend.name == "catmaid" and conn.project == 7 and conn.token == "abc"
    assert "abc" not in repr(conn)


def test_no_connection_outside_with():
    assert _current.get() == ()
    with pytest.raises(NoConnection):
        Project.fetch(1)


def test_nesting_restores_previous():
    a, b = make(), make()
    with a:
        assert Connection.current() is a
        with b:
            assert Connection.current() is b
            with a:
                assert Connection.current() is a
            assert Connection.current() is b
        assert Connection.current() is a
    with pytest.raises(NoConnection):
        Connection.current()


def test_explicit_connection_wins():
    a, b = make(), make()
    with a:
        assert Connection.current(b) is b
    with pytest.raises(TypeError):
        Connection.current("not a connection")


def test_threads_do_not_see_each_others_connection():
    seen = {}
    barrier = threading.Barrier(2, timeout=5)

    def worker(name):
        conn = make()
        with conn:
            barrier.wait()
            seen[name] = Connection.current() is conn
            barrier.wait()
        try:
            Connection.current()
            seen[name + "-after"] = False
        except NoConnection:
            seen[name + "-after"] = True

    main = make()
    with main:
        threads = [threading.Thread(target=worker, args=(n,)) for n in "ab"]
        for t in threads:
            t.start()
        for t in threads:
            t.join(5)
        assert Connection.current() is main
    assert seen == {"a": True, "b": True, "a-after": True, "b-after": True}


def test_backend_missing_from_this_version_is_not_supported(monkeypatch):
    from neuromodels import connection

    monkeypatch.setitem(connection.BACKENDS, "ghost", "neuromodels.backends.ghost")
    with pytest.raises(NotSupported, match="ghost"):
        Connection("https://example.org", backend="ghost")


def test_threads_sharing_one_connection_each_restore_their_own():
    shared = make()
    barrier = threading.Barrier(4, timeout=5)
    results = []

    def worker():
        with shared:
            barrier.wait()
            results.append(Connection.current() is shared)
            barrier.wait()
        try:
            Connection.current()
            results.append(False)
        except NoConnection:
            results.append(True)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert results.count(True) == 8
    assert shared.transport._session is None  # closed once the last `with` ended
