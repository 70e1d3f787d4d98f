"""Field names and the values a field takes."""

from __future__ import annotations

import math
from typing import Any

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
        values: list[Any] = []
        for r in self.records():
            have = r.get(field)
            for v in (have if isinstance(have, list) else [have]):
                if v not in values:
                    values.append(v)
        page, size = int(request.args.get("page", 0)), min(int(request.args.get("size", 50)), 500)
        chunk = values[page * size : (page + 1) * size]
        return reply({"fields": chunk, "page": {"size": size, "totalElements": len(values),
                                                "totalPages": math.ceil(len(values) / size), "number": page}})
