"""The bundled CATMAID application: the frame of :mod:`.base` with every resource's views."""

from __future__ import annotations

from .base import CatmaidBase
from .views.accounts import AccountViews
from .views.annotations import AnnotationViews
from .views.basics import BasicViews
from .views.connectivity import ConnectivityViews
from .views.connectors import ConnectorViews
from .views.edits import EditViews
from .views.landmarks import SCHEMA as LANDMARK_SCHEMA, LandmarkViews
from .views.graph import GraphViews
from .views.nodes import NodeViews
from .views.provenance import SCHEMA as PROVENANCE_SCHEMA, ProvenanceViews
from .views.reviews import ReviewViews
from .views.skeletons import SkeletonViews
from .views.spatial import SpatialViews
from .views.stats import StatsViews
from .views.tags import TagViews
from .views.tiles import TileViews
from .views.volumes import VolumeViews


class CatmaidApp(ProvenanceViews, LandmarkViews, BasicViews, AccountViews, SkeletonViews, AnnotationViews, TagViews,
                 ConnectorViews, VolumeViews, NodeViews, ConnectivityViews, GraphViews, ReviewViews, SpatialViews,
                 StatsViews, EditViews, TileViews):
    """Every endpoint the bundled CATMAID serves (paths exactly as CATMAID spells them)."""

    schema = CatmaidBase.schema + PROVENANCE_SCHEMA + LANDMARK_SCHEMA
