"""The NeuroMorpho.org backend (read-only): declarations in :mod:`.resources`.

Beyond neurons, their metadata and nodes, the server's other endpoints are functions of the
(current) connection: vocabularies and counts (:func:`field_names`, :func:`field_values`,
:func:`partition`), the literature (:func:`literature`, :func:`article`), morphometry of many
neurons and by value (:func:`morphometry`, :func:`morphometry_select`), persistence vectors
(:func:`persistence_vector`, :func:`persistence_vectors`) and files (:func:`original_file`,
:func:`png`).
"""

from __future__ import annotations

from typing import Any

import requests

from ...connection import Connection, basic_auth
from ...core.errors import NeuromodelsError, error_for_status
from ...models import Annotation, Connector, ImageInstance, Neuron, Project, Volume
from ...core.backend import Backend, ServerIdentity, decode_json
from . import resources
from ...landmarks import Landmark, LandmarkGroup, Sampler
from ...core.capabilities import absent
from .files import original_file, png
from .measures import PersistenceVector, morphometry, morphometry_select, persistence_vector, persistence_vectors
from .queries import article, field_names, field_values, literature, partition

__all__ = ["BACKEND", "NeuroMorphoBackend", "PersistenceVector", "article", "field_names", "field_values", "literature",
           "morphometry", "morphometry_select", "original_file", "partition", "persistence_vector",
           "persistence_vectors", "png"]


class NeuroMorphoBackend(Backend):
    name = "neuromorpho"
    demo = "neuromodels.backends.neuromorpho.demo:demo"
    identity = ServerIdentity("NeuroMorpho.org", "/api/health", lambda body: isinstance(body, dict) and body.get("status") == "UP")
    units = "1 micrometer"
    resources = {
        Neuron: resources.NeuroMorphoNeuron,
        Project: resources.NeuroMorphoProject,
        Annotation: resources.NeuroMorphoAnnotation,
        ImageInstance: resources.NeuroMorphoImageInstance,
        Connector: resources.NeuroMorphoConnector,
        Volume: resources.NeuroMorphoVolume,
        Landmark: absent("NeuroMorpho.org serves reconstructions without landmarks"),
        LandmarkGroup: absent("NeuroMorpho.org serves reconstructions without landmarks"),
        Sampler: absent("NeuroMorpho.org is read-only and keeps no samplers"),
    }
    # Its maintainers ask for about five requests a second: at most four at once by default.
    default_max_workers = 4

    def error_from_response(self, response: requests.Response) -> NeuromodelsError | None:
        status = response.status_code
        if status < 400 and b'"error"' not in response.content[:300]:
            return None
        body = decode_json(response)
        is_error_body = isinstance(body, dict) and "error" in body and "message" in body
        if status < 400 and not is_error_body:
            return None
        message = (body.get("message") or body.get("error")) if isinstance(body, dict) else None
        message = str(message or response.reason or f"HTTP {status}")
        return error_for_status(status if status >= 400 else 400)(message, server_message=message)

    def auth(self, conn: Connection) -> requests.auth.AuthBase | None:
        return basic_auth(conn)  # a proxy in front of a mirror may ask for it

    def ping(self, conn: Connection) -> Any:
        return conn.transport.request("GET", "/api/health")


BACKEND = NeuroMorphoBackend
