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
  share entries) and the stored request is stripped of its headers;
* what a backend parsed from a cached response (e.g. CATMAID's node tables) is kept beside it, in
  memory, under the same key (:meth:`ReadCache.reusing`): a warm read returns a copy of the
  parsed result instead of parsing again. It is served only when the response itself is a hit
  (so it expires with it) and it is cleared with it.

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
from typing import Any, Callable, TypeVar

import requests

#: Seconds a cached read is served when ``cache_ttl`` is not given: long enough for the repeated
#: reads of a notebook session or a script's loop, short enough that another client's write shows
#: within minutes. Give ``cache_ttl=`` to choose (a day: ``86400``).
DEFAULT_TTL = 300.0
from .files import make_private, sqlite_path
T = TypeVar("T")


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
        #: Parsed results kept beside the stored responses: (response key, parser name) -> result.
        self._parsed: dict[tuple[str, str], Any] = {}
        self._keys: dict[str, str] = {}
        self.parsed_hits = 0

    def key(self, method: str, url: str, params: Any, data: Any, json: Any) -> str:
        # Preparing the request and normalising its body (requests-cache's create_key) costs
        # milliseconds for a form of many ids: the same request's key is remembered, by its repr.
        text = repr((method, url, params, data, json))
        with self._lock:
            known = self._keys.get(text)
        if known is not None:
            return known
        key = self._key_of(requests.Request(method, url, params=params, data=data, json=json).prepare())
        with self._lock:
            if len(self._keys) >= 4096:
                self._keys.clear()
            self._keys[text] = key
        return key

    def _key_of(self, request: requests.PreparedRequest) -> str:
        from requests_cache import create_key

        return hashlib.sha256(f"{self._salt}:{create_key(request)}".encode()).hexdigest()

    def reusing(self, name: str, parse: Callable[[requests.Response], T],
                copy: Callable[[T], T]) -> Callable[[requests.Response], T]:
        """A parse callback that keeps what ``parse`` made of a response beside the cached
        response (under ``name``), and on a cache hit returns ``copy`` of it instead of parsing
        again. ``copy`` must give the caller something it may change freely (e.g. new models over
        copy-on-write tables)."""

        def parse_or_reuse(response: requests.Response) -> T:
            if getattr(response, "from_cache", False):  # a hit: the key it was stored under
                key = str(getattr(response, "cache_key", ""))
                with self._lock:
                    kept = self._parsed.get((key, name))
                    if kept is not None:
                        self.parsed_hits += 1
                if kept is not None:
                    return copy(kept)
            else:  # a miss: the key the transport stores the response under
                key = self._key_of(response.request) if response.request is not None else ""
            result = parse(response)
            if key and response.status_code == 200:
                kept = copy(result)
                with self._lock:
                    self._parsed[(key, name)] = kept
            return result

        return parse_or_reuse

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
        with self._lock:
            self._parsed.clear()
        self.storage.clear()  # type: ignore[no-untyped-call]

    def close(self) -> None:
        self.storage.close()  # type: ignore[no-untyped-call]
