"""When a request is tried again, as values: the kinds of failure and the retry policy.

The rule every backend inherits, held by :class:`RetryPolicy`:

* a request that is *safe to repeat* (a GET, or a POST the backend declares a read) is tried
  again on 5xx, connection resets, timeouts and replies that cannot be parsed;
* *every* request, writes included, is tried again when the server certainly did not process it:
  a refused connection, or 429/503 with ``Retry-After``;
* a write whose fate is unknown is never repeated.

A connection takes ``retries=3`` (how many more attempts) or a policy of its own::

    Connection(url, backend="catmaid", retries=RetryPolicy(total=5, backoff=0.2, max_wait=10))

>>> policy = RetryPolicy(total=2)
>>> policy.retries_failure(Failure.TIMEOUT, safe=True, attempt=0), policy.retries_failure(Failure.TIMEOUT, safe=False, attempt=0)
(True, False)
>>> policy.retries_failure(Failure.REFUSED, safe=False, attempt=1), policy.retries_failure(Failure.REFUSED, safe=False, attempt=2)
(True, False)
"""

from __future__ import annotations

import datetime as dt
import email.utils
import enum
import math
import random
import time

import attrs

from .core.errors import NeuromodelsError, ProtocolError, RateLimited, ServerError, ServerUnavailable

#: The longest pause a ``Retry-After`` header can impose, in seconds (and never more than the
#: call's timeout).
MAX_RETRY_AFTER = 60.0


class Failure(enum.Enum):
    """Why one attempt got no readable reply."""

    #: The connection was refused (or no pooled connection came free in time): nothing was sent.
    REFUSED = "refused"
    #: The TLS handshake failed on a too small Diffie-Hellman key: nothing was sent.
    WEAK_DH = "dh"
    #: The TLS handshake failed otherwise.
    TLS = "tls"
    #: No answer within the timeout.
    TIMEOUT = "timeout"
    #: The connection broke (reset, closed mid-reply).
    FAILED = "failed"
    #: The reply came too slowly to finish within the deadline.
    SLOW = "slow"
    #: The body does not decode as its Content-Encoding says.
    GARBLED = "garbled"
    #: The body is larger than ``max_body``.
    TOO_LARGE = "large"

    @property
    def never_sent(self) -> bool:
        """The server cannot have seen the request."""
        return self in (Failure.REFUSED, Failure.WEAK_DH)


#: Failures after which a safe request is tried again (a slow or too large reply would be as
#: slow or as large again).
RETRIED_FAILURES = frozenset({Failure.REFUSED, Failure.TIMEOUT, Failure.FAILED, Failure.GARBLED})


@attrs.frozen
class RetryPolicy:
    """How often and how patiently a connection tries a request again (as urllib3's ``Retry``).

    ``total``: attempts after the first; ``backoff``: the first pause in seconds, doubled each
    time, with jitter so parallel workers do not retry in lockstep; ``max_wait``: the longest
    pause, ``Retry-After`` included.
    """

    total: int = attrs.field(default=3, validator=attrs.validators.ge(0))
    backoff: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    max_wait: float = attrs.field(default=MAX_RETRY_AFTER, validator=attrs.validators.ge(0))
    retried_failures: frozenset[Failure] = RETRIED_FAILURES

    def retries_failure(self, failure: Failure, *, safe: bool, attempt: int) -> bool:
        """Try again after an attempt that got no reply? Writes only when nothing was sent."""
        if attempt >= self.total or failure not in self.retried_failures:
            return False
        return safe or failure.never_sent

    def retries_error(self, error: NeuromodelsError, *, status: int, safe: bool, retry_after: float | None,
                      attempt: int) -> bool:
        """Try again after an error reply? Every request when the server asked to wait
        (429/503 with ``Retry-After``: it did not process it); reads also on 5xx and on a
        success reply that cannot be read."""
        if attempt >= self.total:
            return False
        if retry_after is not None:
            return True
        return safe and (type(error) in (ServerError, ServerUnavailable, RateLimited)
                         or (type(error) is ProtocolError and status < 300))

    def pause(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before attempt number ``attempt`` (1 for the first retry)."""
        if retry_after is not None:
            delay = retry_after
        else:
            delay = self.backoff * (2 ** (attempt - 1)) * random.uniform(0.5, 1.5)
        return min(max(delay, 0.0), self.max_wait)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delay seconds or an HTTP date).

    None when there is no usable hint: missing, garbage, ``nan``, infinite. A negative delay or
    a date in the past means "now" (0.0). Huge values are returned as they are; the caller
    decides whether to wait that long.

    >>> parse_retry_after("2.5"), parse_retry_after("-3"), parse_retry_after("nan")
    (2.5, 0.0, None)
    >>> parse_retry_after("Thu, 01 Jan 1970 00:00:10 GMT", now=0.0)
    10.0
    """
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > 64:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)
