"""CATMAID landmarks, landmark groups and samplers (``landmarks/``, ``landmarks/groups/``,
``samplers/``; CATMAID answers the slash-less forms pymaid asks with a 301)."""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

import pandas as pd

from ...connection import Connection
from ...core.errors import NotFound, ProtocolError
from ...landmarks import Landmark, LandmarkGroup, Location, Sampler, SamplerDomains
from ...core.backend import Filter, as_list, check_name, required
from ...core.capabilities import Create, Delete, Fetch, List, Update
from . import api
from .api import pid
from .common import INT, _ids
from .converter import form_list
from .provenance import moment

TIMES = ("creation_time", "edition_time")


def _extra(row: Mapping[str, Any], known: Sequence[str]) -> dict[str, Any]:
    extra = {k: v for k, v in row.items() if k not in known}
    for key in TIMES:
        if isinstance(extra.get(key), str):
            extra[key] = moment(extra[key])
    return extra


def _location_rows(rows: Any) -> list[Location]:
    return [Location(int(r["id"]), float(r["x"]), float(r["y"]), float(r["z"])) for r in rows or []]


def _send(conn: Connection, method: str, path: str, data: Any = None) -> Any:
    return conn.transport.request(method, f"/{pid(conn)}{path}", data=data)


class CatmaidLandmark(Fetch[Landmark], List[Landmark], Create[Landmark], Update[Landmark], Delete[Landmark]):
    endpoints = {
        "fetch, list": "GET /{project}/landmarks/?with_locations=true",
        "create": "PUT /{project}/landmarks/, then PUT landmarks/{id}/locations/ per location",
        "update": "POST /{project}/landmarks/{id}/ (name); PUT or DELETE landmarks/{id}/locations/",
        "delete": "DELETE /{project}/landmarks/{id}/",
    }
    filters = {"name": Filter("name", (str,), "exact landmark name", many=True)}
    writable = frozenset({"name", "locations"})

    def _all(self, conn: Connection) -> list[Landmark]:
        rows = api.get(conn, "/landmarks/", with_locations="true")
        if not isinstance(rows, list):
            raise ProtocolError("landmarks/ did not answer a list")
        return [Landmark(id=int(r["id"]), name=r.get("name"), locations=_location_rows(r.get("locations")),
                         extra=_extra(r, ("id", "name", "locations"))) for r in rows]

    def fetch_one(self, conn: Connection, id: Any, **options: Any) -> Landmark:
        for landmark in self._all(conn):
            if landmark.id == id:
                return landmark
        raise NotFound(f"no landmark {id} in project {pid(conn)}", missing=[id])

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, **options: Any) -> Iterator[Sequence[Landmark]]:
        wanted = None if modifiers.get("name") is None else set(as_list(modifiers["name"]))
        yield [lm for lm in self._all(conn) if wanted is None or lm.name in wanted]

    def validate(self, model: Landmark, operation: str) -> None:
        check_name(model.name, "a landmark name")

    def _add_locations(self, conn: Connection, lid: int, locations: Sequence[Location]) -> list[Location]:
        added = []
        for p in locations:
            body = _send(conn, "PUT", f"/landmarks/{lid}/locations/", {"x": p.x, "y": p.y, "z": p.z})
            added.append(Location(int(body["point_id"]), p.x, p.y, p.z))
        return added

    def create(self, conn: Connection, model: Landmark, modifiers: Mapping[str, Any]) -> None:
        body = _send(conn, "PUT", "/landmarks/", {"name": model.name})
        model.id = int(body["id"])
        model.extra.update(_extra(body, ("id", "name")))
        model.locations = self._add_locations(conn, model.id, model.locations or [])

    def update(self, conn: Connection, model: Landmark, changes: Mapping[str, Any], modifiers: Mapping[str, Any]) -> None:
        if "name" in changes:
            _send(conn, "POST", f"/landmarks/{model.id}/", {"name": model.name})
        if "locations" in changes:
            kept = {p.id for p in model.locations or [] if p.id is not None}
            for p in model.original("locations") or []:
                if p.id is not None and p.id not in kept:
                    _send(conn, "DELETE", f"/landmarks/{model.id}/locations/{p.id}/")
            new = [p for p in model.locations or [] if p.id is None]
            model.locations = [p for p in model.locations or [] if p.id is not None] + self._add_locations(conn, model.id, new)

    def delete(self, conn: Connection, model: Landmark) -> None:
        _send(conn, "DELETE", f"/landmarks/{model.id}/")


