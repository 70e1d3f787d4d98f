"""Files the library writes that hold server data (the read cache, downloads, exports): readable
by their owner only (mode 0600), whatever the umask — on a shared lab machine the data is often
unpublished.

A file is created with mode 0600 from the start (never created open to all and narrowed later,
which leaves a moment in which another user can open it), and a file that already exists is
narrowed to 0600 before anything is written to it.

>>> import os, stat, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "neuron.swc")
>>> with open_private(path, "w") as fh:
...     _ = fh.write("1 1 0 0 0 1 -1\\n")
>>> oct(stat.S_IMODE(os.stat(path).st_mode))
'0o600'
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO, Any

#: Owner read and write, nothing for group and others.
PRIVATE = 0o600


def make_private(path: str | os.PathLike[str]) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist; narrow it to 0600 if it does."""
    fd = os.open(os.fspath(path), os.O_RDWR | os.O_CREAT, PRIVATE)
    try:
        _narrow(fd)
    finally:
        os.close(fd)


def open_private(path: str | os.PathLike[str], mode: str = "wb", encoding: str | None = None) -> IO[Any]:
    """``open(path, mode)`` for writing ("w", "wb", "a", "ab"), the file owner-only (0600)."""
    if mode not in ("w", "wb", "a", "ab"):
        raise ValueError(f"open_private writes files; mode {mode!r} is not one of w, wb, a, ab")
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode.startswith("a") else os.O_TRUNC)
    fd = os.open(os.fspath(path), flags, PRIVATE)
    try:
        _narrow(fd)
        if "b" in mode:
            return os.fdopen(fd, mode)
        return os.fdopen(fd, mode, encoding=encoding or "utf-8")
    except BaseException:
        os.close(fd)
        raise


def _narrow(fd: int) -> None:
    if stat.S_IMODE(os.fstat(fd).st_mode) & ~PRIVATE and hasattr(os, "fchmod"):
        os.fchmod(fd, PRIVATE)


def sqlite_path(where: str) -> Path | None:
    """The file requests-cache's SQLite backend keeps ``where`` in (it adds ``.sqlite`` when
    the name has no suffix and expands ``~``); None for an in-memory database."""
    if ":memory:" in where or "mode=memory" in where:
        return None
    path = Path(where)
    if not path.suffix:
        path = Path(where + ".sqlite")
    return path.expanduser().absolute()
