"""The SQLite store of a bundled server: one connection per thread, transactions as blocks."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any, Iterable



class Database:
    """SQLite with one connection per thread (WAL: readers never wait) and one writer at a time."""

    def __init__(self, path: str, schema: str) -> None:
        self.path = path
        self._local = threading.local()
        self.write_lock = threading.RLock()
        with self.write_lock:
            db = self.connection()
            db.executescript(schema)
            db.commit()

    def connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            self._local.db = db
        return db

    def read(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        return self.connection().execute(sql, tuple(params)).fetchall()

    def transaction(self) -> "_Transaction":
        """``with db.transaction() as cur:`` — all or nothing, one writer at a time."""
        return _Transaction(self)


class _Transaction:
    def __init__(self, db: Database) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.write_lock.acquire()
        conn = self.db.connection()
        conn.execute("BEGIN IMMEDIATE")
        return conn

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        conn = self.db.connection()
        try:
            conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.db.write_lock.release()


# -- the app frame -----------------------------------------------------------------------------------
