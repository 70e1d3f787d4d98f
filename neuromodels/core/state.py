"""Where a model stands with respect to the server: the states the write contract moves it through."""

from __future__ import annotations

import enum
from typing import Any

import attrs


class SaveState(enum.Enum):
    """Where a model stands with respect to the server."""

    #: Never stored: ``save()`` creates it.
    NEW = "new"
    #: As loaded from or last saved to the server (it may have local changes since).
    STORED = "stored"
    #: A create or an update was sent but its reply was lost or unreadable: the next ``save()``
    #: looks a create up before resending it, and sends an update again (a resource whose
    #: updates could add something twice, ``settles_updates``, looks first).
    UNKNOWN = "unknown"
    #: A delete was sent but its reply was lost: the next ``delete()`` finishes it.
    DELETING = "deleting"
    #: Deleted on the server.
    DELETED = "deleted"


class Found(enum.Enum):
    """What a lookup of a write whose reply was lost found."""

    #: It is on the server (with the id the settlement carries).
    STORED = "stored"
    #: Certainly not on the server: it is sent again.
    ABSENT = "absent"
    #: The lookup cannot tell: not resent (the reason says why).
    UNKNOWN = "unknown"


@attrs.frozen
class Settlement:
    """What looking on the server found about a write whose reply was lost.

    ``Settlement.stored(id)``: it is there, with this id; ``Settlement.absent()``: certainly not
    stored (it is sent again); ``Settlement.unknown(why)``: the lookup cannot tell (not resent).
    """

    status: Found
    id: Any = None
    reason: str = ""

    @classmethod
    def stored(cls, id: Any) -> "Settlement":
        return cls(Found.STORED, id)

    @classmethod
    def absent(cls) -> "Settlement":
        return cls(Found.ABSENT)

    @classmethod
    def unknown(cls, reason: str) -> "Settlement":
        return cls(Found.UNKNOWN, reason=reason)
