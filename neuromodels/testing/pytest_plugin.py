"""pytest fixtures for users' own tests (installed as a pytest plugin).

``catmaid_server`` is one bundled CATMAID server per test session; ``catmaid_connection`` is a
current :class:`~neuromodels.Connection` to it for one test::

    def test_my_script(catmaid_connection):
        from neuromodels import Neuron
        assert Neuron.from_swc("1 1 0 0 0 1 -1\\n", name="x").save().id is not None
"""

from __future__ import annotations

from typing import Iterator

import pytest

from ..connection import Connection
from . import LocalServer, connect, serve


@pytest.fixture(scope="session")
def catmaid_server() -> Iterator[LocalServer]:
    with serve("catmaid") as server:
        yield server


@pytest.fixture
def catmaid_connection(catmaid_server: LocalServer) -> Iterator[Connection]:
    with connect(catmaid_server, timeout=10, progress=False) as conn:
        yield conn
