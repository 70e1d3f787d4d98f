"""Small CATMAID request helpers shared by the resource declarations."""

from __future__ import annotations

import difflib
import email.utils
import logging
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence, TypeVar

import attrs
import orjson

from ...connection import Connection
from ...formats.times import parse_iso
from ...core.errors import NotFound
from ...core.capabilities import ConnectionState
from ..settling import Claims
from ...transport import json_as, parse_json
from . import replies
from .converter import form_list, volume_rows

if TYPE_CHECKING:
    from ...core.model import Model

log = logging.getLogger("neuromodels")
T = TypeVar("T")


def pid(conn: Connection) -> int:
    """The connection's project id; CATMAID scopes almost every endpoint by it."""
    project = conn.project
    if isinstance(project, bool) or not isinstance(project, int):
        raise ValueError(f"a CATMAID connection needs project=<int>, not {project!r}")
    return project


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def shaped(shape: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """A parse callback: the JSON body, read by ``shape`` (:mod:`.replies`) where one is given."""
    return parse_json if shape is None else json_as(shape)


def get(conn: Connection, path: str, *, shape: Callable[[Any], Any] | None = None, **params: Any) -> Any:
    """A GET in the project; ``shape`` (:mod:`.replies`) reads the reply inside the request."""
    return conn.transport.request("GET", f"/{pid(conn)}{path}", params=params or None, parse=shaped(shape))


def read(conn: Connection, path: str, data: Any, shape: Callable[[Any], Any] | None = None) -> Any:
    """A POST that only reads (CATMAID takes long id lists in POST bodies): safe to retry."""
    return conn.transport.request("POST", f"/{pid(conn)}{path}", data=data, read=True, parse=shaped(shape))


def write(conn: Connection, path: str, data: Any = None, *, shape: Callable[[Any], Any] | None = None,
          **kwargs: Any) -> Any:
    """A POST that changes something; its reply read by ``shape`` inside the request, so a reply
    of another shape is an unknown outcome, never a failure."""
    if "parse" not in kwargs:
        kwargs["parse"] = shaped(shape)
    return conn.transport.request("POST", f"/{pid(conn)}{path}", data=data, **kwargs)


def state(known: Any) -> str:
    """The optimistic-locking ``state`` field: the edition times we hold, else nocheck."""
    if known is None:
        log.debug("CATMAID state: no edition time held, sending nocheck")
        return '{"nocheck": true}'
    return orjson.dumps(known).decode()


def neuron_ids(conn: Connection, skeleton_ids: Iterable[int]) -> dict[int, int]:
    """Skeleton id -> neuron id, in bulk (``neurons/from-models``); unknown ids are absent."""
    skids = list(dict.fromkeys(skeleton_ids))
    result: dict[int, int] = {}
    for part in chunks(skids, 2000):
        result.update(read(conn, "/neurons/from-models", form_list("model_ids", part), replies.id_map))
    return result


def require_neuron_ids(conn: Connection, skeleton_ids: Iterable[int]) -> dict[int, int]:
    skids = list(skeleton_ids)
    mapping = neuron_ids(conn, skids)
    missing = [s for s in skids if s not in mapping]
    if missing:
        raise NotFound(f"no neuron for skeleton(s) {missing[:10]}", missing=missing)
    return mapping


def annotation_index(conn: Connection) -> dict[str, int]:
    """Every annotation name -> id in the project (``annotations/?simple=true``)."""
    index: dict[str, int] = get(conn, "/annotations/", simple="true", shape=replies.annotation_index)
    return index


def close_names(name: str, names: Iterable[str]) -> str:
    """`` (did you mean 'PN'?)`` for names equal but for case, or else close in spelling."""
    names = list(names)
    folded: dict[str, list[str]] = {}
    for n in names:
        folded.setdefault(n.casefold(), []).append(n)
    close = list(folded.get(name.casefold(), []))
    for match in difflib.get_close_matches(name.casefold(), list(folded), n=3, cutoff=0.6):
        close += [n for n in folded[match] if n not in close]
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(c) for c in close[:3]) + "?)"


def volume_id(conn: Connection, volume: Any) -> int:
    """A volume given by id or by name -> its id (NotFound naming close names)."""
    if not isinstance(volume, str):
        return int(volume)
    rows = get(conn, "/volumes/", shape=volume_rows)
    ids = [int(r["id"]) for r in rows if r.get("name") == volume]
    if not ids:
        names = [str(r.get("name")) for r in rows]
        raise NotFound(f"no volume named {volume!r} in project {pid(conn)}{close_names(volume, names)}", missing=[volume])
    if len(ids) > 1:
        raise ValueError(f"{len(ids)} volumes are named {volume!r} (ids {ids}); give the id")
    return ids[0]


@attrs.define
class CatmaidState(ConnectionState):
    """What a CATMAID connection reads once (each project's relation ids) and what it needs to
    settle imports whose reply was lost: when each was sent, the skeletons this connection
    created, and the token's user once known."""

    relations: dict[int, dict[str, int]] = attrs.field(factory=dict)
    own_node: int | None = None
    #: When the import that created ``own_node`` was answered (our clock).
    own_answered: float = 0.0
    #: A proven lower bound of (server clock - our clock), from times the server recorded for
    #: our own writes: a write recorded at server time T was answered at our time R >= T - skew.
    skew_floor: float | None = None
    user: int | None = None
    watermark: int | None = None
    watermark_read: float = 0.0
    lock: threading.Lock = attrs.field(factory=threading.Lock)
    reading: threading.Lock = attrs.field(factory=threading.Lock)

    def note_import(self, node: int, answered: float) -> None:
        """One of our imports answered: its first node and when (both together, under the lock,
        so a node is never paired with another import's time)."""
        with self.lock:
            self.own_node, self.own_answered = node, answered

    def own(self) -> tuple[int | None, float]:
        with self.lock:
            return self.own_node, self.own_answered

    def bump(self, skid: int) -> None:
        with self.lock:
            if self.watermark is not None and skid > self.watermark:
                self.watermark = skid


