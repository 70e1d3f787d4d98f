"""Where a model stands with respect to the server: the states the write contract moves it through."""

from __future__ import annotations

import enum


class SaveState(enum.Enum):
    """Where a model stands with respect to the server."""

    #: Never stored: ``save()`` creates it.
    NEW = "new"
    #: As loaded from or last saved to the server (it may have local changes since).
    STORED = "stored"
    #: A create was sent but its reply was lost: the next ``save()`` looks it up before resending.
    UNKNOWN = "unknown"
    #: A delete was sent but its reply was lost: the next ``delete()`` finishes it.
    DELETING = "deleting"
    #: Deleted on the server.
    DELETED = "deleted"
