"""An opt-in cache of reads that never serves stale data after the connection's own writes.

``Connection(..., cache=True)`` keeps reads in memory, ``cache="reads.sqlite"`` in a SQLite file
that outlives the process. Entries expire after ``cache_ttl=`` seconds, :data:`DEFAULT_TTL` (five
minutes) unless given: a write by another client is seen at most that long after it was made, never
hidden for ever (``benchmarks/cache_ttl.py`` measures requests saved against staleness). Storage, keys,
serialisation and expiry are requests-cache's (its backends, ``create_key`` and
``CachedResponse``); what neuromodels adds is the rule of when to use it:

* only reads are kept: GETs and the POSTs a backend declares as reads (CATMAID's compact-detail
  and query-targets), keyed on method, path, query and body;
* a write through the connection clears the cache before it is sent and after it answered, so no
  read cached before or during a write is served after it (the bug pymaid's cache has);
* the cache file is readable by its owner only (mode 0600, :mod:`neuromodels.files`);
* responses are stored once the transport has read them within its deadline and size cap, and
  the credentials are never stored: the key carries only a fingerprint of them (two users never
  share entries) and the stored request is stripped of its headers.

>>> from neuromodels.testing import serve
>>> with serve("catmaid") as server:
...     conn = Connection(server.url, backend="catmaid", project=server.project, token=server.token, cache=True)
...     first, second = conn.ping(), conn.ping()
...     conn.transport.cache.hits
1
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from typing import Any

import requests

#: Seconds a cached read is served when ``cache_ttl`` is not given: long enough for the repeated
#: reads of a notebook session or a script's loop, short enough that another client's write shows
#: within minutes. Give ``cache_ttl=`` to choose (a day: ``86400``).
DEFAULT_TTL = 300.0
from .files import make_private, sqlite_path


class ReadCache:
    """Reads of one connection, kept by a requests-cache backend (memory or SQLite)."""

    def __init__(self, where: bool | str, ttl: float | None, fingerprint: str) -> None:
        from requests_cache.backends.base import BaseCache
        from requests_cache.backends.sqlite import SQLiteCache

        if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not ttl > 0):
            raise ValueError(f"cache_ttl must be a positive number of seconds or None, not {ttl!r}")
        if isinstance(where, str):
            # The file holds server data: owner-only from its creation (requests-cache and
            # SQLite would make it, and its journal, as the umask allows: often 0644).
            path = sqlite_path(where)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                make_private(path)
            self.storage: BaseCache = SQLiteCache(where)
        else:
            self.storage = BaseCache()
        self.ttl: float = DEFAULT_TTL if ttl is None else float(ttl)
        self._salt = hashlib.sha256(fingerprint.encode()).hexdigest()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def key(self, method: str, url: str, params: Any, data: Any, json: Any) -> str:
        from requests_cache import create_key

        request = requests.Request(method, url, params=params, data=data, json=json).prepare()
        return hashlib.sha256(f"{self._salt}:{create_key(request)}".encode()).hexdigest()

    def get(self, key: str) -> requests.Response | None:
        response = self.storage.get_response(key)
        if response is None or response.is_expired:
            with self._lock:
                self.misses += 1
            return None
        with self._lock:
            self.hits += 1
        return response

    def put(self, key: str, response: requests.Response) -> None:
        if response.status_code != 200:
            return
        expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=self.ttl)
        request = response.request
        # The stored request keeps method and URL only: never a header (credentials travel there).
        response.request = requests.Request(request.method, request.url).prepare()
        try:
            self.storage.save_response(response, cache_key=key, expires=expires)
        finally:
            response.request = request

    def clear(self) -> None:
        self.storage.clear()  # type: ignore[no-untyped-call]

    def close(self) -> None:
        self.storage.close()  # type: ignore[no-untyped-call]
