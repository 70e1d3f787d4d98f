"""neuromodels: neuron reconstructions and image annotations on CATMAID, Cytomine,
NeuroMorpho.org, Clio and CAVE as Python objects.

>>> from neuromodels import Connection, NeuronCollection
>>> from neuromodels.testing import serve
>>> with serve("catmaid") as server:                     # or your server's URL and token
...     with Connection(server.url, backend="catmaid", project=server.project, token=server.token):
...         NeuronCollection(name="PN").count()
0
"""

from typing import TYPE_CHECKING, Any

from .core.errors import (
    AuthenticationError,
    BadRequest,
    Conflict,
    NeuromodelsError,
    NoConnection,
    NotFetched,
    NotFound,
    NotSupported,
    OutcomeUnknown,
    PartialSaveError,
    PermissionDenied,
    ProtocolError,
    RateLimited,
    ServerError,
    ServerUnavailable,
    UnknownFilter,
)

#: Models only Cytomine has (neuromodels.backends.cytomine.models) and their collections.
_CYTOMINE_MODELS = (
    "AbstractImage", "AbstractSlice", "AnnotationAction", "AnnotationFilter", "AnnotationGroup", "AnnotationLink",
    "AnnotationTrack", "ApiKeys", "Description", "ImageConsultation", "ImageGroup", "ImageGroupImage", "Position",
    "ProjectConnection",
    "ProjectRepresentative", "Property", "Role", "SliceInstance", "Storage", "Tag", "TermRelation", "Track",
    "UploadedFile", "UserAccount")
_CYTOMINE_COLLECTIONS = tuple(f"{name}Collection" for name in _CYTOMINE_MODELS if name not in ("ApiKeys", "Description"))

#: Public names loaded on first use (PEP 562), so `import neuromodels` does not load pandas.
_LAZY = {"Collection": "core.collection", "Connection": "connection", "Model": "core.model",
         "SaveState": "core.state", "WriteReport": "core.writes",
         **{name: "models" for name in (
             "Annotation", "AnnotationCollection", "Connector", "ConnectorCollection", "ImageInstance",
             "ImageInstanceCollection", "Link", "Neuron", "NeuronCollection", "Ontology", "OntologyCollection",
             "Project", "ProjectCollection", "Term", "TermCollection", "Volume", "VolumeCollection")},
         **{name: "backends.cytomine.models" for name in _CYTOMINE_MODELS},
         **{name: "backends.cytomine.collections" for name in _CYTOMINE_COLLECTIONS},
         **{name: "landmarks" for name in (
             "Landmark", "LandmarkCollection", "LandmarkGroup", "LandmarkGroupCollection", "Location", "Sampler",
             "SamplerCollection")},
         "User": "backends.extras"}

if TYPE_CHECKING:
    from .core.collection import Collection
    from .connection import Connection
    from .core.model import Model
    from .core.state import SaveState
    from .core.writes import WriteReport
    from .models import (Annotation, AnnotationCollection, Connector, ConnectorCollection, ImageInstance,
                            ImageInstanceCollection, Link, Neuron, NeuronCollection, Ontology, OntologyCollection,
                            Project, ProjectCollection, Term, TermCollection, Volume, VolumeCollection)
    from .backends.cytomine.models import (
        AbstractImage, AbstractSlice, AnnotationAction, AnnotationFilter, AnnotationGroup, AnnotationLink,
        AnnotationTrack, ApiKeys, Description, ImageConsultation, ImageGroup, ImageGroupImage, Position,
        ProjectConnection,
        ProjectRepresentative, Property, Role, SliceInstance, Storage, Tag, TermRelation, Track, UploadedFile,
        UserAccount)
    from .backends.cytomine.collections import (
        AbstractImageCollection, AbstractSliceCollection, AnnotationActionCollection, AnnotationFilterCollection,
        AnnotationGroupCollection, AnnotationLinkCollection, AnnotationTrackCollection, ImageConsultationCollection,
        ImageGroupCollection, ImageGroupImageCollection, PositionCollection, ProjectConnectionCollection, ProjectRepresentativeCollection,
        PropertyCollection, RoleCollection, SliceInstanceCollection, StorageCollection, TagCollection,
        TermRelationCollection, TrackCollection, UploadedFileCollection, UserAccountCollection)
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
    "NoConnection", "NotFetched", "NotFound", "NotSupported", "Ontology", "OntologyCollection", "PartialSaveError",
    "PermissionDenied", "Project", "Term", "TermCollection",
    "ProjectCollection", "ProtocolError", "RateLimited", "ServerError", "ServerUnavailable",
    "UnknownFilter", "Volume", "VolumeCollection", "OutcomeUnknown", "SaveState", "WriteReport",
    # Models only Cytomine has, and their collections.
    "AbstractImage", "AbstractSlice", "AnnotationAction", "AnnotationFilter", "AnnotationGroup",
    "AnnotationLink", "AnnotationTrack", "ApiKeys", "Description", "ImageConsultation", "ImageGroup",
    "ImageGroupImage", "Position", "ProjectConnection", "ProjectRepresentative", "Property", "Role",
    "SliceInstance", "Storage", "Tag", "TermRelation", "Track", "UploadedFile", "UserAccount",
    "AbstractImageCollection", "AbstractSliceCollection", "AnnotationActionCollection",
    "AnnotationFilterCollection", "AnnotationGroupCollection", "AnnotationLinkCollection",
    "AnnotationTrackCollection", "ImageConsultationCollection", "ImageGroupCollection",
    "ImageGroupImageCollection", "PositionCollection", "ProjectConnectionCollection",
    "ProjectRepresentativeCollection", "PropertyCollection", "RoleCollection", "SliceInstanceCollection",
    "StorageCollection", "TagCollection", "TermRelationCollection", "TrackCollection",
    "UploadedFileCollection", "UserAccountCollection",
    "Landmark", "LandmarkCollection", "LandmarkGroup", "LandmarkGroupCollection",
    "Location", "Sampler", "SamplerCollection", "User",
]
