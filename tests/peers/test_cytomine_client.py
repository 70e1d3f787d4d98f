"""The Cytomine Python client against the bundled Cytomine server (skipped unless
NEUROMODELS_CYTOMINE_PYTHON names a Python with cytomine-python-client; .ci/run makes one)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from neuromodels.testing import serve

CLIENT_PYTHON = os.environ.get("NEUROMODELS_CYTOMINE_PYTHON")


@pytest.mark.skipif(not CLIENT_PYTHON, reason="set NEUROMODELS_CYTOMINE_PYTHON to a Python with cytomine-python-client")
def test_cytomine_client_works_against_bundled_server():
    check = Path(__file__).with_name("cytomine_check.py")
    with serve("cytomine") as server:
        result = subprocess.run(
            [CLIENT_PYTHON, str(check), server.url, server.public_key, server.private_key, str(server.project)],
            capture_output=True, text=True, timeout=300,
        )
    sys.stdout.write(result.stdout[-3000:])
    assert result.returncode == 0, result.stderr[-3000:]
    assert "79 passed, 0 failed" in result.stdout
