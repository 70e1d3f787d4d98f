"""The bundled Clio store: clio-store's routes over DVID ``neuronjson`` semantics in SQLite.

Writes merge field by field (``null`` deletes) and stamp ``<field>_user``/``<field>_time``; a list
is written record by record and stops at the first error; every reply to a write is ``null``.
Each version (DVID node) keeps its own records; locked nodes refuse writes. The datasets' DVID
server is this one (``/dvid``), for the endpoints clio-py and dvidtools call there directly;
``/v2/roles`` and ``/v2/annotations`` (point annotations) are served too.
"""

from __future__ import annotations

from .base import ClioError
from .store import DATASET, make_token
from .views.datasets import DatasetViews
from .views.dvid import DvidViews
from .views.people import PeopleViews
from .views.records import RecordViews

__all__ = ["ClioApp", "ClioError", "DATASET", "make_token"]


class ClioApp(DatasetViews, RecordViews, PeopleViews, DvidViews):
    """Every endpoint the bundled Clio store serves."""