class CatmaidLandmarkGroup(Fetch[LandmarkGroup], List[LandmarkGroup], Create[LandmarkGroup], Update[LandmarkGroup],
                           Delete[LandmarkGroup]):
    endpoints = {
        "fetch, list": "GET /{project}/landmarks/groups/?with_members=true&with_locations=true",
        "create": "PUT /{project}/landmarks/groups/, then POST landmarks/groups/{id}/ with the members",
        "update": "POST /{project}/landmarks/groups/{id}/ (name, members)",
        "delete": "DELETE /{project}/landmarks/groups/{id}/",
    }
    filters = {"name": Filter("name", (str,), "exact group name", many=True)}
    writable = frozenset({"name", "members"})
    not_supported = {"field locations": "a group's locations are linked one by one in CATMAID's landmark widget; "
                                        "read them here"}

    def _all(self, conn: Connection) -> list[LandmarkGroup]:
        rows = api.get(conn, "/landmarks/groups/", with_members="true", with_locations="true")
        if not isinstance(rows, list):
            raise ProtocolError("landmarks/groups/ did not answer a list")
        return [LandmarkGroup(id=int(r["id"]), name=r.get("name"), members=sorted(int(m) for m in r.get("members") or []),
                              locations=_location_rows(r.get("locations")),
                              extra=_extra(r, ("id", "name", "members", "locations"))) for r in rows]

    def fetch_one(self, conn: Connection, id: Any, **options: Any) -> LandmarkGroup:
        for group in self._all(conn):
            if group.id == id:
                return group
        raise NotFound(f"no landmark group {id} in project {pid(conn)}", missing=[id])

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, **options: Any) -> Iterator[Sequence[LandmarkGroup]]:
        wanted = None if modifiers.get("name") is None else set(as_list(modifiers["name"]))
        yield [g for g in self._all(conn) if wanted is None or g.name in wanted]

    def validate(self, model: LandmarkGroup, operation: str) -> None:
        check_name(model.name, "a landmark group name")
        _ids(model.members or [])

    def _members(self, conn: Connection, model: LandmarkGroup) -> None:
        members = [int(m) for m in model.members or []]
        form = form_list("members", members) if members else [("members", "none")]
        _send(conn, "POST", f"/landmarks/groups/{model.id}/", [("name", model.name)] + form)

    def create(self, conn: Connection, model: LandmarkGroup, modifiers: Mapping[str, Any]) -> None:
        body = _send(conn, "PUT", "/landmarks/groups/", {"name": model.name})
        model.id = int(body["id"])
        model.extra.update(_extra(body, ("id", "name")))
        if model.members:
            self._members(conn, model)
        model.locations = []

    def update(self, conn: Connection, model: LandmarkGroup, changes: Mapping[str, Any], modifiers: Mapping[str, Any]) -> None:
        self._members(conn, model)  # CATMAID takes the name and the whole member list together

    def delete(self, conn: Connection, model: LandmarkGroup) -> None:
        _send(conn, "DELETE", f"/landmarks/groups/{model.id}/")


SAMPLER_FIELDS = ("interval_length", "interval_error", "leaf_segment_handling", "merge_limit", "review_required",
                  "create_interval_boundaries", "user_id")


def sampler_from_wire(row: Mapping[str, Any]) -> Sampler:
    fields: dict[str, Any] = {k: row.get(k) for k in SAMPLER_FIELDS}
    sampler = Sampler(id=int(row["id"]), neuron=row.get("skeleton_id"),
                      sampler_state=row.get("state_id", row.get("sampler_state")), **fields)
    sampler.extra.update({k: v for k, v in row.items() if k not in (*SAMPLER_FIELDS, "id", "skeleton_id", "state_id")})
    return sampler


