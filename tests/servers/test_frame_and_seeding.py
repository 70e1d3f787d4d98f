"""The App frame every bundled server is declared on, and seeding the bundled CATMAID with a user's
own SWC files (method, command line, pytest plugin)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import requests

from neuromodels.testing import Fault, serve
from neuromodels.testing.harness import App, LocalServer, route


class NotesApp(App):
    schema = "CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY, text TEXT);"

    def seed(self, cur):
        cur.execute("INSERT OR IGNORE INTO note VALUES (1, 'hello')")

    def credentials(self):
        return {"token": "notes"}

    def authenticate(self, request, view, args):
        if view.options.get("public"):
            return None
        if request.headers.get("Authorization") != "Bearer notes":
            return self.json({"detail": "not authenticated"}, 401)
        return "someone"

    def error(self, request, view, exc):
        return self.json({"detail": f"no note {exc}"}, 404) if isinstance(exc, IndexError) else None

    def fault_body(self, status):
        return '{"detail": "injected"}'

    @route("/notes/<int:nid>", methods=("GET",))
    def note(self, request, user, nid):
        return {"id": nid, "text": self.db.read("SELECT text FROM note WHERE id = ?", (nid,))[0][0], "user": user}

    @route("/health", public=True)
    def health(self, request, user):
        return self.text("ok")


class NotesServer(LocalServer):
    backend = "notes"
    app = NotesApp


def test_an_app_declared_on_the_frame_routes_authenticates_and_renders_errors():
    with NotesServer(faults=[Fault("status", status=503, path="/health", times=1)]) as server:
        assert server.token == "notes"  # credentials() reach the server object
        auth = {"Authorization": "Bearer notes"}
        assert requests.get(f"{server.url}/notes/1", headers=auth, timeout=5).json() == {"id": 1, "text": "hello", "user": "someone"}
        assert requests.get(f"{server.url}/notes/1", timeout=5).status_code == 401
        missing = requests.get(f"{server.url}/notes/9", headers=auth, timeout=5)
        assert missing.status_code == 404 and missing.json() == {"detail": "no note list index out of range"}
        assert requests.post(f"{server.url}/notes/1", headers=auth, timeout=5).status_code == 405
        assert requests.get(f"{server.url}/nowhere", timeout=5).status_code == 404
        injected = requests.get(f"{server.url}/health", timeout=5)
        assert injected.status_code == 503 and injected.json() == {"detail": "injected"}
        assert requests.get(f"{server.url}/health", timeout=5).text == "ok"
        assert server.sent("GET", r"/notes/") == 3 and server.sent("POST", r"/notes/") == 1


def test_every_bundled_server_is_declared_on_the_frame():
    for backend in ("catmaid", "neuromorpho", "clio", "cave"):
        server = serve(backend)
        assert isinstance(server._app, App) and server._app.views, backend


SWC = "1 1 0 0 0 5 -1\n2 3 10 0 0 2 1\n3 3 20 0 0 2 2\n"


def test_add_swc_from_a_folder_names_neurons_after_their_files(tmp_path):
    (tmp_path / "alpha.swc").write_text(SWC)
    (tmp_path / "beta.swc").write_text(SWC.replace("\n", "\r\n"))
    with serve("catmaid") as server:
        ids = server.add_swc(tmp_path, annotations=["mine", "two"])
        assert sorted(ids) == ["alpha", "beta"]
        base = f"{server.url}/{server.project}"
        auth = {"X-Authorization": f"Token {server.token}"}
        names = requests.post(f"{base}/skeleton/neuronnames", headers=auth, timeout=5,
                              data={f"skids[{i}]": s for i, s in enumerate(ids.values())}).json()
        assert sorted(names.values()) == ["alpha", "beta"]
        found = requests.post(f"{base}/annotations/query-targets", headers=auth, timeout=5,
                              data={"annotated_with": "mine", "annotation_reference": "name"}).json()
        assert found["totalRecords"] == 2


def test_the_command_line_serves_seeded_neurons(tmp_path):
    (tmp_path / "gamma.swc").write_text(SWC)
    process = subprocess.Popen([sys.executable, "-m", "neuromodels.testing.catmaid", "--seed-swc", str(tmp_path)],
                               stdout=subprocess.PIPE, text=True)
    try:
        lines = {}
        for line in process.stdout:  # KEY=value lines first, then "# seeded <skid> <name>" per neuron
            if line.startswith("# seeded"):
                break
            key, _, value = line.strip().partition("=")
            lines[key] = value
        auth = {"X-Authorization": f"Token {lines['TOKEN']}"}
        skids = requests.get(f"{lines['URL']}/{lines['PROJECT']}/skeletons/", headers=auth, timeout=5).json()
        assert len(skids) == 1
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_pytest_plugin_seeds_its_server(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "delta.swc").write_text(SWC)
    (tmp_path / "test_user.py").write_text(textwrap.dedent("""
        from neuromodels import NeuronCollection

        def test_seeded(catmaid_connection, catmaid_server):
            names = [n.name for n in NeuronCollection(annotation="lab").fetch(nodes=False)]
            assert names == ["delta"]
    """))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--catmaid-swc", "data",
                             "--catmaid-annotation", "lab"], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout
