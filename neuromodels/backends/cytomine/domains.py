"""What every Cytomine domain shares: paging by the server's size, the show / list / add / edit /
delete routes as capabilities, tags and attached files, the per-connection state."""

from __future__ import annotations

import os
import threading
import time
import weakref
from typing import Any, Callable, ClassVar, Iterator, Mapping, Sequence, TypeVar

import attrs
import numpy as np
import requests
from shapely.geometry.base import BaseGeometry

from ...connection import Connection
from ...files import open_private
from ...core.errors import Conflict, NotFound, ProtocolError
from ...transport import parse_json
from ...core.backend import check_id, check_name
from ..extras import AttachedFile, Attachments, Tags, User
from ...core.capabilities import ConnectionState, Count, Create, Delete, Fetch, List, M, Resource, Update
from ...core.routes import Route
from ...core.paging import OffsetPaging, Page, Paging, Window, read_pages
from ..settling import Claims
from ...core.wire import integer
from . import converter as cv

INT = (int, np.integer)
BOOL = (bool,)
#: Rows per page; the server lists in memory or with SQL LIMIT, both fine at this size.
PAGE = 1000
#: The most annotations per list POST; chunks go out in parallel.
BATCH = 250
#: Slack allowed between this machine's clock and the server's when settling lost creates.
CLOCK_SLACK = 2.0
T = TypeVar("T")


@attrs.define
class CytomineState(ConnectionState):
    """What a connection learns once: who it is, the server's clock, names of terms and users."""

    #: The user this connection acts as (``user/current.json``), read once.
    me: User | None = None
    #: Server clock minus this machine's clock, in seconds (from the reply's Date header).
    clock_offset: float = 0.0
    #: Whether the server has the clearBefore route (None: not tried yet), and the lock that
    #: lets one request find out.
    clear_before: bool | None = None
    probe: threading.Lock = attrs.Factory(threading.Lock)
    #: Ontology id -> {term id: name}; project id -> ontology id; project id -> {user id: username}.
    term_names: dict[int, dict[int, str]] = attrs.Factory(dict)
    ontologies: dict[int, int | None] = attrs.Factory(dict)
    usernames: dict[int, dict[int, str]] = attrs.Factory(dict)


#: Per model, when its create was last sent (this machine's clock): a lost reply is settled only
#: by an annotation made after that. Kept by model, not by connection, so that a new connection
#: (after a restart of the server, say) can still settle it.
_SENT: "weakref.WeakKeyDictionary[Any, float]" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()
#: Server objects (annotations, terms ...) that creates or lookups of this process hold, by kind.
CLAIMS = Claims()


def _param(value: Any) -> Any:
    """Query values as Cytomine reads them: lists joined by commas, booleans true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, set)):
        return ",".join(str(_param(v)) for v in value)
    if isinstance(value, BaseGeometry):
        return value.wkt
    if isinstance(value, np.generic):
        return value.item()
    return value


def each_row(convert: Callable[[Mapping[str, Any]], T]) -> Callable[[list[Any]], list[T]]:
    """A page converter that converts row by row."""
    return lambda rows: [convert(row) for row in rows]


def _collection(convert_page: Callable[[list[Any]], list[T]]) -> Callable[[requests.Response], Page[T]]:
    """A parse callback: the rows of a collection envelope, converted a page at a time, and the
    server's ``size``."""

    def parse(response: requests.Response) -> Page[T]:
        data = parse_json(response)
        if not isinstance(data, Mapping) or not isinstance(data.get("collection"), list):
            raise ProtocolError("the reply is not a collection envelope")
        size = data.get("size")
        return Page(convert_page(data["collection"]), total_items=None if size is None else integer(size, "size"))

    return parse


#: Rows per page: ``?offset=&max=``; the first page tells the total (``size``), the others are
#: read in parallel.
PAGING = OffsetPaging(size=PAGE, start="offset", length="max")


