"""The literature API: the articles the bundled neurons cite (one per ``reference_pmid``)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from ...harness import route
from ..base import BadQuery, NeuroMorphoBase, error, reply

#: An article's fields, as neuromorphr reads them (camelCase, unlike the neuron fields).
LITERATURE_FIELDS = ["article_id", "pmid", "doi", "journal", "title", "authors", "species", "brainRegion", "cellType",
                     "tracingSystem", "evaluatedDate", "globalStatus", "collection", "dataUsage",
                     "sharedReconstructions"]
HAL = "application/hal+json;charset=UTF-8"


class LiteratureViews(NeuroMorphoBase):
    def articles(self) -> list[dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for record in self.records():
            for pmid, doi in zip(record["reference_pmid"], record["reference_doi"]):
                article = out.setdefault(pmid, {
                    "article_id": f"{int(pmid):024x}", "pmid": pmid, "doi": doi,
                    "journal": ["J Comp Neurol", "J Neurosci", "Neuron"][int(pmid) % 3],
                    "title": f"Morphology of {record['cell_type'][0]} cells in the {record['species']} "
                             f"{record['brain_region'][0]}",
                    "authors": [f"{record['archive'].split()[0]} A", "Doe J"], "species": [], "brainRegion": [],
                    "cellType": [], "tracingSystem": [record["reconstruction_software"]],
                    "evaluatedDate": record["upload_date"], "globalStatus": "Shared", "collection": ["Archive"],
                    "dataUsage": ["Describing"], "sharedReconstructions": "Yes", "status": {"nReconstructions": 0}})
                for key, value in (("species", [record["species"]]), ("brainRegion", record["brain_region"][:1]),
                                   ("cellType", record["cell_type"][:1])):
                    article[key] += [v for v in value if v not in article[key]]
                article["status"]["nReconstructions"] += 1
        return list(out.values())

    @staticmethod
    def article_links(base: str, row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "_links": {"self": {"href": f"{base}/api/literature/id/{row['article_id']}"}}}

    @route("/api/literature")
    def literature(self, request: Request, user: None) -> Response:
        return self.hal(request, self.articles(), "publicationResources", LITERATURE_FIELDS, "title", self.article_links)

    @route("/api/literature/id/<article_id>")
    def article(self, request: Request, user: None, article_id: str) -> Response:
        for row in self.articles():
            if row["article_id"] == article_id:
                return reply(self.article_links(request.host_url.rstrip("/"), row), ctype=HAL)
        return error(404, "Requested article not found", request.path)

    @route("/api/literature/select")
    def literature_select(self, request: Request, user: None) -> Response:
        rows = self.filtered(self.clauses(request), self.articles(), LITERATURE_FIELDS)
        return self.hal(request, rows, "publicationResources", LITERATURE_FIELDS, "title", self.article_links)

    @route("/api/literature/fields")
    def literature_fields(self, request: Request, user: None) -> Response:
        return reply({"Literature Fields": LITERATURE_FIELDS})  # the key is inferred

    def checked(self, field: str) -> dict[Any, int]:
        if field not in LITERATURE_FIELDS:
            raise BadQuery(f"Invalid field: {field}")
        return {v: n for v, n in self.distinct(self.articles(), field).items() if v is not None}

    @route("/api/literature/fields/<field>")
    def literature_values(self, request: Request, user: None, field: str) -> Response:
        return self.page_of_values(request, list(self.checked(field)))

    @route("/api/literature/partition/<field>")
    def literature_partition(self, request: Request, user: None, field: str) -> Response:
        counts = {str(v): n for v, n in self.checked(field).items()}
        return reply({"fields": counts, "page": {"size": max(len(counts), 1), "totalElements": len(counts),
                                                 "totalPages": 1, "number": 0}})
