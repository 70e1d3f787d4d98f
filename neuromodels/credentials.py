"""Credentials: held in :class:`Secret` wrappers that never show them, split out of URLs, read
from the environment (ours, and the variables of other clients that backends declare) and from named profiles, and sent as HTTP basic auth."""

from __future__ import annotations

import base64
import configparser
import difflib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

import requests

if TYPE_CHECKING:
    from .connection import Connection
    from .core.backend import ForeignEnvironment


# -- secrets ---------------------------------------------------------------------------------------
class Secret:
    """A credential that never shows itself: its ``repr``/``str`` are masked, so ``vars(conn)``,
    tracebacks with local variables and error reports show nothing of it.

    >>> s = Secret("tok-123")
    >>> s, str(s), s.reveal()
    (Secret('***'), '***', 'tok-123')
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __copy__(self) -> "Secret":
        return self  # immutable: copies share it

    def __deepcopy__(self, memo: dict[int, Any]) -> "Secret":
        return self

    def __reduce__(self) -> Any:
        raise TypeError("a Secret is not pickled: pass the credential again where it is needed")


def _secret(name: str, value: "str | Secret | None", *, strip: bool = True) -> Secret | None:
    """Wrap a credential; surrounding whitespace (a trailing newline read from a file) is
    stripped; characters that cannot go into a header are refused without echoing the value."""
    if value is None:
        return None
    if isinstance(value, Secret):
        value = value.reveal()
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")
    if strip:
        value = value.strip()
    if not value:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError(f"{name} contains a line break or another control character (it is not shown here); "
                         "check how it was read or pasted")
    if strip and any(c.isspace() for c in value):
        raise ValueError(f"{name} contains whitespace inside it (it is not shown here); a {name} is one word")
    return Secret(value)


def _reveal(secret: Secret | None) -> str | None:
    return None if secret is None else secret.reveal()


def _split_userinfo(url: str) -> tuple[str, str | None, Secret | None]:
    """``https://user:pw@host/x`` -> (``https://host/x``, user, Secret(pw))."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, _, password = userinfo.partition(":")
    clean = urlunsplit(parts._replace(netloc=host))
    return clean, unquote(user) or None, Secret(unquote(password)) if password else None


def _strip_userinfo(url: str) -> str:
    return _split_userinfo(url)[0]


_SECRET_KEYS = ("token", "public_key", "private_key", "http_password")


def _env_settings(overrides: dict[str, Any]) -> dict[str, Any]:
    """Connection keywords from the environment, credentials already wrapped (a helper, so no
    frame of a later error holds them in clear)."""
    names = {
        "backend": "NEUROMODELS_BACKEND",
        "project": "NEUROMODELS_PROJECT",
        "token": "NEUROMODELS_TOKEN",
        "public_key": "NEUROMODELS_PUBLIC_KEY",
        "private_key": "NEUROMODELS_PRIVATE_KEY",
        "http_user": "NEUROMODELS_HTTP_USER",
        "http_password": "NEUROMODELS_HTTP_PASSWORD",
    }
    settings: dict[str, Any] = {}
    url = overrides.pop("url", None) or os.environ.get("NEUROMODELS_URL")
    if not url:
        wanted = overrides.get("backend") or os.environ.get("NEUROMODELS_BACKEND")
        wanted = wanted if isinstance(wanted, str) else None
        foreign = _foreign_environment(wanted)
        if foreign is None:
            raise ValueError("NEUROMODELS_URL is not set" + _foreign_hint(wanted))
        backend, env = foreign
        url = os.environ[env.url]
        names.update(env.keywords)
        settings["backend"] = backend
        settings.update(env.defaults)  # (the variables read below still win)
    settings["url"], user, password = _split_userinfo(url.strip())
    if user is not None:
        settings["http_user"], settings["http_password"] = user, password
    for key, var in names.items():
        if os.environ.get(var):
            settings[key] = Secret(os.environ[var]) if key in _SECRET_KEYS else os.environ[var]
    project = settings.get("project")
    if isinstance(project, str) and project.lstrip("-").isdigit():
        settings["project"] = int(project)
    settings.update(overrides)
    return settings


def _foreign_environment(backend: str | None) -> "tuple[str, ForeignEnvironment] | None":
    """The backend (``backend``, or any) whose declared foreign environment has its URL set."""
    for name, env in _foreign_environments(backend):
        if os.environ.get(env.url):
            return name, env
    return None


def _foreign_environments(backend: str | None) -> "list[tuple[str, ForeignEnvironment]]":
    from .registry import declarations

    return declarations("environment", [backend] if backend else None)


def _foreign_hint(backend: str | None) -> str:
    others = [f"{env.client or name} {env.url}" for name, env in _foreign_environments(backend)]
    return f" (nor {' or '.join(others)})" if others else ""


def _profile_settings(name: str, file: Path) -> dict[str, Any]:
    """Connection keywords from a profile section, credentials already wrapped."""
    parser = configparser.ConfigParser(interpolation=None)
    if not parser.read(file, encoding="utf-8"):
        raise ValueError(f"no profiles file at {file}")
    if not parser.has_section(name):
        close = difflib.get_close_matches(name, parser.sections(), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"no profile {name!r} in {file}{hint}; its profiles: {', '.join(parser.sections()) or 'none'}")
    section = parser[name]
    settings: dict[str, Any] = {key: Secret(section[key]) for key in _SECRET_KEYS if section.get(key)}
    if section.get("token_file"):
        settings["token"] = Secret(Path(section["token_file"]).expanduser().read_text(encoding="utf-8").strip())
    for key in section:
        if key in _SECRET_KEYS or key == "token_file":
            continue
        text = section[key]
        if key in ("timeout", "backoff"):
            settings[key] = float(text)
        elif key in ("retries", "max_workers", "max_body"):
            settings[key] = int(text)
        elif key == "project":
            settings[key] = int(text) if text.lstrip("-").isdigit() else text
        elif key in ("verify", "progress"):
            settings[key] = {"true": True, "yes": True, "false": False, "no": False}.get(text.strip().lower(), text)
        else:
            settings[key] = text
    if not settings.get("url"):
        raise ValueError(f"profile {name!r} in {file} has no url")
    return settings


class BasicAuth(requests.auth.AuthBase):
    """HTTP basic auth whose password stays in a :class:`Secret` until the header is built."""

    def __init__(self, user: str, password: "Secret | str | None") -> None:
        self._user = user
        self._password = password if isinstance(password, Secret) or password is None else Secret(password)

    def header(self) -> str:
        pair = f"{self._user}:{_reveal(self._password) or ''}".encode("utf-8")
        return "Basic " + base64.b64encode(pair).decode("ascii")

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = self.header()
        return r

    def __repr__(self) -> str:
        return "<BasicAuth>"


def basic_auth(conn: Connection) -> BasicAuth | None:
    """HTTP basic auth from the connection's ``http_user``/``http_password``, if any."""
    if conn._http_user is None:
        return None
    return BasicAuth(conn._http_user, conn._http_password)
