"""The requests behind a resource's operations, declared once.

A resource declares a :class:`Route` per operation in ``requests``; its code sends them with
:meth:`~neuromodels.core.capabilities.Resource.send`, and the docs' endpoint tables
(:mod:`neuromodels.backends.describe`) print the same values, so a path is never written twice.
``endpoints`` (prose) is left for what one route cannot say: an operation made of several
requests, or a listing whose path depends on the filters.

>>> route = Route("PUT", "/api/term/{id}.json", note="the whole object")
>>> str(route)
'PUT /api/term/{id}.json (the whole object)'
>>> route.path_for(id=7)
'/api/term/7.json'
"""

from __future__ import annotations

import string
from typing import Any

import attrs

from .backend import segment

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


@attrs.frozen
class Route:
    """One request: its method and path template (``{id}``, ``{project}`` … filled by
    :meth:`path_for`), and a note for the docs."""

    method: str = attrs.field(validator=attrs.validators.in_(METHODS))
    path: str = attrs.field()
    note: str = ""
    #: A POST that only reads (a query with a long body): retried like a GET.
    reads: bool = False

    @path.validator
    def _starts_with_slash(self, attribute: Any, value: str) -> None:
        if not value.startswith("/"):
            raise ValueError(f"a route's path starts with '/': {value!r}")

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(name for _, name, _, _ in string.Formatter().parse(self.path) if name)

    def path_for(self, **values: Any) -> str:
        """The path with its placeholders filled, each value as one path segment
        (:func:`~neuromodels.core.backend.segment`: quoted, dot segments refused); a list fills
        its placeholder with its items joined by commas (each quoted).

        >>> Route("GET", "/{project}/volumes/{id}/").path_for(project=1, id="a/b")
        '/1/volumes/a%2Fb/'
        """
        missing = [name for name in self.placeholders if values.get(name) is None]
        if missing:
            raise ValueError(f"{self.method} {self.path} needs {', '.join(missing)}")
        return self.path.format(**{name: _filled(values[name]) for name in self.placeholders})

    def __str__(self) -> str:
        return f"{self.method} {self.path}" + (f" ({self.note})" if self.note else "")


def _filled(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(segment(v) for v in value)
    return segment(value)
