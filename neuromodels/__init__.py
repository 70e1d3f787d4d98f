"""neuromodels: neuron reconstructions and image annotations on CATMAID, Cytomine,
NeuroMorpho.org and Clio as Python objects.

>>> from neuromodels import Connection, NeuronCollection
>>> from neuromodels.testing import serve
>>> with serve("catmaid") as server:                     # or your server's URL and token
...     with Connection(server.url, backend="catmaid", project=server.project, token=server.token):
...         NeuronCollection(name="PN").count()
0
"""

from typing import TYPE_CHECKING, Any

from .errors import (
    AuthenticationError,
    BadRequest,
    Conflict,
    NeuromodelsError,
    NoConnection,
    NotFound,
    NotSupported,
    PartialSaveError,
    PermissionDenied,
    ProtocolError,
    RateLimited,
    ServerError,
    ServerUnavailable,
)

#: Public names loaded on first use (PEP 562), so `import neuromodels` does not load pandas.
_LAZY = {"Collection": "collection", "Connection": "connection", "Model": "model",
         **{name: "resources" for name in (
             "Annotation", "AnnotationCollection", "Connector", "ConnectorCollection", "ImageInstance",
             "ImageInstanceCollection", "Link", "Neuron", "NeuronCollection", "Ontology", "OntologyCollection",
             "Project", "ProjectCollection", "Term", "TermCollection", "Volume", "VolumeCollection")},
         **{name: "landmarks" for name in (
             "Landmark", "LandmarkCollection", "LandmarkGroup", "LandmarkGroupCollection", "Location", "Sampler",
             "SamplerCollection")},
         "User": "backends.extras"}

if TYPE_CHECKING:
    from .collection import Collection
    from .connection import Connection
    from .model import Model
    from .resources import (Annotation, AnnotationCollection, Connector, ConnectorCollection, ImageInstance,
                            ImageInstanceCollection, Link, Neuron, NeuronCollection, Ontology, OntologyCollection,
                            Project, ProjectCollection, Term, TermCollection, Volume, VolumeCollection)
    from .landmarks import (Landmark, LandmarkCollection, LandmarkGroup, LandmarkGroupCollection, Location, Sampler,
                            SamplerCollection)
    from .backends.extras import User


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'neuromodels' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__version__ = "0.1.0"

__all__ = [
    "Annotation", "AnnotationCollection", "AuthenticationError", "BadRequest", "Collection",
    "Conflict", "Connection", "Connector", "ConnectorCollection", "ImageInstance",
    "ImageInstanceCollection", "Link", "Model", "NeuromodelsError", "Neuron", "NeuronCollection",
    "NoConnection", "NotFound", "NotSupported", "Ontology", "OntologyCollection", "PartialSaveError",
    "PermissionDenied", "Project", "Term", "TermCollection",
    "ProjectCollection", "ProtocolError", "RateLimited", "ServerError", "ServerUnavailable",
    "Volume", "VolumeCollection", "Landmark", "LandmarkCollection", "LandmarkGroup", "LandmarkGroupCollection",
    "Location", "Sampler", "SamplerCollection", "User",
]
