"""The bundled CAVE: every service of one deployment in one app (info, auth and schemas; the
materialization engine; the annotation engine; the chunked graph; the skeleton service)."""

from __future__ import annotations

from .base import CaveError
from .store import DATASTACK, make_token
from .views.annotation import AnnotationViews
from .views.chunkedgraph import ChunkedGraphViews
from .views.info import InfoViews
from .views.materialize import MaterializeViews
from .views.skeleton import SkeletonViews

__all__ = ["CaveApp", "CaveError", "DATASTACK", "make_token"]


class CaveApp(InfoViews, MaterializeViews, AnnotationViews, ChunkedGraphViews, SkeletonViews):
    """Every endpoint the bundled CAVE serves."""