class CatmaidSampler(Fetch[Sampler], List[Sampler], Create[Sampler], Delete[Sampler], SamplerDomains[Sampler]):
    endpoints = {
        "fetch, list": "GET /{project}/samplers/ (skeleton_ids filter)",
        "create": "POST /{project}/samplers/add",
        "delete": "POST /{project}/samplers/{id}/delete",
        "read the domains of": "GET /{project}/samplers/{id}/domains/",
    }
    filters = {"neuron": Filter("neuron", INT, "skeleton id(s) the samplers are on", many=True)}
    creatable = frozenset({"neuron", "interval_length", "interval_error", "leaf_segment_handling", "merge_limit",
                           "review_required", "create_interval_boundaries"})
    not_supported = {"update": "CATMAID samplers are not edited once made; delete it and create another"}

    def _list(self, conn: Connection, skids: Sequence[int] | None) -> list[Sampler]:
        query: dict[str, Any] = dict(form_list("skeleton_ids", skids or []))
        rows = api.get(conn, "/samplers/", **query)
        if not isinstance(rows, list):
            raise ProtocolError("samplers/ did not answer a list")
        return [sampler_from_wire(r) for r in rows]

    def fetch_one(self, conn: Connection, id: Any, **options: Any) -> Sampler:
        for sampler in self._list(conn, None):
            if sampler.id == id:
                return sampler
        raise NotFound(f"no sampler {id} in project {pid(conn)}", missing=[id])

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, **options: Any) -> Iterator[Sequence[Sampler]]:
        skids = _ids(modifiers["neuron"]) if modifiers.get("neuron") is not None else None
        yield self._list(conn, skids)

    def validate(self, model: Sampler, operation: str) -> None:
        if operation != "create":
            return
        _ids([model.neuron] if model.neuron is not None else [])
        if model.neuron is None or model.interval_length is None:
            raise ValueError("a sampler needs neuron= (a skeleton id) and interval_length= (nm)")
        if model.interval_length <= 0:
            raise ValueError(f"interval_length must be positive, not {model.interval_length!r}")
        if model.leaf_segment_handling not in (None, "ignore", "merge", "short-interval"):
            raise ValueError("leaf_segment_handling is 'ignore', 'merge' or 'short-interval', "
                             f"not {model.leaf_segment_handling!r}")
        if model.merge_limit is not None and not 0 <= model.merge_limit <= 1:
            raise ValueError(f"merge_limit must be between 0 and 1, not {model.merge_limit!r}")

    def create(self, conn: Connection, model: Sampler, modifiers: Mapping[str, Any]) -> None:
        form = {"skeleton_id": str(int(required(model.neuron, "neuron"))),
                "interval_length": str(int(required(model.interval_length, "interval_length"))),
                "interval_error": str(model.interval_error if model.interval_error is not None else 250.0),
                "review_required": "true" if model.review_required in (None, True) else "false",
                "create_interval_boundaries": "true" if model.create_interval_boundaries in (None, True) else "false",
                "leaf_segment_handling": model.leaf_segment_handling or "ignore",
                "merge_limit": str(model.merge_limit if model.merge_limit is not None else 0)}
        made = sampler_from_wire(api.write(conn, "/samplers/add", form))
        model.id = made.id
        for field in ("sampler_state", *SAMPLER_FIELDS):
            setattr(model, field, getattr(made, field))

    def delete(self, conn: Connection, model: Sampler) -> None:
        api.write(conn, f"/samplers/{int(model.id)}/delete")

    def domains(self, conn: Connection, model: Sampler) -> pd.DataFrame:
        rows = api.get(conn, f"/samplers/{int(model.id)}/domains/")
        columns = ["domain_id", "type_id", "start_node_id", "end_node_ids", "parent_interval_id", "user_id", "created"]
        frame = pd.DataFrame([[int(r["id"]), r.get("type_id"), r.get("start_node_id"),
                               [int(e["node_id"]) for e in r.get("ends") or []], r.get("parent_interval_id"),
                               r.get("user_id"), r.get("creation_time")] for r in rows], columns=columns)
        frame["created"] = pd.to_datetime(frame["created"], unit="s", utc=True)
        return frame

