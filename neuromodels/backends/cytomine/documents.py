"""The declaration every Cytomine-only model uses: a route, where its collections are listed,
and its wire table (:mod:`.wire_domains`). A resource here is its class line plus a few lines.

``routes`` maps filters to the listing path they select (``""``: the path without filter); a
filter named in the path's ``{placeholders}`` goes into the path, the others into the query.
With ``default_project``, a collection without a routing filter lists the connection's project.
"""

from __future__ import annotations

import string
from typing import Any, ClassVar, Mapping

from ...connection import Connection
from ...core.backend import Filter
from ...core.capabilities import M
from ...core.routes import Route
from .domains import BOOL, INT, Command, _param
from . import wire_domains as wd

__all__ = ["BOOL", "Doc", "INT", "f"]


def f(name: str, doc: str, types: tuple[type, ...] = INT, many: bool = False) -> Filter:
    """A filter ``name`` (also its query parameter, unless the listing path takes it)."""
    return Filter(name, types, doc, many=many)


class Doc(Command[M]):
    """Wire bodies from the model's table, listing paths from ``routes``."""

    routes: ClassVar[Mapping[str, str]] = {}
    default_project: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """The listing's request for the docs, from ``routes``: one route, or the choice of paths
        the filters make (prose)."""
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("routes"):
            return
        if list(cls.routes) == [""]:
            cls.requests = {**cls.requests, "list": Route("GET", cls.routes[""])}
            return
        choices = [f"GET {path}" + (f" ({', '.join(n + '=' for n in names.split())})" if names else "")
                   for names, path in cls.routes.items()]
        cls.requests = {k: v for k, v in cls.requests.items() if k != "list"}
        cls.endpoints = {"list": " or ".join(choices), **cls.endpoints}

    def to_wire(self, model: M) -> dict[str, Any]:
        return wd.body_of(model)

    def _route(self, conn: Connection, modifiers: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """The listing path and the modifiers (defaults added) it was chosen for."""
        values = dict(modifiers)
        if self.default_project and "project" in self.routes and not any(k in values for k in self.routes if k):
            if conn.project is not None:
                values["project"] = conn.project
        for names, template in self.routes.items():
            if names and all(n in values for n in names.split()):
                return template, values
        if "" in self.routes:
            return self.routes[""], values
        needed = " or ".join(repr(n) for n in self.routes if n)
        raise ValueError(f"a {self.model_name} collection needs the filter {needed}")

    def list_path(self, conn: Connection, modifiers: Mapping[str, Any]) -> str:
        template, values = self._route(conn, modifiers)
        return Route("GET", template).path_for(**{k: _param(v) for k, v in values.items()})  # (each value one segment)

    def list_params(self, conn: Connection, modifiers: Mapping[str, Any]) -> dict[str, Any]:
        template, values = self._route(conn, modifiers)
        in_path = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        return {k: v for k, v in values.items() if k not in in_path}

    def fetch_model(self, conn: Connection, path: str) -> M:
        """One object read from ``path`` as this resource's model."""
        from ...transport import parse_json

        return conn.transport.request("GET", path, parse=lambda r: self.structure(parse_json(r)))

    def saved(self, model: M) -> int:
        from ...core.backend import check_id

        return int(check_id(model.id, int, f"{self.model_name} id (save or fetch it first)"))
