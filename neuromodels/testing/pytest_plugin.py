"""pytest fixtures for your own tests: a bundled CATMAID seeded with your neurons.

Installed with neuromodels (a ``pytest11`` entry point): nothing to enable. Seed the server with
your SWC files on the command line (``pytest --catmaid-swc tests/data``) or in ``pytest.ini``
(``catmaid_swc = tests/data``); every file becomes a neuron named after it.

- ``catmaid_server``: one bundled CATMAID per test session (``.url``, ``.project``, ``.token``,
  ``.add_swc(...)``);
- ``catmaid_connection``: a current :class:`~neuromodels.Connection` to it for one test;
- ``pymaid_instance``: a ``pymaid.CatmaidInstance`` pointed at it (skips the test when pymaid is
  not installed)::

    def test_my_script(pymaid_instance):
        import pymaid
        assert len(pymaid.get_skids_by_annotation("Import")) > 0
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from ..connection import Connection
from . import LocalServer, connect, serve


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("neuromodels", "bundled CATMAID server")
    group.addoption("--catmaid-swc", action="append", default=[], metavar="PATH",
                    help="seed the catmaid_server fixture with this .swc file or folder (repeatable)")
    group.addoption("--catmaid-annotation", action="append", default=[], metavar="NAME",
                    help="annotation for the seeded neurons (repeatable; default: Import)")
    parser.addini("catmaid_swc", type="linelist", default=[], help="SWC files or folders that seed catmaid_server")
    parser.addini("catmaid_annotation", type="linelist", default=[], help="annotations of the seeded neurons")


@pytest.fixture(scope="session")
def catmaid_server(pytestconfig: pytest.Config) -> Iterator[LocalServer]:
    sources = list(pytestconfig.getoption("catmaid_swc") or []) + list(pytestconfig.getini("catmaid_swc"))
    annotations = list(pytestconfig.getoption("catmaid_annotation") or []) + list(pytestconfig.getini("catmaid_annotation"))
    with serve("catmaid") as server:
        for source in sources:
            server.add_swc(source, annotations=annotations or ["Import"])  # type: ignore[attr-defined]
        yield server


@pytest.fixture
def catmaid_connection(catmaid_server: LocalServer) -> Iterator[Connection]:
    with connect(catmaid_server, timeout=10, progress=False) as conn:
        yield conn


@pytest.fixture
def pymaid_instance(catmaid_server: LocalServer) -> Any:
    pymaid = pytest.importorskip("pymaid")
    return pymaid.CatmaidInstance(catmaid_server.url, api_token=catmaid_server.token,
                                  project_id=catmaid_server.project, make_global=True)
