"""The Cytomine backend: declarations in :mod:`.resources`, wire shapes in :mod:`.converter`,
HMAC signing here. :mod:`.coordinates` converts between image and Cytomine coordinates."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import requests

from ...connection import Connection, Secret
from ...core.errors import NeuromodelsError, error_for_status
from ...transport import error_text
from ...models import Annotation, Connector, ImageInstance, Neuron, Ontology, Project, Term, Volume
from ...core.backend import Backend, ServerIdentity, decode_json
from . import resources
from . import images_in, meta_domains, people, raw, tracks
from . import models as only_cytomine
from .coordinates import from_cytomine, to_cytomine
from ...landmarks import Landmark, LandmarkGroup, Sampler
from ...core.capabilities import absent

log = logging.getLogger("neuromodels")

SIGNATURES = ("auto", "4.x", "3.x")


def signature(private_key: str, method: str, content_type: str, date: str, path_and_query: str | None = None) -> str:
    """Cytomine's HMAC-SHA1: ``METHOD\\n\\nCONTENT_TYPE\\nDATE`` (4.x servers, since Dec 2025),
    plus ``\\nPATH?QUERY`` for older servers (3.x clients)."""
    text = f"{method}\n\n{content_type}\n{date}"
    if path_and_query is not None:
        text += "\n" + path_and_query
    return base64.b64encode(hmac.new(private_key.encode(), text.encode(), hashlib.sha1).digest()).decode()


class CytomineAuth(requests.auth.AuthBase):
    """Signs each request; with ``signature="auto"`` a 401 is answered once with the other
    variant (an unauthenticated request was not processed, so sending it again is safe)."""

    def __init__(self, public_key: str, private_key: str, variant: str) -> None:
        self._public = Secret(public_key)
        self._private = Secret(private_key)
        self.variant = "4.x" if variant == "auto" else variant
        self.auto = variant == "auto"

    def sign(self, r: requests.PreparedRequest, variant: str) -> None:
        date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
        ctype = r.headers.get("content-type", "") or ""
        ctype = ctype.decode("latin-1") if isinstance(ctype, bytes) else ctype
        path = None
        if variant == "3.x":
            parts = urlsplit(r.url or "")
            path = parts.path + (f"?{parts.query}" if parts.query else "")
        r.headers["date"] = date
        signed = signature(self._private.reveal(), r.method or "GET", ctype, date, path)
        r.headers["authorization"] = f"CYTOMINE {self._public.reveal()}:{signed}"

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers.setdefault("accept", "application/json, */*")
        self.sign(r, self.variant)
        if self.auto:
            r.register_hook("response", self._retry_other_variant)
        return r

    def _retry_other_variant(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        if response.status_code != 401 or not self.auto:
            return response
        other = "3.x" if self.variant == "4.x" else "4.x"
        response.content  # noqa: B018 - drain before reusing the connection
        response.close()
        retry = response.request.copy()
        self.sign(retry, other)
        again = response.connection.send(retry, **kwargs)
        again.history.append(response)
        again.request = retry
        if again.status_code != 401:
            log.debug("cytomine: the server takes %s signatures; using them from now on", other)
            self.variant, self.auto = other, False
        return again

    def __repr__(self) -> str:
        return f"<CytomineAuth {self.variant}>"


class BearerAuth(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self._token = Secret(token)

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        return r

    def __repr__(self) -> str:
        return "<BearerAuth>"


class CytomineBackend(Backend):
    name = "cytomine"
    demo = "neuromodels.backends.cytomine.demo:demo"
    identity = ServerIdentity("Cytomine", "/server/ping", lambda body: isinstance(body, dict) and "alive" in body)
    resources = {
        Project: resources.CytomineProject,
        ImageInstance: resources.CytomineImageInstance,
        Annotation: resources.CytomineAnnotation,
        Term: resources.CytomineTerm,
        Ontology: resources.CytomineOntology,
        Neuron: resources.CytomineNeuron,
        Connector: resources.CytomineConnector,
        Volume: resources.CytomineVolume,
        # Models only Cytomine has.
        only_cytomine.Storage: images_in.CytomineStorage,
        only_cytomine.UploadedFile: images_in.CytomineUploadedFile,
        only_cytomine.AbstractImage: images_in.CytomineAbstractImage,
        only_cytomine.AbstractSlice: images_in.CytomineAbstractSlice,
        only_cytomine.SliceInstance: images_in.CytomineSliceInstance,
        only_cytomine.ImageGroup: images_in.CytomineImageGroup,
        only_cytomine.ImageGroupImage: images_in.CytomineImageGroupImage,
        only_cytomine.Track: tracks.CytomineTrack,
        only_cytomine.AnnotationTrack: tracks.CytomineAnnotationTrack,
        only_cytomine.AnnotationGroup: tracks.CytomineAnnotationGroup,
        only_cytomine.AnnotationLink: tracks.CytomineAnnotationLink,
        only_cytomine.AnnotationFilter: tracks.CytomineAnnotationFilter,
        only_cytomine.UserAccount: people.CytomineUserAccount,
        only_cytomine.Role: people.CytomineRole,
        only_cytomine.ProjectRepresentative: people.CytomineProjectRepresentative,
        only_cytomine.Position: people.CytominePosition,
        only_cytomine.AnnotationAction: people.CytomineAnnotationAction,
        only_cytomine.ProjectConnection: people.CytomineProjectConnection,
        only_cytomine.ImageConsultation: people.CytomineImageConsultation,
        only_cytomine.Property: meta_domains.CytomineProperty,
        only_cytomine.Description: meta_domains.CytomineDescription,
        only_cytomine.Tag: meta_domains.CytomineTag,
        only_cytomine.TermRelation: meta_domains.CytomineTermRelation,
        Landmark: absent("Cytomine annotations are geometries on images; it has no landmarks"),
        LandmarkGroup: absent("Cytomine annotations are geometries on images; it has no landmark groups"),
        Sampler: absent("Cytomine holds no traced neurons to sample"),
    }

    #: ``signature``: "4.x" (servers since Dec 2025), "3.x" (older: signs path and query) or
    #: "auto" (4.x, switching once to 3.x on a 401).
    options = {"signature": "auto"}

    def auth(self, conn: Connection) -> requests.auth.AuthBase | None:
        variant = conn.options["signature"]
        if variant not in SIGNATURES:
            raise ValueError(f"signature must be one of {', '.join(SIGNATURES)}, not {variant!r}")
        public, private = conn.keys
        if public and private:
            return CytomineAuth(public, private, variant)
        if public or private:
            raise ValueError("Cytomine HMAC needs both public_key and private_key")
        if conn.token:
            return BearerAuth(conn.token)
        raise ValueError(
            "a Cytomine server needs credentials: public_key= and private_key= (your account page on the "
            "server lists them; or NEUROMODELS_PUBLIC_KEY/NEUROMODELS_PRIVATE_KEY for from_env()), or token="
        )

    def error_from_response(self, response: requests.Response) -> NeuromodelsError | None:
        status = response.status_code
        if status < 400 and not (b'"errors"' in response.content[:200] and b'"collection"' not in response.content[:200]):
            return None  # a success (an error document in a 200 is checked below)
        body = decode_json(response)
        message = None
        if isinstance(body, dict):
            errors = body.get("errors")
            if isinstance(errors, dict):
                message = errors.get("message")
            elif isinstance(errors, str):
                message = errors
            elif "message" in body:
                message = body["message"]
            elif "error" in body:  # Spring Boot's error document (401 from the security filter)
                message = f"{body['error']} ({body.get('path', '')})"
            elif "detail" in body or "title" in body:  # RFC 7807
                message = body.get("detail") or body.get("title")
        if status < 400:
            if not (isinstance(body, dict) and "errors" in body and "id" not in body):
                return None
            return error_for_status(400)(str(message), server_message=str(message))
        if message is None:
            message = error_text(response) or response.reason or f"HTTP {status}"
        return error_for_status(status)(str(message), server_message=str(message))

    def ping(self, conn: Connection) -> Any:
        return conn.transport.request("GET", "/server/ping")

    def raw_request(self, conn: Connection, method: str, path: str, **kwargs: Any) -> Any:
        """``conn.get`` / ``post`` / ``put`` / ``delete``: see :mod:`.raw`."""
        return raw.raw_request(conn, method, path, **kwargs)


BACKEND = CytomineBackend

__all__ = ["BACKEND", "CytomineBackend", "from_cytomine", "signature", "to_cytomine"]
