"""The ``neuromodels`` command: serve, ls, copy, and behaving well in a shell pipeline."""

import csv
import io
import json
import os
import shlex
import signal
import subprocess
import sys
import time
import types

import pytest

from neuromodels import Connection
from neuromodels.cli import collection_kinds, main, parse_filters, server_lines
from neuromodels.testing import serve

BACKENDS = ("catmaid", "cytomine", "neuromorpho", "clio")
#: What each backend can list (the NotSupported ones are refused with a reason instead).
LISTABLE = {
    "catmaid": {"annotation", "connector", "imageinstance", "landmark", "landmarkgroup", "neuron", "project", "sampler",
                "volume"},
    "cytomine": {"annotation", "imageinstance", "ontology", "project", "term",
                 # Cytomine-only kinds
                 "abstractimage", "annotationfilter", "annotationgroup", "imageconsultation", "imagegroup",
                 "projectconnection", "projectrepresentative", "role", "storage", "tag", "termrelation", "track",
                 "uploadedfile", "useraccount"},
    "neuromorpho": {"neuron"},
    "clio": {"annotation", "project"},
}
#: Kinds a backend lists only with a filter (``ls`` shows them, with their filters).
NEEDS_FILTER = {"cytomine": {"abstractslice", "annotationaction", "annotationlink", "annotationtrack", "imagegroupimage",
                             "position", "property", "sliceinstance"}}


def command(*args):
    return [sys.executable, "-m", "neuromodels.cli", *args]


def as_env(lines):
    """The NEUROMODELS_* variables a shell gets from sourcing the lines."""
    env = {}
    for line in lines:
        (word,) = shlex.split(line)  # one shell word each: `eval` and `source` take it as is
        key, _, value = word.partition("=")
        env[key] = value
    return env


@pytest.fixture(scope="module", params=BACKENDS)
def server(request):
    with serve(request.param) as server:
        yield server


@pytest.fixture
def env_of(monkeypatch):
    def use(server):
        for key in list(os.environ):
            if key.startswith("NEUROMODELS_"):
                monkeypatch.delenv(key)
        for key, value in as_env(server_lines(server)).items():
            if key.startswith("NEUROMODELS_"):
                monkeypatch.setenv(key, value)
    return use


# -- serve ---------------------------------------------------------------------------------------------
def test_serve_lines_are_what_from_env_reads(server, env_of):
    lines = server_lines(server)
    env = as_env(lines)
    assert lines[0] == f"URL={server.url}"
    if server.project is not None:
        assert lines[1] == f"PROJECT={server.project}"
    assert env["NEUROMODELS_URL"] == server.url and env["NEUROMODELS_BACKEND"] == server.backend
    for name in ("token", "public_key", "private_key", "project"):
        value = getattr(server, name)
        assert env.get(f"NEUROMODELS_{name.upper()}") == (None if value is None else str(value))
    env_of(server)
    with Connection.from_env(retries=0) as conn:
        assert conn.ping() is not None


