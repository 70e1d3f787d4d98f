"""Neurons: list, by id or name, select (GET q/fq and POST JSON), health."""

from __future__ import annotations

import json
from werkzeug.wrappers import Request, Response

from ...harness import route
from ..base import NeuroMorphoBase, error, reply


class NeuronViews(NeuroMorphoBase):
    @route("/api/health")
    def health(self, request: Request, user: None) -> Response:
        return reply({"status": "UP"})

    @route("/api/neuron")
    def neurons(self, request: Request, user: None) -> Response:
        return self.hal(request, self.records())

    def one(self, request: Request, rows: list[tuple[str]]) -> Response:
        if not rows:
            return error(404, "Requested neuron not found", request.path)
        return reply(self.with_links(request.host_url.rstrip("/"), json.loads(rows[0][0])), ctype="application/hal+json;charset=UTF-8")

    @route("/api/neuron/id/<int:nid>")
    def by_id(self, request: Request, user: None, nid: int) -> Response:
        return self.one(request, self.db.read("SELECT record FROM neuron WHERE id = ?", (nid,)))

    @route("/api/neuron/name/<name>")
    def by_name(self, request: Request, user: None, name: str) -> Response:
        return self.one(request, self.db.read("SELECT record FROM neuron WHERE name = ?", (name,)))

    @route("/api/neuron/select")
    def select(self, request: Request, user: None) -> Response:
        return self.hal(request, self.filtered(self.clauses(request)))
