"""The CATMAID backend: declarations in :mod:`.resources`, wire shapes in :mod:`.converter`."""

from __future__ import annotations

from typing import Any

import requests

from ...connection import BasicAuth, Connection, Secret, basic_auth
from ...core.errors import NeuromodelsError
from ...models import Annotation, Connector, ImageInstance, Neuron, Project, Volume
from ...core.backend import Backend, ForeignEnvironment
from ...landmarks import Landmark, LandmarkGroup, Sampler
from . import errors, landmarks, raw, resources


class CatmaidAuth(requests.auth.AuthBase):
    """``X-Authorization: Token ...`` plus optional HTTP basic auth in front of the server."""

    def __init__(self, token: str | None, basic: BasicAuth | None) -> None:
        self._token = Secret(token) if token else None
        self._basic = basic

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._basic is not None:
            request = self._basic(request)
        if self._token is not None:
            request.headers["X-Authorization"] = f"Token {self._token.reveal()}"
        return request

    def __repr__(self) -> str:
        return "<CatmaidAuth>"


class CatmaidBackend(Backend):
    name = "catmaid"
    demo = "neuromodels.backends.catmaid.demo:demo"
    units = "1 nanometer"
    #: pymaid's ``connect_catmaid()`` variables (its default project is 1).
    environment = ForeignEnvironment(
        "CATMAID_SERVER",
        {"token": "CATMAID_API_TOKEN", "http_user": "CATMAID_HTTP_USER", "http_password": "CATMAID_HTTP_PASSWORD"},
        {"project": 1}, client="pymaid's")
    resources = {
        Project: resources.CatmaidProject,
        ImageInstance: resources.CatmaidImageInstance,
        Neuron: resources.CatmaidNeuron,
        Annotation: resources.CatmaidAnnotation,
        Connector: resources.CatmaidConnector,
        Volume: resources.CatmaidVolume,
        Landmark: landmarks.CatmaidLandmark,
        LandmarkGroup: landmarks.CatmaidLandmarkGroup,
        Sampler: landmarks.CatmaidSampler,
    }

    def auth(self, conn: Connection) -> requests.auth.AuthBase | None:
        if conn.token is None and conn.http_auth is None:
            return None  # anonymous reads of public servers
        return CatmaidAuth(conn.token, basic_auth(conn))

    def error_from_response(self, response: requests.Response) -> NeuromodelsError | None:
        return errors.error_from_response(response)

    def ping(self, conn: Connection) -> Any:
        return conn.transport.request("GET", "/version")

    def raw_request(self, conn: Connection, method: str, path: str, **kwargs: Any) -> Any:
        """``conn.get`` / ``conn.post``: see :mod:`.raw`."""
        return raw.raw_request(conn, method, path, **kwargs)


BACKEND = CatmaidBackend