def test_serve_prints_then_stops_promptly_on_ctrl_c():
    proc = subprocess.Popen(command("serve", "catmaid"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline().rstrip("\n") for _ in range(8)]
        assert [line.split("=")[0] for line in lines] == [
            "URL", "PROJECT", "TOKEN", "DB", "NEUROMODELS_URL", "NEUROMODELS_BACKEND", "NEUROMODELS_PROJECT",
            "NEUROMODELS_TOKEN"]
        # What `eval "$(...)"` makes of them, as a shell sees it.
        shell = subprocess.run(["bash", "-c", 'eval "$0"; echo "$NEUROMODELS_BACKEND $NEUROMODELS_PROJECT"',
                                "\n".join(lines)], capture_output=True, text=True, timeout=10)
        assert shell.stdout.strip() == "catmaid 1"
        env = as_env(lines)
        with Connection(env["NEUROMODELS_URL"], backend="catmaid", project=1, token=env["NEUROMODELS_TOKEN"],
                        retries=0) as conn:
            assert conn.ping()
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        assert time.monotonic() - started < 3.0
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_serve_seeds_a_catmaid_with_swc_files(tmp_path):
    for name in ("cellA", "cellB"):
        (tmp_path / f"{name}.swc").write_text("1 1 0 0 0 1 -1\n2 3 10 0 0 1 1\n")
    proc = subprocess.Popen(command("serve", "catmaid", "--seed-swc", str(tmp_path), "--annotation", "PN"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        env = as_env([proc.stdout.readline().rstrip("\n") for _ in range(8)])
        with Connection(env["NEUROMODELS_URL"], backend="catmaid", project=1, token=env["NEUROMODELS_TOKEN"],
                        retries=0):
            from neuromodels import NeuronCollection

            assert sorted(n.name for n in NeuronCollection(annotation="PN").fetch(nodes=False)) == ["cellA", "cellB"]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_serve_unknown_backend_is_a_clean_error(capsys):
    assert main(["serve", "nosuch"]) == 2  # the command was wrong, as `demo nosuch` and `ls widgets`
    err = capsys.readouterr().err
    assert "catmaid" in err and "Traceback" not in err


# -- ls ------------------------------------------------------------------------------------------------
def test_ls_without_kind_lists_what_the_backend_can_list(server, env_of, capsys):
    env_of(server)
    assert main(["ls"]) == 0
    listed = {line.split()[0] for line in capsys.readouterr().out.splitlines()}
    assert listed == LISTABLE[server.backend] | NEEDS_FILTER.get(server.backend, set())


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_ls_every_kind_in_every_format(server, env_of, capsys, fmt):
    env_of(server)
    for kind in sorted(LISTABLE[server.backend]):
        assert main(["ls", kind, "--format", fmt, "--limit", "3"]) == 0, kind
        out = capsys.readouterr().out
        if fmt == "json":
            rows = json.loads(out)
            assert isinstance(rows, list) and len(rows) <= 3 and all("id" in r for r in rows)
        elif fmt == "csv":
            rows = list(csv.DictReader(io.StringIO(out)))
            assert len(rows) <= 3 and (rows == [] or rows[0]["id"] != "")
            assert out.splitlines()[0].split(",")[0] == "id"
        else:
            assert out.split()[0] == "id"


def test_ls_filters_limit_and_columns(env_of, capsys):
    with serve("clio") as clio:
        env_of(clio)
        assert main(["ls", "annotations", "hemilineage=07B", "-c", "id,hemilineage", "-f", "json"]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert rows and all(r["hemilineage"] == "07B" for r in rows)  # Clio's properties are columns
        assert set(rows[0]) == {"id", "hemilineage"}
        assert main(["ls", "annotation", "-n", "2", "-f", "csv"]) == 0
        assert len(capsys.readouterr().out.splitlines()) == 3
        assert main(["ls", "annotation", "-c", "nosuch"]) == 2
        assert "nosuch" in capsys.readouterr().err
        assert main(["ls", "annotation", "-c", "id,hemilinage"]) == 2
        assert "did you mean 'hemilineage'" in capsys.readouterr().err
        assert main(["ls", "annotation", "nofilter=1"]) == 2
        assert "nofilter" in capsys.readouterr().err


def test_ls_refuses_unknown_and_unsupported_kinds(env_of, capsys):
    with serve("neuromorpho") as nmo:
        env_of(nmo)
        assert main(["ls", "widgets"]) == 2
        assert "neuron" in capsys.readouterr().err
        assert main(["ls", "volume"]) == 1
        err = capsys.readouterr().err
        assert "NotSupported" in err and "mesh" in err


def test_ls_without_environment_says_what_to_set(monkeypatch, capsys):
    monkeypatch.delenv("NEUROMODELS_URL", raising=False)
    assert main(["ls", "neuron"]) == 2
    assert "NEUROMODELS_URL" in capsys.readouterr().err


def test_parse_filters():
    assert parse_filters(["ids=3,1,2", "name=PN left", "x=-4", "ok=False"]) == {
        "ids": [3, 1, 2], "name": "PN left", "x": -4, "ok": False}
    with pytest.raises(ValueError, match="key=value"):
        parse_filters(["annotation"])


def test_kinds_are_every_public_collection():
    assert set(collection_kinds()) == set().union(*LISTABLE.values(), *NEEDS_FILTER.values())


def test_ls_into_a_closed_pipe_exits_quietly():
    with serve("neuromorpho") as nmo:
        env = {**os.environ, **{k: v for k, v in as_env(server_lines(nmo)).items() if k.startswith("NEUROMODELS_")}}
        # `| head -n 1`: the reader stops after the first line, the rest of the output has nowhere to go.
        shell = subprocess.run(
            ["bash", "-c", 'set -o pipefail; "$@" | head -n 1', "sh", *command("ls", "neuron", "-f", "csv")],
            capture_output=True, text=True, timeout=60, env=env)
        assert shell.stdout.startswith("id,") and len(shell.stdout.splitlines()) == 1
        assert "Traceback" not in shell.stderr and "BrokenPipe" not in shell.stderr
        # A reader gone before the first byte.
        proc = subprocess.Popen(command("ls", "neuron", "-f", "json"), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env)
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 141
        assert "Traceback" not in err and "BrokenPipe" not in err


# -- copy ----------------------------------------------------------------------------------------------
def test_copy_hands_its_arguments_to_transfer(monkeypatch):
    seen = []
    fake = types.ModuleType("neuromodels.transfer")
    fake.cli_copy = lambda argv: seen.append(argv) or 7
    monkeypatch.setitem(sys.modules, "neuromodels.transfer", fake)
    assert main(["copy", "nmo", "lab", "neuron", "species=rat", "--dry-run"]) == 7
    assert seen == [["nmo", "lab", "neuron", "species=rat", "--dry-run"]]


def test_copy_without_transfer_says_so(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "neuromodels.transfer", None)  # import fails as if absent
    assert main(["copy", "a", "b", "neuron"]) == 2
    assert "not available" in capsys.readouterr().err


def test_demo_refuses_an_unknown_backend(capsys):
    assert main(["demo", "nosuch"]) == 2
    assert "catmaid" in capsys.readouterr().err


def test_ls_with_a_named_profile(monkeypatch, tmp_path, capsys):
    with serve("catmaid") as cat:
        profiles = tmp_path / "neuromodels" / "profiles.ini"
        profiles.parent.mkdir()
        profiles.write_text(f"[lab]\nurl = {cat.url}\nbackend = catmaid\nproject = {cat.project}\ntoken = {cat.token}\n")
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
        monkeypatch.delenv("NEUROMODELS_URL", raising=False)
        assert main(["ls", "project", "--profile", "lab", "-f", "json"]) == 0
        assert json.loads(capsys.readouterr().out)[0]["id"] == cat.project
        assert main(["ls", "project", "--profile", "lba"]) == 2
        assert "did you mean 'lab'" in capsys.readouterr().err


def _running(pid):
    try:
        with open(f"/proc/{pid}/status") as fh:
            return "\nState:\tZ" not in fh.read()  # a zombie has exited: nothing reaps it here
    except FileNotFoundError:
        return False


def test_serve_in_the_background_for_eval():
    script = ('eval "$("$@" serve clio --background)"; '
              '"$1" -c "from neuromodels import Connection; print(Connection.from_env().ping() is not None)"; '
              'echo "pid=$NEUROMODELS_SERVER_PID"')
    shell = subprocess.run(["bash", "-c", script, "sh", sys.executable, "-m", "neuromodels.cli"],
                           capture_output=True, text=True, timeout=90)
    out = shell.stdout.split()
    pid = int(out[-1].split("=")[1])
    try:
        assert shell.returncode == 0 and out[0] == "True", shell.stderr
        assert _running(pid)
    finally:
        os.kill(pid, signal.SIGTERM)  # the server this test started, by its PID
    deadline = time.monotonic() + 10
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(pid)


def test_serve_in_the_background_reports_a_failed_start(capsys):
    assert main(["serve", "nosuch", "--background"]) == 2  # refused before any process starts
    assert "no bundled server for 'nosuch'" in capsys.readouterr().err


def test_describe_prints_what_a_backend_can_do_from_its_declarations(capsys):
    assert main(["describe", "cytomine", "role"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Role\n  can: fetch, list, count") and "cannot create: Cytomine's roles are fixed" in out
    assert "fetch: GET /api/role/{id}.json" in out  # the declared route the code sends
    assert main(["describe", "catmaid"]) == 0
    assert "Neuron\n  can: fetch, list, count, create, update, delete" in capsys.readouterr().out
    assert main(["describe", "catmaid", "nueron"]) == 2
    assert "did you mean 'Neuron'" in capsys.readouterr().err
    assert main(["describe", "nosuch"]) == 2
    assert "unknown backend 'nosuch'" in capsys.readouterr().err


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.startswith("neuromodels ")
