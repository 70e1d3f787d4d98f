"""``put`` and ``delete`` raw requests on a connection, beside ``get`` and ``post``.

All four go to the backend's ``raw_request(conn, method, path, params=, data=, read=)`` through
the connection's transport (authentication, retries, deadlines, typed errors); a backend without
it raises :class:`~neuromodels.NotSupported`. How a backend reads ``path`` and ``data`` is its
own: CATMAID paths start at the server's root, Cytomine paths may also be relative to ``/api/``
and its ``data`` is sent as JSON.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any


class RawRequestsMixin:
    """``put`` and ``delete`` on :class:`~neuromodels.Connection`."""

    __slots__ = ()

    if TYPE_CHECKING:  # what the connection it is mixed into provides
        def _raw(self, method: str, path: str, **kwargs: Any) -> Any: ...

    def put(self, path: str, *, data: Any = None, params: Any = None) -> Any:
        """A raw PUT (see :meth:`get`)."""
        return self._raw("PUT", path, params=params, data=data, read=False)

    def delete(self, path: str, *, params: Any = None) -> Any:
        """A raw DELETE (see :meth:`get`)."""
        return self._raw("DELETE", path, params=params, data=None, read=False)


__all__ = ["RawRequestsMixin"]
