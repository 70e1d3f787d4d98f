"""Cytomine-only models of people: user accounts, their keys and roles, project representatives,
and what users did (positions, annotation actions, project connections, image consultations).
Exported from :mod:`neuromodels` with the other Cytomine-only models (:mod:`.models`)."""

from __future__ import annotations

from typing import Any

import attrs

from ...connection import Connection
from ...core.model import Model, model
from .calls import _call


# -- people -----------------------------------------------------------------------------------------------
@attrs.frozen
class ApiKeys:
    """A user's API keys; the private key never shows in ``repr``."""

    public_key: str
    private_key: str = attrs.field(repr=False)


@model
class UserAccount(Model):
    """A user account (``password`` is only sent, never read back)."""

    username: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    email: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    language: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    def keys(self, *, connection: Connection | None = None) -> ApiKeys:
        """This user's API keys (the server gives them to admins and to the user)."""
        return _call(self, "keys", connection)  # type: ignore[no-any-return]

    @classmethod
    def current(cls, *, connection: Connection | None = None) -> "UserAccount":
        """The account the connection acts as."""
        return _call(cls, "current", connection)  # type: ignore[no-any-return]

    def roles(self, *, connection: Connection | None = None) -> list[str]:
        """The authorities of this user's roles (``ROLE_USER``, ``ROLE_ADMIN`` ...)."""
        return _call(self, "roles", connection)  # type: ignore[no-any-return]

    def add_role(self, authority: str, *, connection: Connection | None = None) -> "UserAccount":
        """Grant a role by its authority (``"ROLE_ADMIN"``); returns the account."""
        _call(self, "add_role", connection, authority)
        return self

    def remove_role(self, authority: str, *, connection: Connection | None = None) -> "UserAccount":
        _call(self, "remove_role", connection, authority)
        return self


@model
class Role(Model):
    """A role (``authority``: ``ROLE_USER``, ``ROLE_ADMIN``, ``ROLE_GUEST``, ``ROLE_SUPER_ADMIN``)."""

    authority: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@model
class ProjectRepresentative(Model):
    """A user who represents a project (the contact for it)."""

    project: int | None = None
    user: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


# -- activity ---------------------------------------------------------------------------------------------
@model
class Position(Model):
    """Where a user looked in an image: ``location`` the view (WKT polygon; sent as its four
    corners), ``x``, ``y`` its centre (a view of one point when given alone), ``zoom``."""

    image: int | None = None
    slice: int | None = None
    project: int | None = None
    user: int | None = None
    x: float | None = None
    y: float | None = None
    zoom: int | None = None
    rotation: float | None = None
    location: str | None = None
    broadcast: bool | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@model
class AnnotationAction(Model):
    """What a user did with an annotation (``action``: ``select``, ``move`` ...)."""

    annotation: int | None = None
    action: str | None = None
    image: int | None = None
    slice: int | None = None
    project: int | None = None
    user: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@model
class ProjectConnection(Model):
    """A user's visit to a project."""

    project: int | None = None
    user: int | None = None
    os: str | None = None
    browser: str | None = None
    browser_version: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@model
class ImageConsultation(Model):
    """A user opening an image of a project."""

    image: int | None = None
    project: int | None = None
    user: int | None = None
    mode: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)
