"""Which connection a call uses: the one it is given, else the innermost ``with`` block of this
thread or task, else the one a notebook activated for the whole session.

The core owns this rule, so that models and collections find their connection without the core
importing the connection module (and, through it, the transport and the backend registry):
:class:`~neuromodels.connection.Connection` pushes itself here when a ``with`` block opens.
"""

from __future__ import annotations

import contextvars
import threading
from typing import TYPE_CHECKING, Any

from .errors import NoConnection

if TYPE_CHECKING:
    from ..connection import Connection

#: The connections of the open ``with`` blocks in this context (thread or task), innermost last.
_current: contextvars.ContextVar[tuple["Connection", ...]] = contextvars.ContextVar(
    "neuromodels_connections", default=()
)
#: The reset tokens of those blocks, innermost last.
_tokens: contextvars.ContextVar[tuple[contextvars.Token[tuple["Connection", ...]], ...]] = contextvars.ContextVar(
    "neuromodels_connection_tokens", default=()
)
_activated: "Connection | None" = None
_activated_lock = threading.Lock()


def enter(conn: "Connection") -> None:
    """A ``with conn:`` block opens: ``conn`` is current in this context until it closes."""
    _tokens.set(_tokens.get() + (_current.set(_current.get() + (conn,)),))


def leave() -> None:
    """The innermost ``with`` block closes: the connection before it is current again."""
    stack = _tokens.get()
    _current.reset(stack[-1])
    _tokens.set(stack[:-1])


def activate(conn: "Connection | None") -> None:
    """Make ``conn`` current for the whole session wherever no ``with`` block says otherwise
    (None ends it)."""
    global _activated
    with _activated_lock:
        _activated = conn


def activated() -> "Connection | None":
    return _activated


def deactivate(conn: "Connection") -> None:
    """``conn`` is no longer the session's connection (if it was)."""
    global _activated
    with _activated_lock:
        if _activated is conn:
            _activated = None


def current(connection: Any = None) -> "Connection":
    """``connection`` if given (checked to be an open connection), else the innermost ``with``
    block's, else the activated one; :class:`NoConnection` when there is none."""
    if connection is not None:
        refuse_closed = getattr(connection, "_refuse_closed", None)
        if refuse_closed is None:
            raise TypeError(f"connection= must be a Connection, not {type(connection).__name__}")
        refuse_closed()
        return connection  # type: ignore[no-any-return]
    stack = _current.get()
    if stack:
        stack[-1]._refuse_closed()
        return stack[-1]
    active = _activated
    if active is not None:
        return active
    raise NoConnection(
        "no current connection. Either open one around the code: `with Connection(url, backend=...) as conn:`"
        " (or call conn.activate() once, in a notebook), or pass it to the call: `connection=conn`"
    )
