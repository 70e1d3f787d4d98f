"""Files the library writes with server data are readable by their owner only (0600), whatever
the umask: the read cache (and its SQLite journal), exported SWC, thumbnails, downloads."""

from __future__ import annotations

import os
import stat

import pytest

from neuromodels import Connection, Neuron
from neuromodels.files import open_private, sqlite_path
from neuromodels.testing import serve

SWC = "1 1 0 0 0 1 -1\n2 3 10 0 0 1 1\n"


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    old = os.umask(0o022)  # what most systems give: new files 0644
    yield
    os.umask(old)


@pytest.mark.parametrize("name", ["reads.sqlite", "reads"])
def test_the_cache_file_and_its_journal_are_owner_only(open_umask, tmp_path, name):
    with serve("catmaid") as server:
        where = str(tmp_path / name)
        with Connection(server.url, backend="catmaid", project=server.project, token=server.token, cache=where,
                        progress=False, retries=0) as conn:
            conn.ping()
            Neuron.from_swc(SWC, name="private").save()  # a write clears the cache: journals made
            conn.ping()
        files = sorted(tmp_path.iterdir())
        assert sqlite_path(where) in files
        assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}


def test_an_existing_cache_file_open_to_all_is_narrowed_before_use(open_umask, tmp_path):
    path = tmp_path / "reads.sqlite"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    with serve("catmaid") as server:
        with Connection(server.url, backend="catmaid", project=server.project, token=server.token, cache=str(path),
                        progress=False, retries=0) as conn:
            conn.ping()
    assert mode(path) == 0o600


def test_exported_files_are_owner_only(open_umask, tmp_path):
    swc = tmp_path / "n.swc"
    Neuron.from_swc(SWC, name="x").to_swc(str(swc))
    assert mode(swc) == 0o600 and swc.read_text().strip()
    old = tmp_path / "old.bin"
    old.write_bytes(b"1234567890")
    os.chmod(old, 0o666)
    with open_private(old, "wb") as fh:
        fh.write(b"ab")
    assert mode(old) == 0o600 and old.read_bytes() == b"ab"
    with pytest.raises(ValueError):
        open_private(old, "r")
