"""CAVEclient against the bundled CAVE (skipped unless NEUROMODELS_CAVECLIENT_PYTHON names a
Python with caveclient and cloud-volume installed; .ci/run makes one in its own virtualenv)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from neuromodels.testing import serve

CAVECLIENT_PYTHON = os.environ.get("NEUROMODELS_CAVECLIENT_PYTHON")


@pytest.mark.skipif(not CAVECLIENT_PYTHON, reason="set NEUROMODELS_CAVECLIENT_PYTHON to a Python with caveclient")
def test_caveclient_calls_work_against_bundled_server():
    pytest.importorskip("pyarrow")  # CAVEclient reads queries only as Arrow
    check = Path(__file__).with_name("caveclient_check.py")
    with serve("cave") as server:
        result = subprocess.run([CAVECLIENT_PYTHON, str(check), server.url, server.project, server.token],
                                capture_output=True, text=True, timeout=300)
    sys.stdout.write(result.stdout[-3000:])
    assert result.returncode == 0, result.stderr[-3000:]
    assert "26 passed, 0 failed" in result.stdout
