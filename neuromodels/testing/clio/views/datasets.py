"""Datasets, tokens and the versions (DVID nodes) of a dataset."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from ...harness import route
from ..base import PREFIX, ClioBase, ClioError, reply
from ..store import make_token


class DatasetViews(ClioBase):
    @route("/v2/datasets")
    def datasets(self, request: Request, user: str) -> Response:
        return reply({name: self.meta(name, request) for (name,) in self.db.read("SELECT name FROM dataset ORDER BY name")})

    @route("/v2/server/token")
    def server_token(self, request: Request, user: str) -> Response:
        return reply(make_token(self.secret, user, 21 * 24 * 3600))

    @route(f"{PREFIX}/fields")
    def fields(self, request: Request, user: str, dataset: str) -> Response:
        uuid, _ = self.node(dataset, None)
        names: set[str] = set()
        for record in self.records(uuid).values():
            names.update(record)
        return reply(sorted(names))

    @route(f"{PREFIX}/versions")
    def versions(self, request: Request, user: str, dataset: str) -> Response:
        self.meta(dataset)
        return reply({t: u for u, t in self.db.read("SELECT uuid, tag FROM node WHERE dataset = ? ORDER BY tag", (dataset,))})

    @route(f"{PREFIX}/head_tag")
    def head_tag(self, request: Request, user: str, dataset: str) -> Response:
        self.meta(dataset)
        return reply(self.db.read("SELECT tag FROM node WHERE dataset = ? AND head = 1", (dataset,))[0][0])

    @route(f"{PREFIX}/head_uuid")
    def head_uuid(self, request: Request, user: str, dataset: str) -> Response:
        self.meta(dataset)
        return reply(self.db.read("SELECT uuid FROM node WHERE dataset = ? AND head = 1", (dataset,))[0][0])

    @route(f"{PREFIX}/tag_to_uuid/<tag>")
    def tag_to_uuid(self, request: Request, user: str, dataset: str, tag: str) -> Response:
        rows = self.db.read("SELECT uuid FROM node WHERE dataset = ? AND tag = ?", (dataset, tag))
        if not rows:
            raise ClioError(404, f"Could not find tag {tag} for annotation type neurons in dataset {dataset}")
        return reply(rows[0][0])

    @route(f"{PREFIX}/uuid_to_tag/<uuid>")
    def uuid_to_tag(self, request: Request, user: str, dataset: str, uuid: str) -> Response:
        rows = self.db.read("SELECT tag FROM node WHERE dataset = ? AND (uuid LIKE ? OR ? LIKE uuid || '%')",
                            (dataset, uuid + "%", uuid))
        if len(rows) > 1:
            raise ClioError(400, f"uuid {uuid} is ambiguous because > 1 hit for neurons in dataset {dataset}")
        if not rows:
            raise ClioError(404, f"Could not find uuid {uuid} for neurons in dataset {dataset}")
        return reply(rows[0][0])
