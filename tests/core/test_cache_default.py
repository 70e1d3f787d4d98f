"""The read cache cannot hide another client's writes for ever: a finite default TTL, the how-to
page's example runs, and the README's cache line works as written."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

from neuromodels import Connection, Neuron
from neuromodels.cache import DEFAULT_TTL
from neuromodels.testing import connect, serve

ROOT = Path(__file__).resolve().parents[2]


def test_the_default_ttl_is_finite():
    conn = Connection("http://127.0.0.1:9", backend="catmaid", project=1, cache=True)
    assert conn.transport.cache.ttl == DEFAULT_TTL == 300.0


def test_every_entry_expires_within_the_default_ttl():
    import datetime as dt

    with serve("catmaid") as server:
        with connect(server, progress=False):
            skid = Neuron.from_swc("1 1 0 0 0 1 -1\n", name="x").save().id
        mine = Connection(server.url, backend="catmaid", project=server.project, token=server.token,
                          progress=False, cache=True)
        with mine:
            Neuron.fetch(skid)
        now = dt.datetime.now(dt.timezone.utc)
        entries = list(mine.transport.cache.storage.responses.values())
        assert entries
        for entry in entries:
            expires = entry.expires if entry.expires.tzinfo else entry.expires.replace(tzinfo=dt.timezone.utc)
            assert now < expires <= now + dt.timedelta(seconds=DEFAULT_TTL + 1)


def test_the_cache_page_runs():
    text = (ROOT / "docs" / "cache.rst").read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {}, "cache.rst", "docs/cache.rst", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    runner.run(test, out=out.append)
    assert len(test.examples) >= 10 and runner.failures == 0, "".join(out)


def test_the_readme_cache_line_works_as_written(tmp_path, monkeypatch):
    line = next(l for l in (ROOT / "README.rst").read_text(encoding="utf-8").splitlines() if "cache=" in l)
    call = re.sub(r"\s+#.*$", "", line.strip())
    assert call.startswith("Connection(") and "project=" in call
    monkeypatch.chdir(tmp_path)
    with serve("catmaid") as server:
        conn = eval(call, {"Connection": Connection, "url": server.url})  # noqa: S307 - the README's own line
        with conn:
            assert conn.ping() and conn.ping()
        assert conn.project == 1 and conn.transport.cache.hits == 1
        assert (tmp_path / "reads.sqlite").exists()
