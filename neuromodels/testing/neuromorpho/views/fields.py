"""Field names and the values a field takes."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from ...harness import route
from ..base import BadQuery, NeuroMorphoBase, reply
from ..store import FIELDS


class FieldViews(NeuroMorphoBase):
    @route("/api/neuron/fields")
    def fields(self, request: Request, user: None) -> Response:
        return reply({"Neuron Fields": FIELDS})

    @route("/api/neuron/fields/<field>")
    def field_values(self, request: Request, user: None, field: str) -> Response:
        if field not in FIELDS:
            raise BadQuery(f"Invalid field: {field}")
        return self.page_of_values(request, [v for v in self.distinct(self.records(), field) if v is not None])

    @route("/api/neuron/partition/<field>")
    def partition(self, request: Request, user: None, field: str) -> Response:
        """Neurons per value (inferred shape: ``fields`` is an object value -> count)."""
        if field not in FIELDS:
            raise BadQuery(f"Invalid field: {field}")
        counts = {str(v): n for v, n in self.distinct(self.records(), field).items() if v is not None}
        return reply({"fields": counts, "page": {"size": max(len(counts), 1), "totalElements": len(counts),
                                                 "totalPages": 1, "number": 0}})
