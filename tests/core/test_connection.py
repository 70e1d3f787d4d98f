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


def test_from_env_reads_the_foreign_variables_a_backend_declares(monkeypatch):
    """pymaid's CATMAID_* variables are the CATMAID backend's declaration, not a rule of the
    credentials module: a backend registered at run time declares its own the same way."""
    from neuromodels.connection import register_backend
    from neuromodels.core.backend import ForeignEnvironment

    class Lab(toy.ToyBackend):
        name = "labenv"
        environment = ForeignEnvironment("LAB_SERVER", {"token": "LAB_TOKEN"}, {"project": 3}, client="labtool's")

    register_backend("labenv", Lab)
    for name in ("NEUROMODELS_URL", "NEUROMODELS_BACKEND", "NEUROMODELS_PROJECT", "NEUROMODELS_TOKEN",
                 "CATMAID_SERVER", "LAB_SERVER"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match="labtool's LAB_SERVER") as info:
        Connection.from_env()
    assert "pymaid's CATMAID_SERVER" in str(info.value)
    monkeypatch.setenv("LAB_SERVER", "https://lab.example.org")
    monkeypatch.setenv("LAB_TOKEN", "lab-secret")
    conn = Connection.from_env()
    assert (conn.backend.name, conn.url, conn.project, conn.token) == ("labenv", "https://lab.example.org", 3, "lab-secret")
    monkeypatch.setenv("NEUROMODELS_PROJECT", "5")
    assert Connection.from_env().project == 5  # the client's default gives way to a variable


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


def test_built_in_backends_are_declared_as_entry_points():
    from importlib.metadata import entry_points

    declared = {ep.name: ep.value for ep in entry_points(group="neuromodels.backends")}
    assert {"catmaid", "cytomine", "neuromorpho", "clio"} <= set(declared)
    assert declared["catmaid"] == "neuromodels.backends.catmaid:CatmaidBackend"


def test_an_installed_package_plugs_a_backend_in_through_its_entry_point(tmp_path, monkeypatch):
    from neuromodels import registry
    from neuromodels.connection import available_backends

    (tmp_path / "plugged_backend.py").write_text(
        "from neuromodels.core.backend import Backend\n\nclass Plugged(Backend):\n    name = 'plugged'\n")
    dist = tmp_path / "plugged-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: plugged\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[neuromodels.backends]\nplugged = plugged_backend:Plugged\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry._entry_points.cache_clear()
    try:
        assert Connection("http://127.0.0.1:9", backend="plugged").backend.name == "plugged"
        assert "plugged" in available_backends()
    finally:
        registry._entry_points.cache_clear()


def test_register_backend_for_a_backend_without_a_package():
    from neuromodels.core.backend import Backend
    from neuromodels.connection import register_backend

    class Scripted(Backend):
        name = "scripted"

    register_backend("scripted", Scripted)
    assert Connection("http://127.0.0.1:9", backend="scripted").backend.name == "scripted"
    register_backend("scripted-by-path", "toy:ToyBackend")
    assert Connection("http://127.0.0.1:9", backend="scripted-by-path", token="t").backend.name == "toy"
    register_backend("broken", lambda: object())
    with pytest.raises(TypeError, match="did not return a Backend"):
        Connection("http://127.0.0.1:9", backend="broken")


def test_activate_without_with_and_with_still_wins():
    a, b = make(), make()
    try:
        assert a.activate() is a
        assert Connection.current() is a
        with b:
            assert Connection.current() is b
        assert Connection.current() is a
        seen = []
        thread = threading.Thread(target=lambda: seen.append(Connection.current() is a))
        thread.start()
        thread.join(5)
        assert seen == [True]
        b.deactivate()  # not the active one: no effect
        assert Connection.current() is a
    finally:
        a.deactivate()
    with pytest.raises(NoConnection):
        Connection.current()
    a.activate()
    a.close()
    with pytest.raises(NoConnection):
        Connection.current()