#: Per create sent: (client time, the highest skeleton id known to exist before it; 0 where ids
#: are not compared). Kept with the model, not the connection, so that a new connection (after a
#: restart) can settle it.
TICKETS: "weakref.WeakKeyDictionary[Any, tuple[float, int]]" = weakref.WeakKeyDictionary()
#: Server objects (skeletons, connectors, volumes) that creates or lookups of this process hold,
#: by the model holding each: never adopted by another model.
CLAIMS = Claims()


def claim(conn: Connection, id: int, model: Model, kind: str = "skeleton") -> None:
    CLAIMS.take(conn, kind, id, model)
    if kind == "skeleton":
        CatmaidState.of(conn).bump(id)


def claimed(conn: Connection, model: Model, kind: str = "skeleton") -> set[int]:
    """Ids held by models other than ``model``."""
    return CLAIMS.others(conn, kind, model)


#: Seconds a read of the highest skeleton id is used for later imports (own imports raise it).
WATERMARK_AGE = 60.0


def watermark(conn: Connection) -> int:
    """The highest skeleton id in the project, read at most every ``WATERMARK_AGE`` seconds
    (skeleton and neuron ids come from one increasing sequence, so a neuron imported later
    has a higher id)."""
    state = CatmaidState.of(conn)
    with state.reading:  # parallel imports wait for one read instead of each making it
        with state.lock:
            if state.watermark is not None and time.monotonic() - state.watermark_read < WATERMARK_AGE:
                return state.watermark
        form = [("types[0]", "neuron"), ("sort_by", "id"), ("sort_dir", "desc"), ("range_start", "0"),
                ("range_length", "5")]
        _, entities = read(conn, "/annotations/query-targets", form, replies.entities)
        highest = max((s for e in entities for s in e["skeleton_ids"]), default=0)
        with state.lock:
            state.watermark = max(highest, state.watermark or 0)
            state.watermark_read = time.monotonic()
            return state.watermark


#: Seconds of doubt when comparing the server's record times with a send time: little when the
#: clock offset comes from the server's records of our own writes (millisecond times), more when
#: only the ``Date`` header (whole seconds, possibly another clock than the database's) gives it.
CLOCK_SLACK_RECORDED = 0.005
CLOCK_SLACK_DATE = 0.5


def observe_clock(conn: Connection, recorded: Any, answered: float) -> None:
    """Tighten the lower bound of the server's clock offset with a time the server recorded
    for one of our writes (ISO) and our time when its answer arrived."""
    try:
        bound = epoch(str(recorded)) - answered
    except ValueError:
        return
    state = CatmaidState.of(conn)
    with state.lock:
        state.skew_floor = bound if state.skew_floor is None else max(state.skew_floor, bound)


def date_offset(conn: Connection) -> float | None:
    """(server clock - our clock) from the ``Date`` header of one request: floored to the
    second, so never above the truth; None without the header."""
    def parse(response: Any) -> float | None:
        date = response.headers.get("Date")
        if not date:
            return None
        return float(email.utils.parsedate_to_datetime(date).timestamp() - time.time())

    result: float | None = conn.transport.request("GET", "/version", parse=parse)
    return result


def clock_skew(conn: Connection, from_date: float | None) -> tuple[float, float]:
    """A lower bound of (server clock - our clock) in seconds, and the slack to allow for it:
    the best of ``from_date`` (:func:`date_offset`) and the server's records of our writes."""
    recorded = CatmaidState.of(conn).skew_floor
    if recorded is not None and (from_date is None or recorded >= from_date):
        return recorded, CLOCK_SLACK_RECORDED
    return (0.0 if from_date is None else from_date), CLOCK_SLACK_DATE


def epoch(value: str) -> float:
    """An ISO time as CATMAID writes it (``...+00:00`` or ``...Z``) -> epoch seconds."""
    return parse_iso(value).timestamp()


def neuron_names(conn: Connection, skeleton_ids: Sequence[int]) -> dict[int, str]:
    """Skeleton id -> neuron name, in bulk (``skeleton/neuronnames``)."""
    result: dict[int, str] = {}
    for part in chunks(list(dict.fromkeys(skeleton_ids)), 2000):
        result.update(read(conn, "/skeleton/neuronnames", form_list("skids", part), replies.name_map))
    return result


def relation_ids(conn: Connection) -> dict[str, int]:
    """Connector relation name -> the project's numeric relation id, read once per connection."""
    state = CatmaidState.of(conn)
    project = pid(conn)
    if project not in state.relations:
        state.relations[project] = get(conn, "/connectors/types/", shape=replies.relations)
    return state.relations[project]


def sync_annotations(conn: Connection, before: Iterable[str], after: Iterable[str], *, target: tuple[str, int],
                     entity: int) -> None:
    """Add the annotation names new in ``after`` to ``target`` (``("skeleton_ids", skid)`` or
    ``("entity_ids", id)``) and remove the names gone since ``before`` from ``entity``."""
    added, removed = sorted(set(after) - set(before)), sorted(set(before) - set(after))
    if added:
        write(conn, "/annotations/add", form_list(target[0], [target[1]]) + form_list("annotations", added))
    if removed:
        index = annotation_index(conn)
        ids = [index[name] for name in removed if name in index]
        if ids:
            write(conn, "/annotations/remove", form_list("annotation_ids", ids) + form_list("entity_ids", [entity]))
