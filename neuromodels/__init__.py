"""neuromodels: neuron reconstructions and image annotations on CATMAID, Cytomine,
NeuroMorpho.org and Clio as Python objects.

>>> from neuromodels import Connection, Neuron
>>> # with Connection("https://catmaid.example.org", backend="catmaid", project=1, token="..."):
>>> #     n = Neuron.fetch(16)
"""

from .collection import Collection
from .connection import Connection
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
from .model import Model
from .resources import (
    Annotation,
    AnnotationCollection,
    Connector,
    ConnectorCollection,
    ImageInstance,
    ImageInstanceCollection,
    Link,
    Neuron,
    NeuronCollection,
    Ontology,
    OntologyCollection,
    Project,
    ProjectCollection,
    Term,
    TermCollection,
    Volume,
    VolumeCollection,
)

__version__ = "0.1.0"

__all__ = [
    "Annotation", "AnnotationCollection", "AuthenticationError", "BadRequest", "Collection",
    "Conflict", "Connection", "Connector", "ConnectorCollection", "ImageInstance",
    "ImageInstanceCollection", "Link", "Model", "NeuromodelsError", "Neuron", "NeuronCollection",
    "NoConnection", "NotFound", "NotSupported", "Ontology", "OntologyCollection", "PartialSaveError",
    "PermissionDenied", "Project", "Term", "TermCollection",
    "ProjectCollection", "ProtocolError", "RateLimited", "ServerError", "ServerUnavailable",
    "Volume", "VolumeCollection",
]