def read_collection_page(conn: Connection, path: str, params: Mapping[str, Any], window: Window,
                         convert_page: Callable[[list[Any]], list[T]], paging: Paging = PAGING) -> Page[T]:
    """One page of a collection: the rows in ``window`` (converted a page at once) and the total."""
    query = {k: _param(v) for k, v in params.items()}
    return conn.transport.request("GET", path, params={**query, **paging.params(window)},
                                  parse=_collection(convert_page))


def paged(conn: Connection, path: str, params: Mapping[str, Any], limit: int | None,
          convert: Callable[[Mapping[str, Any]], Any] | None = None, *,
          convert_page: Callable[[list[Any]], list[Any]] | None = None,
          paging: Paging = PAGING) -> Iterator[Sequence[Any]]:
    """Every row of a collection, page by page (the core's paging loop); rows are converted by
    ``convert`` one by one, or by ``convert_page`` a page at once."""
    page_convert = convert_page or each_row(convert or (lambda row: row))
    return read_pages(conn, paging, lambda w: read_collection_page(conn, path, params, w, page_convert, paging), limit)


def every(conn: Connection, path: str, convert: Callable[[Mapping[str, Any]], T],
          params: Mapping[str, Any] | None = None) -> list[T]:
    return [row for page in paged(conn, path, params or {}, None, convert) for row in page]


def _total(conn: Connection, path: str, params: Mapping[str, Any]) -> int:
    def parse(response: requests.Response) -> int:
        return int(parse_json(response)["size"])

    return conn.transport.request("GET", path, params={**{k: _param(v) for k, v in params.items()}, "max": 1, "offset": 0},
                                  parse=parse)


def _rows(response: requests.Response) -> list[Mapping[str, Any]]:
    data = parse_json(response)
    if not isinstance(data, Mapping) or not isinstance(data.get("collection"), list):
        raise ProtocolError("the reply is not a collection envelope")
    return list(data["collection"])


def current_user(conn: Connection) -> User:
    """The user this connection acts as, read once; also notes the server's clock."""
    state = CytomineState.of(conn)
    if state.me is None:
        def parse(response: requests.Response) -> tuple[User, float | None]:
            user = cv.converter.structure(parse_json(response), User)
            date = response.headers.get("Date")
            server = None
            if date:
                from email.utils import parsedate_to_datetime

                try:
                    server = parsedate_to_datetime(date).timestamp()
                except (TypeError, ValueError):
                    server = None
            return user, server

        before = time.time()
        user, server = conn.transport.request("GET", "/api/user/current.json", parse=parse)
        if server is not None:
            state.clock_offset = server - (before + time.time()) / 2
        state.me = user
    return state.me


