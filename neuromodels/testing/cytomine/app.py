"""The bundled Cytomine application: HMAC in both signing variants, command envelopes, collection
envelopes, list POSTs with Cytomine's partial-failure replies, and its three error shapes.

The frame is in :mod:`.base`; each module beside it serves one family of resources."""

from __future__ import annotations

from .annotations import AnnotationViews
from .base import CytomineError, reply, signature
from .images import ImageViews
from .meta import MetaViews
from .ontology import OntologyViews
from .projects import ProjectViews
from .social import SocialViews
from .uploads import UploadViews
from .users import UserViews
from .windows import WindowViews
from .imagegroups import ImageGroupViews
from .planes import PlaneViews
from .workflow import WorkflowViews

__all__ = ["CytomineApp", "CytomineError", "reply", "signature"]


class CytomineApp(UserViews, OntologyViews, ProjectViews, UploadViews, ImageViews, AnnotationViews, MetaViews, SocialViews,
                  WindowViews, PlaneViews, WorkflowViews, ImageGroupViews):
    """Every endpoint the bundled Cytomine serves (paths exactly as Cytomine spells them)."""
