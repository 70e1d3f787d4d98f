"""pymaid against the bundled CATMAID server (skipped unless NEUROMODELS_PYMAID_PYTHON names a
Python with pymaid installed; .ci/run makes one in its own virtualenv)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from neuromodels.testing import serve

PYMAID_PYTHON = os.environ.get("NEUROMODELS_PYMAID_PYTHON")


#: pymaid check script -> the summary line it must print (what each script covers is its name).
CHECKS = {
    "pymaid_check.py": "12 passed, 0 failed",                 # the everyday calls
    "pymaid_graph_check.py": "20 passed, 0 failed",           # connectivity, reviews, spatial, node edits
    "pymaid_history_check.py": "27 passed, 0 failed",         # annotations, history, provenance, statistics
    "pymaid_more_check.py": " passed, 0 failed",              # node lookups, graph queries, joins
}


@pytest.mark.skipif(not PYMAID_PYTHON, reason="set NEUROMODELS_PYMAID_PYTHON to a Python with pymaid")
@pytest.mark.parametrize("script,summary", list(CHECKS.items()), ids=list(CHECKS))
def test_pymaid_against_the_bundled_server(script, summary):
    check = Path(__file__).with_name(script)
    with serve("catmaid") as server:
        result = subprocess.run(
            [PYMAID_PYTHON, str(check), server.url, str(server.project), server.token],
            capture_output=True, text=True, timeout=300,
        )
    sys.stdout.write(result.stdout[-3000:])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert summary in result.stdout
