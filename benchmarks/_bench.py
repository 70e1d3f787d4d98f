"""What the benchmarks share: a bundled server in its own process (so the client's time and
memory are the client's alone), seeded data kept between runs, medians and the machine's load."""

from __future__ import annotations

import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Callable, Iterator

import neuromodels

#: Seeded databases are kept here between runs (seeding 1,000 neurons takes minutes).
CACHE = Path(os.environ.get("NEUROMODELS_BENCH_CACHE", Path(tempfile.gettempdir()) / "neuromodels-bench"))


@contextmanager
def server(backend: str, latency: float = 0.0, db: str | None = None, cpus: str | None = None) -> Iterator[dict[str, str]]:
    """``neuromodels serve <backend>`` in a subprocess; yields what it prints (URL, TOKEN, ...).
    ``cpus``: pin the server to these cores (``taskset -c``), e.g. to keep it off the client's."""
    with tempfile.TemporaryDirectory() as tmp:
        path = db or f"{tmp}/bench.sqlite"
        pin = ["taskset", "-c", cpus] if cpus else []
        proc = subprocess.Popen([*pin, sys.executable, "-m", "neuromodels.cli", "serve", backend, "--db", path,
                                 "--latency", str(latency)], stdout=subprocess.PIPE, text=True)
        try:
            info: dict[str, str] = {}
            assert proc.stdout is not None
            while "URL" not in info or "DB" not in info:
                line = proc.stdout.readline()
                if not line:
                    raise RuntimeError(f"the bundled {backend} server did not start")
                key, _, value = line.strip().partition("=")
                info[key] = value
            info["PID"] = str(proc.pid)
            yield info
        finally:
            proc.terminate()
            proc.wait(10)


def cached_db(name: str, seed: Callable[[str], None], fresh: bool = False) -> str:
    """A seeded database file, built once by ``seed(path)`` and reused (keyed by the version)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{name}-{neuromodels.__version__}.sqlite"
    if fresh or not path.exists():
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        started = time.perf_counter()
        seed(str(partial))
        # The server writes ahead: fold its log into the file before the file moves.
        with closing(sqlite3.connect(partial)) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.execute("PRAGMA journal_mode=DELETE")
        shutil.move(str(partial), path)
        print(f"seeded {name} in {time.perf_counter() - started:.0f} s (kept in {path})")
    return str(path)


def cpu_seconds(pid: int | str) -> float:
    """CPU time (user + system) a process has spent so far, from /proc (Linux); the bundled
    server's own work, apart from the client's."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def median(values: list[float]) -> float:
    return statistics.median(values)


def runs(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def load() -> str:
    """The machine's load, printed beside every figure (two cores shared with other work)."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} on {os.cpu_count()} cores"
