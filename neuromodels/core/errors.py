"""The exception tree. Every error the library raises derives from :class:`NeuromodelsError`.

HTTP errors keep the status code, the server's own message, and the request's method and path
(never its query string or headers, where credentials may travel). Every error also says what is
known about the request's fate: ``sent`` (it reached the server) and ``outcome_unknown`` (a write
may or may not have been stored). Every error pickles, so a report survives a process pool.
"""

from __future__ import annotations

from typing import Any


def _restore(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    """Unpickle an error without calling its ``__init__`` (whose keywords pickle cannot know)."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class NeuromodelsError(Exception):
    """Base class of every neuromodels error.

    >>> try:
    ...     raise NotFound("no such neuron", status=404, method="GET", path="/1/skeletons/9/")
    ... except NeuromodelsError as e:
    ...     (e.status, e.method)
    (404, 'GET')
    """

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
        server_message: str | None = None,
        error_type: str | None = None,
        sent: bool = False,
        outcome_unknown: bool = False,
    ) -> None:
        self.message = message
        self.status = status
        self.method = method
        self.path = path
        self.server_message = server_message
        self.error_type = error_type
        #: The request reached the server (it was sent and not refused at the door).
        self.sent = sent
        #: A write may or may not have been stored: settle it by looking, never by resending.
        self.outcome_unknown = outcome_unknown
        super().__init__(message)

    @property
    def unknown_outcome(self) -> bool:
        """The older name of :attr:`outcome_unknown`, kept for callers written before it."""
        return self.outcome_unknown

    @unknown_outcome.setter
    def unknown_outcome(self, value: bool) -> None:
        self.outcome_unknown = bool(value)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self.args, dict(self.__dict__)))

    def __str__(self) -> str:
        where = ""
        if self.method and self.path:
            where = f"{self.method} {self.path}"
            if self.status is not None:
                where += f" -> {self.status}"
            where += ": "
        return where + self.message


class NoConnection(NeuromodelsError):
    """A model or collection was used outside ``with Connection(...)`` and without ``connection=``."""


class NotFetched(NeuromodelsError):
    """A query collection was read before its query ran: ``NeuronCollection(annotation="PN")``
    holds no neurons until ``fetch()`` (or streams them with ``iterator()``); reading it empty
    would pass for "no matches"."""


class NotSent(NeuromodelsError):
    """The request was never sent: the work was interrupted (Ctrl-C) before it started.

    Nothing reached the server, so sending it again later is safe.
    """

    def __init__(self, message: str = "not sent: the work was interrupted", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)


class NotSupported(NeuromodelsError):
    """The backend cannot do this operation; the message says why."""


class AuthenticationError(NeuromodelsError):
    """The server did not accept the credentials (401), or they are unusable (expired token)."""


class PermissionDenied(NeuromodelsError):
    """The credentials were accepted but lack the permission (403)."""


class CredentialsRequired(AuthenticationError, PermissionDenied):
    """The server refused a request sent without credentials (CATMAID's "CSRF Failed" or
    ``AnonymousUser`` refusals, a 401 to a request without a token); the message says how to
    give them. Also a :class:`PermissionDenied`, which is how such a 403 was reported before."""


class NotFound(NeuromodelsError):
    """The object does not exist. ``.missing`` lists the ids that were not found, where known."""

    def __init__(self, message: str = "", *, missing: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.missing = list(missing or [])


class BadRequest(NeuromodelsError):
    """The server refused the request as invalid (400); ``server_message`` is its own words."""


class Conflict(NeuromodelsError):
    """The object changed on the server since it was read, or already exists (409, CATMAID's
    ``StateMatchingError``)."""


class RateLimited(NeuromodelsError):
    """The server asked us to slow down (429) and retries were exhausted."""


class ServerError(NeuromodelsError):
    """The server failed (5xx)."""


class ServerUnavailable(NeuromodelsError):
    """No answer: connection refused, reset or timed out, after the retries allowed."""


class OutcomeUnknown(NeuromodelsError):
    """A write was sent earlier and the server cannot be shown to have it or not: it is not
    resent (that could store it twice). ``save()`` again looks once more; ``fetch()`` shows
    what the server holds."""

    def __init__(self, message: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("sent", True)
        kwargs.setdefault("outcome_unknown", True)
        super().__init__(message, **kwargs)


class ProtocolError(NeuromodelsError):
    """The response is not what the API promises (bad JSON, unexpected shape, a redirect on a write)."""


class RedirectRefused(ProtocolError):
    """The server redirected to another origin (host, port, or from https to http).

    Not followed, so that no credential goes anywhere but the server it was given for.
    ``location`` is where the server tried to send the request (without its query string).
    """

    def __init__(self, message: str = "", *, location: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.location = location


class WrongServer(ProtocolError):
    """The URL does not answer as the server kind the connection was made for (``backend=``):
    a CATMAID connection to a Cytomine server or to a plain web server. ``expected`` is the
    kind asked for; ``found`` the kind the server answered as, or None."""

    def __init__(self, message: str = "", *, expected: str | None = None, found: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.expected, self.found = expected, found

class ResponseTooLarge(ProtocolError):
    """The decoded response body is larger than the connection's ``max_body`` (a gzip bomb, or
    a query far larger than intended). ``limit`` is the cap in bytes."""

    def __init__(self, message: str = "", *, limit: int | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.limit = limit


class PartialSaveError(NeuromodelsError):
    """A batch save stored some items but not all.

    ``saved``: models stored (ids assigned); ``failed``: ``(model, error)`` pairs certainly not
    stored; ``unknown``: models whose request was sent but whose reply was lost. Calling ``save()``
    again on the collection resends the failed ones and settles the unknown ones.
    """

    def __init__(
        self,
        message: str,
        *,
        saved: list[Any],
        failed: list[tuple[Any, BaseException]],
        unknown: list[Any],
        report: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.saved = saved
        self.failed = failed
        self.unknown = unknown
        #: The :class:`~neuromodels.core.writes.WriteReport` of the call, item by item.
        self.report = report


class UnknownFilter(ValueError, AttributeError):
    """A filter or modifier the backend does not offer, refused before any request: a
    ``ValueError`` (as API.md says of unknown filters) that is also an ``AttributeError`` when it
    was set as an attribute. Raised by ``where()``, ``fetch()``, ``count()``, ``iterator()``
    and ``save()`` alike."""


#: HTTP status -> error class, for statuses a backend's parser did not classify itself.
STATUS_ERRORS: dict[int, type[NeuromodelsError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    405: BadRequest,
    409: Conflict,
    410: NotFound,
    412: Conflict,
    413: BadRequest,
    415: BadRequest,
    422: BadRequest,
    429: RateLimited,
    503: ServerUnavailable,
}


def error_for_status(status: int) -> type[NeuromodelsError]:
    """The error class for an HTTP status code."""
    if status in STATUS_ERRORS:
        return STATUS_ERRORS[status]
    if status >= 500:
        return ServerError
    if status >= 400:
        return BadRequest
    return ProtocolError
