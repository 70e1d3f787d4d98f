"""The exception tree. Every error the library raises derives from :class:`NeuromodelsError`.

HTTP errors keep the status code, the server's own message, and the request's method and path
(never its query string or headers, where credentials may travel).
"""

from __future__ import annotations

from typing import Any


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
    ) -> None:
        self.message = message
        self.status = status
        self.method = method
        self.path = path
        self.server_message = server_message
        self.error_type = error_type
        super().__init__(message)

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


class NotSupported(NeuromodelsError):
    """The backend cannot do this operation; the message says why."""


class AuthenticationError(NeuromodelsError):
    """The server did not accept the credentials (401), or they are unusable (expired token)."""


class PermissionDenied(NeuromodelsError):
    """The credentials were accepted but lack the permission (403)."""


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


class ProtocolError(NeuromodelsError):
    """The response is not what the API promises (bad JSON, unexpected shape, a redirect on a write)."""


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
    ) -> None:
        super().__init__(message)
        self.saved = saved
        self.failed = failed
        self.unknown = unknown


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
