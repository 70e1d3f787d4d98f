"""The bundled Clio store: clio-store's routes over DVID ``neuronjson`` semantics in SQLite.

Writes merge field by field (``null`` deletes) and stamp ``<field>_user``/``<field>_time``; a list
is written record by record and stops at the first error; every reply to a write is ``null``.
Each version (DVID node) keeps its own records; locked nodes refuse writes.
"""

from __future__ import annotations

from .base import ClioError
from .store import DATASET, make_token
from .views.datasets import DatasetViews
from .views.records import RecordViews

__all__ = ["ClioApp", "ClioError", "DATASET", "make_token"]


class ClioApp(DatasetViews, RecordViews):
    """Every endpoint the bundled Clio store serves."""
