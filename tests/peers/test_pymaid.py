"""pymaid against the bundled CATMAID server (skipped unless NEUROMODELS_PYMAID_PYTHON names a
Python with pymaid installed; .ci/run makes one in its own virtualenv)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from neuromodels.testing import serve

PYMAID_PYTHON = os.environ.get("NEUROMODELS_PYMAID_PYTHON")


@pytest.mark.skipif(not PYMAID_PYTHON, reason="set NEUROMODELS_PYMAID_PYTHON to a Python with pymaid")
def test_pymaid_calls_work_against_bundled_server():
    check = Path(__file__).with_name("pymaid_check.py")
    with serve("catmaid") as server:
        result = subprocess.run(
            [PYMAID_PYTHON, str(check), server.url, str(server.project), server.token],
            capture_output=True, text=True, timeout=300,
        )
    sys.stdout.write(result.stdout[-3000:])
    assert result.returncode == 0, result.stderr[-3000:]
    assert "12 passed, 0 failed" in result.stdout


@pytest.mark.skipif(not PYMAID_PYTHON, reason="set NEUROMODELS_PYMAID_PYTHON to a Python with pymaid")
def test_pymaid_connectivity_reviews_spatial_and_node_edits():
    check = Path(__file__).with_name("pymaid_graph_check.py")
    with serve("catmaid") as server:
        result = subprocess.run(
            [PYMAID_PYTHON, str(check), server.url, str(server.project), server.token],
            capture_output=True, text=True, timeout=300,
        )
    sys.stdout.write(result.stdout[-3000:])
    assert result.returncode == 0, result.stderr[-3000:]
    assert "20 passed, 0 failed" in result.stdout


@pytest.mark.skipif(not PYMAID_PYTHON, reason="set NEUROMODELS_PYMAID_PYTHON to a Python with pymaid")
def test_pymaid_annotations_history_provenance_statistics_samplers_landmarks():
    check = Path(__file__).with_name("pymaid_history_check.py")
    with serve("catmaid") as server:
        result = subprocess.run(
            [PYMAID_PYTHON, str(check), server.url, str(server.project), server.token],
            capture_output=True, text=True, timeout=300,
        )
    sys.stdout.write(result.stdout[-3000:])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "27 passed, 0 failed" in result.stdout


@pytest.mark.skipif(not PYMAID_PYTHON, reason="set NEUROMODELS_PYMAID_PYTHON to a Python with pymaid")
def test_pymaid_node_lookups_graph_queries_and_joins():
    check = Path(__file__).with_name("pymaid_more_check.py")
    with serve("catmaid") as server:
        result = subprocess.run(
            [PYMAID_PYTHON, str(check), server.url, str(server.project), server.token],
            capture_output=True, text=True, timeout=300,
        )
    sys.stdout.write(result.stdout[-3000:])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " passed, 0 failed" in result.stdout
