"""``neuromodels copy SOURCE TARGET KIND filters... [--dry-run]`` through cli_copy."""

from __future__ import annotations

import pytest

from neuromodels import NeuronCollection
from neuromodels.transfer import cli_copy, connection_from_name

from .conftest import connect


@pytest.fixture
def env(monkeypatch, request):
    def set_env(prefix, server):
        monkeypatch.setenv(f"{prefix}_URL", f"{server.backend}+{server.url}")
        if server.project is not None:
            monkeypatch.setenv(f"{prefix}_PROJECT", str(server.project))
        if server.token:
            monkeypatch.setenv(f"{prefix}_TOKEN", server.token)
    return set_env


@pytest.mark.parametrize("pair", [("neuromorpho", "catmaid")], indirect=True)
def test_copy_command(pair, env, capsys):
    source, target = pair
    env("SRC", source)
    env("DST", target)
    assert cli_copy(["env:SRC", "env:DST", "neuron", "species=rat,mouse", "--scale", "1000", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would create 15" in out and out.count("-> (new)") == 15
    assert NeuronCollection().count(connection=connect(target)) == 0
    assert cli_copy(["env:SRC", "env:DST", "neuron", "species=rat,mouse", "--scale", "1000"]) == 0
    assert "created 15, 0 already there" in capsys.readouterr().out
    assert cli_copy(["env:SRC", "env:DST", "neuron", "species=rat", "--scale", "1000"]) == 0  # same transform
    out = capsys.readouterr().out
    assert "created 0, 7 already there" in out and "(new)" not in out
    assert target.token not in out  # no secret in what is printed


@pytest.mark.parametrize("pair", [("neuromorpho", "catmaid")], indirect=True)
def test_copy_command_errors(pair, env, capsys):
    source, target = pair
    env("SRC", source)
    env("DST", target)
    assert cli_copy(["env:SRC", "env:DST", "neuron", "nonsense"]) == 2
    assert cli_copy(["env:SRC", "env:DST", "planet"]) == 2
    assert cli_copy(["env:SRC", "env:DST", "neuron", "colour=blue"]) == 2  # the command was wrong
    assert "unknown filter 'colour'" in capsys.readouterr().err
    assert cli_copy(["env:DST", "env:SRC", "neuron"]) == 1
    assert "NotSupported" in capsys.readouterr().err
    assert cli_copy(["env:NOPE", "env:DST", "neuron"]) == 2
    assert "NOPE_URL is not set" in capsys.readouterr().err


def test_connection_names(monkeypatch):
    monkeypatch.setenv("NEUROMODELS_URL", "catmaid+http://127.0.0.1:9")
    monkeypatch.setenv("NEUROMODELS_PROJECT", "3")
    assert connection_from_name("env").project == 3
    conn = connection_from_name("env:LAB_", {"LAB_URL": "http://127.0.0.1:9", "LAB_BACKEND": "clio",
                                             "LAB_PROJECT": "VNC", "LAB_TOKEN": "secret"})
    assert conn.backend.name == "clio" and conn.project == "VNC" and "secret" not in repr(conn)
