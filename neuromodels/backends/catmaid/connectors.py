"""CATMAID connectors with their links: created in one request, settled by place and links."""

from __future__ import annotations

import time
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from ...connection import Connection
from ...core.errors import NotFound
from ...transport import parse_json
from ...models import Connector
from ...core.backend import Filter, check_id, required
from ...core.capabilities import Create, Delete, Fetch, List, Settle, Settlement, Update
from ...core.routes import Route
from ..settling import before_sending, settle_each
from . import api, converter as cv
from .api import chunks
from .converter import form_list

from .common import INT, KNOWN_RELATIONS, _check_coordinate, _box, _ids


# -- Connector ---------------------------------------------------------------------------------------------------
class CatmaidConnector(Fetch[Connector], List[Connector], Create[Connector], Update[Connector], Delete[Connector],
                       Settle[Connector]):
    #: The requests behind each operation (shown in the docs' capability tables).
    requests = {
        "fetch": Route("GET", "/{project}/connectors/{id}/", note="404 for a connector without links"),
        "list": Route("POST", "/{project}/connectors/", reads=True, note="skeleton_ids by 500, with partners"),
        "list in a box": Route("POST", "/{project}/connectors/in-bounding-box", reads=True,
                               note="bbox=, with locations and links"),
        "create": Route("POST", "/{project}/connector/create", note="with its links, in one request"),
        "move": Route("POST", "/{project}/node/update"),
        "link": Route("POST", "/{project}/link/create"),
        "unlink": Route("POST", "/{project}/link/delete"),
        "delete": Route("POST", "/{project}/connector/delete"),
    }
    endpoints = {"update": "move, link and unlink (below)"}
    writable = frozenset({"x", "y", "z", "links"})
    creatable = frozenset({"x", "y", "z", "confidence", "links"})
    not_supported = {"copy": "connectors travel with the neurons they link: copy the neurons",
                     "field confidence": "CATMAID sets a connector's confidence when it is created"}
    filters = {
        "neuron": Filter("neuron", INT, "skeleton id(s) linked to the connectors", many=True),
        "relation": Filter("relation", (str,), "only connectors linked with this relation (e.g. presynaptic_to)"),
        "bbox": Filter("bbox", (tuple, list, np.ndarray), "box (minx, miny, minz, maxx, maxy, maxz) in nm, or "
                       "pymaid's [[minx, maxx], [miny, maxy], [minz, maxz]]", check=lambda v: _box(v) and None),
    }

    def fetch_one(self, conn: Connection, id: Any, **options: Any) -> Connector:
        try:
            connector: Connector = self.send(conn, "fetch", {"id": id}, parse=api.shaped(cv.connector_from_detail))
        except NotFound as e:
            raise NotFound(
                f"no connector {id} with links (CATMAID answers 404 for a connector without links)",
                missing=[id], status=e.status, method=e.method, path=e.path,
            ) from e
        return connector

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, **options: Any) -> Iterator[Sequence[Connector]]:
        names = {v: k for k, v in api.relation_ids(conn).items()}
        if modifiers.get("bbox") is not None:
            yield self._in_box(conn, modifiers, names)
            return
        base = [("with_partners", "true"), ("with_tags", "false")]
        if modifiers.get("relation"):
            base.append(("relation_type", modifiers["relation"]))
        skids = _ids(modifiers["neuron"]) if "neuron" in modifiers else None
        forms = [form_list("skeleton_ids", part) + base for part in chunks(skids, 500)] if skids else [base]
        seen: set[int] = set()
        result = []
        def read(form: list[tuple[str, str]]) -> list[Connector]:
            found: list[Connector] = self.send(conn, "list", data=form,
                                               parse=api.shaped(lambda body: cv.connectors_from_list(body, names)))
            return found

        for page in conn.transport.map_values(read, forms):
            for c in page:
                if c.id not in seen:
                    seen.add(c.id)
                    result.append(c)
        yield sorted(result, key=lambda c: c.id)

    def _in_box(self, conn: Connection, modifiers: Mapping[str, Any], names: Mapping[int, str]) -> list[Connector]:
        """``connectors/in-bounding-box`` with locations and links (one row per link)."""
        lo, hi = _box(modifiers["bbox"])
        form = [(k, repr(float(v))) for k, v in zip(("minx", "miny", "minz", "maxx", "maxy", "maxz"), (*lo, *hi))]
        form += [("with_locations", "true"), ("with_links", "true"), ("limit", "0")]
        if "neuron" in modifiers:
            form += form_list("skeleton_ids", _ids(modifiers["neuron"]))
        found: list[Connector] = self.send(conn, "list in a box", data=form,
                                           parse=api.shaped(lambda rows: cv.connectors_from_box(rows, names)))
        relation = modifiers.get("relation")
        if relation:
            found = [c for c in found if any(link.relation == relation for link in c.links or [])]
        return found

    def validate(self, model: Connector, operation: str) -> None:
        for axis in ("x", "y", "z"):
            _check_coordinate(getattr(model, axis), f"connector {axis}")
        if model.confidence is not None and (isinstance(model.confidence, bool) or model.confidence not in range(1, 6)):
            raise ValueError(f"confidence must be an int from 1 to 5, not {model.confidence!r}")
        for link in model.links or []:
            check_id(link.node_id, int, "link node id")
            if link.relation not in KNOWN_RELATIONS:
                raise ValueError(f"unknown relation {link.relation!r}; CATMAID's are {', '.join(sorted(KNOWN_RELATIONS))}")

    def create(self, conn: Connection, model: Connector, modifiers: Mapping[str, Any]) -> None:
        with before_sending():
            form = cv.connector_form(model, api.relation_ids(conn))
        confidence = model.confidence or 5
        # One request creates the connector with all its links: never a half-made connector.
        # Its answer is read inside the request: a reply without the id is an unknown outcome
        # (ProtocolError, not resent by a second save), never a failure.
        api.TICKETS[model] = (time.time(), 0)
        cid, edition_time, links = self.send(conn, "create", data=form,
                                             parse=lambda r: cv.created_connector(parse_json(r)))
        api.observe_clock(conn, edition_time, time.time())
        api.claim(conn, cid, model, "connector")
        model.id = cid
        model.confidence = confidence
        model.extra["edition_time"] = edition_time
        model.extra["link_ids"] = [row[0] for row in links]
        model.extra["link_state"] = links

    def update(self, conn: Connection, model: Connector, changes: Mapping[str, Any], modifiers: Mapping[str, Any]) -> None:
        if {"x", "y", "z"} & set(changes):
            known = model.extra.get("edition_time")
            form = cv.form_rows("c", [(model.id, *_where(model))])
            form.append(("state", api.state([[model.id, known]] if known else None)))
            def edited(body: Any) -> Any:
                return {int(row[0]): row[1] for row in body.get("old_connectors") or []}.get(model.id)

            edition_time = self.send(conn, "move", data=form, parse=api.shaped(edited))
            if edition_time is not None:
                model.extra["edition_time"] = edition_time
        if "links" in changes:
            relations = api.relation_ids(conn)
            before = {(l.node_id, l.relation) for l in model.original("links") or []}
            after = {(l.node_id, l.relation) for l in model.links or []}
            for node, relation in sorted(before - after):
                self.send(conn, "unlink", data={"connector_id": model.id, "treenode_id": node, "state": api.state(None)},
                          parse=api.shaped(None))
            for node, relation in sorted(after - before):
                if relation not in relations:
                    raise ValueError(f"this project has no relation {relation!r}")
                self.send(conn, "link", data={"from_id": node, "to_id": model.id, "link_type": relation,
                                              "state": api.state(None)}, parse=api.shaped(None))
            model.extra.pop("link_state", None)  # the held link times no longer cover every link

    def settle(self, conn: Connection, models: Sequence[Connector]) -> list[Settlement]:
        """A create whose reply was lost is adopted only when the server holds a connector at
        exactly its location with exactly its links, whose links the server records as created
        after the create was sent (server clock, from its ``Date`` header), and which no other
        model of this process holds. None: it was not stored (sent again). Several, one without
        links, a create this process did not send, or a lookup that failed: unknown, never
        guessed (each connector is looked up on its own)."""
        names = {v: k for k, v in api.relation_ids(conn).items()}
        skew, slack = api.clock_skew(conn, api.date_offset(conn))
        return settle_each(conn, models, lambda model: self._settle_one(conn, model, names, skew - slack))

    def _settle_one(self, conn: Connection, model: Connector, names: Mapping[int, str], shift: float) -> Settlement:
        ticket = api.TICKETS.get(model)
        if ticket is None:
            return Settlement.unknown(
                "this process did not send its create, so no connector on the server can be shown to be it")
        where = list(_where(model))
        form = [(k, repr(v + d)) for d, keys in ((-0.5, ("minx", "miny", "minz")), (0.5, ("maxx", "maxy", "maxz")))
                for k, v in zip(keys, where)]
        box, created = self.send(conn, "list in a box",
                                 data=form + [("with_locations", "true"), ("with_links", "true"), ("limit", "0")],
                                 parse=api.shaped(lambda rows: (cv.connectors_from_box(rows, names), cv.box_link_times(rows))))
        wanted = sorted((int(link.node_id), link.relation) for link in model.links or [])
        others = api.claimed(conn, model, "connector")
        alike = [c for c in box if c.id not in others
                 and sorted((int(link.node_id), link.relation) for link in c.links or []) == wanted
                 and np.allclose(np.array([c.x, c.y, c.z], dtype=float), where, atol=1e-3)]
        if not alike:
            return Settlement.absent()
        since = ticket[0] + shift
        mine = [c.id for c in alike if c.id in created and created[c.id] >= since]
        if not mine and all(c.id in created for c in alike):
            return Settlement.absent()  # only older connectors (anyone's) look like it
        adopted = api.CLAIMS.adopt(conn, "connector", model, mine) if mine else None
        if adopted is None:
            return Settlement.unknown(
                f"{len(mine) or len(alike)} connectors at its location with its links could be this create's")
        model.confidence = model.confidence or 5
        return Settlement.stored(adopted)

    def delete(self, conn: Connection, model: Connector) -> None:
        known = model.extra.get("edition_time")
        held = {"edition_time": known, "c_links": model.extra.get("link_state", [])} if known else None
        self.send(conn, "delete", data={"connector_id": model.id, "state": api.state(held)}, parse=api.shaped(None))


def _where(model: Connector) -> tuple[float, float, float]:
    """Its location (``validate`` checked each coordinate before the create or update)."""
    return (float(required(model.x, "connector x")), float(required(model.y, "connector y")),
            float(required(model.z, "connector z")))
