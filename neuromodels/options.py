"""The keywords a Connection takes, other clients' names for them, and the checks of numeric ones."""

from __future__ import annotations

import difflib
import math
from typing import Any


#: The keywords every backend accepts (besides ``url`` and ``backend``).
COMMON_OPTIONS = ("project", "token", "http_user", "http_password", "timeout", "max_workers", "retries",
                  "backoff", "verify", "progress", "public_key", "private_key", "max_body", "cache", "cache_ttl")
#: Other clients' names for our keywords.
ALIASES = {"api_token": "token", "project_id": "project", "server": "url", "max_threads": "max_workers",
           "username": "http_user", "password": "http_password", "dataset": "project", "ssl_verify": "verify",
           "verify_ssl": "verify", "retry": "retries", "workers": "max_workers"}


def _suggest(name: str, known: list[str]) -> str:
    if name in ALIASES and ALIASES[name] in known + ["url"]:
        return f"{name!r} (did you mean {ALIASES[name]}=?)"
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"{name!r} (did you mean {close[0]}=?)" if close else repr(name)


def _number(name: str, value: Any, *, minimum: float, whole: bool = False, strictly: bool = False) -> None:
    """Refuse booleans, non-numbers, non-finite and out-of-range values for a numeric option."""
    kinds = (int,) if whole else (int, float)
    ok = isinstance(value, kinds) and not isinstance(value, bool)
    if ok:
        ok = math.isfinite(value) and (value > minimum if strictly else value >= minimum)
    if not ok:
        what = "a whole number" if whole else "a finite number"
        bound = f"> {minimum:g}" if strictly else f">= {minimum:g}"
        raise ValueError(f"{name} must be {what} {bound}, not {value!r}")
