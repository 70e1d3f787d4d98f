"""clio-py from PyPI against the bundled Clio server on https (skipped unless
NEUROMODELS_CLIOPY_PYTHON names a Python with clio-py; .ci/run makes one)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from neuromodels.testing import serve

CLIOPY_PYTHON = os.environ.get("NEUROMODELS_CLIOPY_PYTHON")


@pytest.mark.skipif(not CLIOPY_PYTHON, reason="set NEUROMODELS_CLIOPY_PYTHON to a Python with clio-py")
def test_cliopy_works_against_bundled_clio_on_https(tmp_path):
    check = Path(__file__).with_name("cliopy_check.py")
    # clio-py keeps its token file in the home folder: a home of its own for the run.
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONWARNINGS": "ignore"}
    with serve("clio", tls=True) as server:
        env["REQUESTS_CA_BUNDLE"] = server.certificate
        result = subprocess.run([CLIOPY_PYTHON, str(check), server.url, server.token, server.project],
                                capture_output=True, text=True, timeout=300, env=env)
    sys.stdout.write(result.stdout[-4000:])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "21 passed, 0 failed" in result.stdout
