"""CATMAID users: the server-wide user list, and a user given by id or login resolved to its id."""

from __future__ import annotations

from typing import Any, Iterable

from ...connection import Connection
from ...core.errors import NotFound, ProtocolError
from ...core.backend import as_list
from ..extras import User
from .api import close_names


def user_rows(conn: Connection) -> list[dict[str, Any]]:
    """``GET /user-list``: every user account of the server (not scoped by project)."""
    rows: Any = conn.transport.request("GET", "/user-list")
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "id" in r for r in rows):
        raise ProtocolError(f"user-list answered {type(rows).__name__}, not a list of users")
    return rows


def user_from_row(row: dict[str, Any]) -> User:
    name = (row.get("full_name") or " ".join(p for p in (row.get("first_name"), row.get("last_name")) if p)) or None
    extra = {k: v for k, v in row.items() if k not in ("id", "login", "full_name")}
    return User(id=int(row["id"]), username=row.get("login"), name=name, extra=extra)


def users(conn: Connection) -> list[User]:
    return [user_from_row(r) for r in user_rows(conn)]


def logins(conn: Connection) -> dict[int, str]:
    """User id -> login."""
    return {int(r["id"]): str(r.get("login")) for r in user_rows(conn)}


def user_ids(conn: Connection, values: Any) -> list[int]:
    """Users given by id or login -> ids; an unknown login is NotFound naming close ones (the
    user list is read only when a login is given)."""
    wanted = as_list(values)
    if all(not isinstance(v, str) for v in wanted):
        return [int(v) for v in wanted]
    by_login = {str(r.get("login")): int(r["id"]) for r in user_rows(conn)}
    result = []
    for v in wanted:
        if not isinstance(v, str):
            result.append(int(v))
        elif v in by_login:
            result.append(by_login[v])
        else:
            raise NotFound(f"no user with login {v!r} on this server{close_names(v, by_login)}", missing=[v])
    return result


def user_id(conn: Connection, value: Any) -> int:
    return user_ids(conn, [value])[0]


def names_for(conn: Connection, ids: Iterable[int]) -> dict[int, str]:
    ids = set(ids)
    if not ids:
        return {}
    table = logins(conn)
    return {i: table[i] for i in ids if i in table}