# -- declarations shared by every domain -----------------------------------------------------------------
class Command(Resource[M]):
    """Declarations of a Cytomine domain: its ``route`` (``api/<route>/{id}.json``), the key of
    the object in command replies, and its model type (structured by the converter).

    The route gives the domain's requests (``requests``): show, add, edit and delete, sent by
    the mixins below and printed in the docs; a class declares ``requests`` only for more."""

    route: ClassVar[str] = ""
    key: ClassVar[str] = ""
    model_type: ClassVar[type] = object
    #: The requests the class itself declared (``requests`` holds them merged with the standard ones).
    _declared: ClassVar[Mapping[str, Route]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.route:
            return
        standard = {
            "fetch": Route("GET", f"/api/{cls.route}/{{id}}.json"),
            "list": Route("GET", f"/api/{cls.route}.json", note="paged by max/offset"),
            "create": Route("POST", f"/api/{cls.route}.json"),
            "update": Route("PUT", f"/api/{cls.route}/{{id}}.json", note="the whole object"),
            "delete": Route("DELETE", f"/api/{cls.route}/{{id}}.json"),
        }
        # What this class and its bases declare themselves wins over the standard requests, and
        # an operation described in prose has none.
        cls._declared = dict(cls.__dict__.get("requests", {}))
        declared: dict[str, Route] = {}
        for klass in reversed(cls.__mro__):
            declared.update(klass.__dict__.get("_declared", {}))
        cls.requests = {**{k: v for k, v in standard.items() if k not in cls.endpoints}, **declared}

    def send_for(self, conn: Connection, operation: str, model: M, **request: Any) -> Any:
        """``send()`` with the route's placeholders filled from the model's fields of the same
        names (what a link or a record ties together: an annotation and its track ...)."""
        values = {name: getattr(model, name) for name in self.requests[operation].placeholders}
        return self.send(conn, operation, values, **request)

    def structure(self, row: Mapping[str, Any]) -> M:
        model: M = cv.converter.structure(row, self.model_type)
        return model

    def structure_page(self, rows: list[Any]) -> list[M]:
        """A listed page as models (a domain may convert the page at once)."""
        return [self.structure(row) for row in rows]

    def read_command(self, response: requests.Response) -> M:
        """A parse callback for command replies: the object under its key, as a model."""
        return self.structure(cv.command_object(parse_json(response), self.key))

    def to_wire(self, model: M) -> dict[str, Any]:
        raise NotImplementedError


class CommandFetch(Command[M], Fetch[M]):
    def fetch_one(self, conn: Connection, id: Any, **options: Any) -> M:
        found: M = self.send(conn, "fetch", {"id": id}, parse=lambda r: self.structure(parse_json(r)))
        return found


class CommandList(Command[M], List[M], Count[M]):
    """Collections: a path (and query) per filter set, paged by the server's ``size``."""

    def list_path(self, conn: Connection, modifiers: Mapping[str, Any]) -> str:
        return self.requests["list"].path_for()

    def list_params(self, conn: Connection, modifiers: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    paging = PAGING

    def read_page(self, conn: Connection, modifiers: Mapping[str, Any], window: Window, **options: Any) -> Page[M]:
        return read_collection_page(conn, self.list_path(conn, modifiers), self.list_params(conn, modifiers), window,
                                    self.structure_page, self.paging)

    def count(self, conn: Connection, modifiers: Mapping[str, Any]) -> int:
        return _total(conn, self.list_path(conn, modifiers), self.list_params(conn, modifiers))


class CommandCreate(Command[M], Create[M]):
    def create(self, conn: Connection, model: M, modifiers: Mapping[str, Any]) -> None:
        data = self.to_wire(model)
        data.pop("id", None)
        with _LOCK:
            _SENT[model] = time.time()  # what settling a lost reply compares creation times with
        model.assign(self.send(conn, "create", json=data, parse=self.read_command))
        CLAIMS.take(conn, self.route, model.id, model)


class CommandUpdate(Command[M], Update[M]):
    def update(self, conn: Connection, model: M, changes: Mapping[str, Any], modifiers: Mapping[str, Any]) -> None:
        # Cytomine's PUT replaces the whole object: send the last fetched state with the
        # changes applied, never the computed fields.
        model.assign(self.send(conn, "update", {"id": model.id}, json=self.to_wire(model), parse=self.read_command))


class CommandDelete(Command[M], Delete[M]):
    def delete(self, conn: Connection, model: M) -> None:
        self.send(conn, "delete", {"id": model.id})


class CommandCRUD(CommandFetch[M], CommandList[M], CommandCreate[M], CommandUpdate[M], CommandDelete[M]):
    """A domain with the usual show / list / add / edit / delete routes."""


class DomainExtras(Command[M], Tags[M], Attachments[M]):
    """Tags and attached files, which hang off any domain object as ``/api/domain/{class}/{id}/…``."""

    def domain(self, model: M) -> tuple[str, int]:
        ident = check_id(model.id, int, f"{self.model_name} id (save it first)")
        return cv.DOMAIN_CLASS[self.route], ident

    # -- tags -------------------------------------------------------------------------------------------
    def _associations(self, conn: Connection, model: M) -> list[Mapping[str, Any]]:
        name, ident = self.domain(model)
        return every(conn, f"/api/domain/{name}/{ident}/tag_domain_association.json", lambda row: row)

    def tags(self, conn: Connection, model: M) -> list[str]:
        return [str(a["tagName"]) for a in self._associations(conn, model)]

    def _tag_ids(self, conn: Connection, names: Sequence[str]) -> dict[str, int]:
        """Tag name -> id, creating the tags that do not exist yet (Cytomine's names are
        unique regardless of case)."""
        known = {str(t["name"]).lower(): int(t["id"]) for t in every(conn, "/api/tag.json", lambda row: row)}
        ids: dict[str, int] = {}
        for name in names:
            if name.lower() not in known:
                try:
                    created = conn.transport.request("POST", "/api/tag.json", json=cv.body({"name": name}),
                                                     parse=lambda r: cv.command_object(parse_json(r), "tag"))
                    known[name.lower()] = int(created["id"])
                except Conflict:  # created meanwhile by someone else
                    known = {str(t["name"]).lower(): int(t["id"]) for t in every(conn, "/api/tag.json", lambda row: row)}
            ids[name] = known[name.lower()]
        return ids

    def add_tags(self, conn: Connection, models: Sequence[M], names: Sequence[str]) -> None:
        for name in names:
            check_name(name, "a tag name")
        domains = [self.domain(m) for m in models]
        ids = self._tag_ids(conn, names)

        def associate(job: tuple[tuple[str, int], int]) -> None:
            (name, ident), tag = job
            try:
                conn.transport.request("POST", f"/api/domain/{name}/{ident}/tag_domain_association.json",
                                       json=cv.body({"tag": tag, "domainClassName": name, "domainIdent": ident}))
            except Conflict:
                pass  # already tagged: the wanted state

        jobs = [(d, ids[n]) for d in domains for n in names]
        conn.transport.map_values(associate, jobs, desc="tagging")

    def remove_tags(self, conn: Connection, model: M, names: Sequence[str]) -> None:
        wanted = {n.lower() for n in names}
        gone = [a for a in self._associations(conn, model) if str(a["tagName"]).lower() in wanted]
        for association in gone:
            try:
                conn.transport.request("DELETE", f"/api/tag_domain_association/{int(association['id'])}.json")
            except NotFound:
                pass  # removed meanwhile: the wanted state

    # -- attached files ------------------------------------------------------------------------------------
    def attach(self, conn: Connection, model: M, path: str, filename: str | None) -> AttachedFile:
        name, ident = self.domain(model)
        filename = filename or os.path.basename(path)
        check_name(filename, "an attached file name")
        with open(path, "rb") as fh:
            content = fh.read()
        params = {"domainClassName": name, "domainIdent": ident, "filename": filename}
        found = conn.transport.request(
            "POST", "/api/attachedfile.json", params=params, files={"files[]": (filename, content)},
            parse=lambda r: cv.converter.structure(_object(parse_json(r), "attachedfile"), AttachedFile))
        return attrs.evolve(found, owner=self.owner_model)

    def attachments(self, conn: Connection, model: M) -> list[AttachedFile]:
        name, ident = self.domain(model)
        found = every(conn, f"/api/domain/{name}/{ident}/attachedfile.json",
                      lambda row: cv.converter.structure(row, AttachedFile))
        return [attrs.evolve(f, owner=self.owner_model) for f in found]

    def download_attachment(self, conn: Connection, attachment: AttachedFile, path: str) -> str:
        data = conn.transport.request("GET", f"/api/attachedfile/{attachment.id}/download", parse=lambda r: r.content)
        with open_private(path, "wb") as fh:  # server data: owner-only (neuromodels.files)
            fh.write(data)
        return path

    @property
    def owner_model(self) -> type:
        return self.model_type


def _object(reply: Any, key: str) -> Mapping[str, Any]:
    """An object that comes alone (the upload reply) or in a command envelope."""
    if isinstance(reply, Mapping) and "id" in reply:
        return reply
    return cv.command_object(reply, key)


def _drop_empty(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows without the columns that are None in every row (``id`` always stays)."""
    empty = {k for k in (rows[0] if rows else {}) if k != "id" and all(r.get(k) is None for r in rows)}
    return [{k: v for k, v in r.items() if k not in empty} for r in rows]


def _number(value: Any) -> float | None:
    return None if value is None else float(value)
