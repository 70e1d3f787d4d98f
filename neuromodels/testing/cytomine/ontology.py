"""Ontologies, terms and term relations."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from ..harness import route
from .base import CytomineError, grouped, not_found, reply
from .projects import ProjectViews
from .store import next_ids, now_ms


class OntologyViews(ProjectViews):  # an ontology lists the projects using it
    def term_json(self, row: tuple[Any, ...]) -> dict[str, Any]:
        tid, name, ontology, color, parent, comment, created, updated = row
        return {"class": "be.cytomine.domain.ontology.Term", "id": tid, "created": created, "updated": updated,
                "name": name, "comment": comment, "ontology": ontology, "color": color, "parent": parent}

    def ontology_json(self, row: tuple[Any, ...]) -> dict[str, Any]:
        oid, name, user, created, updated = row
        terms = [self.term_json(r) for r in self.db.read("SELECT * FROM term WHERE ontology = ? ORDER BY id", (oid,))]
        return {"class": "be.cytomine.domain.ontology.Ontology", "id": oid, "created": created, "updated": updated,
                "name": name, "user": user, "title": name, "attr": {"id": oid, "type": "be.cytomine.domain.ontology.Ontology"},
                "data": name, "isFolder": True, "key": oid, "hideCheckbox": True, "state": "open",
                "projects": self.project_rows("WHERE ontology = ?", (oid,)),
                "children": [{**t, "title": t["name"], "data": t["name"], "isFolder": False, "key": t["id"],
                              "children": [], "checked": False} for t in terms]}


    def add_ontology(self, cur: Any, user: int, data: Any) -> int:
        if not isinstance(data, dict) or not data.get("name"):
            raise CytomineError(400, "Ontology name is required", wrapper=True)
        if cur.execute("SELECT 1 FROM ontology WHERE name = ?", (data["name"],)).fetchone():
            raise CytomineError(409, f"Ontology {data['name']} already exist!", wrapper=True)
        t = now_ms()
        (oid,) = next_ids(cur)
        cur.execute("INSERT INTO ontology VALUES (?, ?, ?, ?, ?)", (oid, data["name"], user, t, t))
        return oid

    @route("/api/ontology.json")
    def ontologies(self, request: Request, user: int) -> Response:
        if request.method == "POST":
            data = self.body(request)
            if isinstance(data, list):  # RestCytomineController.add: a JSON array goes to addMultiple
                return self.add_many("ontologies", data, lambda cur, item: self.add_ontology(cur, user, item))
            with self.db.transaction() as cur:
                oid = self.add_ontology(cur, user, data)
            obj = self.ontology_json(self.db.read("SELECT * FROM ontology WHERE id = ?", (oid,))[0])
            return self.command("Add", "ontology", "ontology", obj, f"Ontology {grouped(oid)} ({obj['name']}) added")
        rows = self.db.read("SELECT * FROM ontology ORDER BY id")
        return self.envelope(request, [self.ontology_json(r) for r in rows], sql_paged=False)


    @route("/api/ontology/<int:id>.json")
    def ontology(self, request: Request, user: int, id: int) -> Response:
        rows = self.db.read("SELECT * FROM ontology WHERE id = ?", (id,))
        if request.method == "GET":
            if not rows:
                raise CytomineError(404, f"Ontology not found with filters : {{id={id}}}")
            return reply(self.ontology_json(rows[0]))
        if request.method == "DELETE":
            if not rows:
                raise CytomineError(404, f"class be.cytomine.domain.ontology.Ontology {id} not found", wrapper=True)
            if self.db.read("SELECT 1 FROM project WHERE ontology = ?", (id,)):
                raise CytomineError(400, f"Ontology {id} is still used by a project", wrapper=True)
            obj = self.ontology_json(rows[0])
            with self.db.transaction() as cur:
                cur.execute("DELETE FROM term WHERE ontology = ?", (id,))
                cur.execute("DELETE FROM ontology WHERE id = ?", (id,))
            return self.command("Delete", "ontology", "ontology", obj, f"Ontology {grouped(id)} ({obj['name']}) deleted")
        if request.method == "PUT":
            data = self.body(request) or {}
            target = data.get("id")
            if not self.db.read("SELECT 1 FROM ontology WHERE id = ?", (target,)):
                raise CytomineError(404, f"class be.cytomine.domain.ontology.Ontology {target} not found", wrapper=True)
            with self.db.transaction() as cur:
                cur.execute("UPDATE ontology SET name = ?, updated = ? WHERE id = ?", (data.get("name"), now_ms(), target))
            obj = self.ontology_json(self.db.read("SELECT * FROM ontology WHERE id = ?", (target,))[0])
            return self.command("Edit", "ontology", "ontology", obj, f"Ontology {grouped(int(target or 0))} ({obj['name']}) edited")
        raise CytomineError(405, "Method not allowed")


    @route("/api/ontology/<int:ontology>/term.json", methods=("GET",))
    def ontology_terms(self, request: Request, user: int, ontology: int) -> Response:
        rows = self.db.read("SELECT * FROM term WHERE ontology = ? ORDER BY id", (ontology,))
        return self.envelope(request, [self.term_json(r) for r in rows], sql_paged=False)


    @route("/api/project/<int:project>/term.json", methods=("GET",))
    def project_terms(self, request: Request, user: int, project: int) -> Response:
        rows = self.db.read("SELECT t.* FROM term t JOIN project p ON p.ontology = t.ontology WHERE p.id = ? ORDER BY t.id", (project,))
        return self.envelope(request, [self.term_json(r) for r in rows], sql_paged=False)


    def add_term(self, cur: Any, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict) or not data.get("name"):
            raise CytomineError(400, "Term name is required", wrapper=True)
        if not cur.execute("SELECT 1 FROM ontology WHERE id = ?", (data.get("ontology"),)).fetchone():
            raise CytomineError(404, f"Ontology {data.get('ontology')} not found", wrapper=True)
        if cur.execute("SELECT 1 FROM term WHERE name = ? AND ontology = ?", (data["name"], data["ontology"])).fetchone():
            raise CytomineError(409, f"Term {data['name']} already exist in this ontology!", wrapper=True)
        t = now_ms()
        (tid,) = next_ids(cur)
        cur.execute("INSERT INTO term VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (tid, data["name"], data["ontology"], data.get("color") or "#000000", data.get("parent"), data.get("comment"), t, t))
        return self.term_json(cur.execute("SELECT * FROM term WHERE id = ?", (tid,)).fetchone())


    @route("/api/term.json")
    def terms(self, request: Request, user: int) -> Response:
        if request.method == "POST":
            data = self.body(request)
            if isinstance(data, list):
                return self.add_many("terms", data, self.add_term)
            with self.db.transaction() as cur:
                obj = self.add_term(cur, data)
            oname = self.db.read("SELECT name FROM ontology WHERE id = ?", (obj["ontology"],))[0][0]
            return self.command("Add", "term", "term", obj, f"Term {obj['id']} ({obj['name']}) added in ontology {oname}",
                                {"ontologyID": obj["ontology"]})
        rows = self.db.read("SELECT * FROM term ORDER BY id")
        return self.envelope(request, [self.term_json(r) for r in rows], sql_paged=False)


    @route("/api/term/<int:id>.json")
    def term(self, request: Request, user: int, id: int) -> Response:
        rows = self.db.read("SELECT * FROM term WHERE id = ?", (id,))
        if request.method == "GET":
            if not rows:
                raise CytomineError(404, f"Term not found with filters : {{id={id}}}")
            return reply(self.term_json(rows[0]))
        if request.method == "PUT":
            data = self.body(request) or {}
            target = data.get("id")
            if not self.db.read("SELECT 1 FROM term WHERE id = ?", (target,)):
                raise CytomineError(404, f"class be.cytomine.domain.ontology.Term {target} not found", wrapper=True)
            with self.db.transaction() as cur:
                cur.execute("UPDATE term SET name = ?, color = ?, parent = ?, comment = ?, updated = ? WHERE id = ?",
                            (data.get("name"), data.get("color"), data.get("parent"), data.get("comment"), now_ms(), target))
            obj = self.term_json(self.db.read("SELECT * FROM term WHERE id = ?", (target,))[0])
            return self.command("Edit", "term", "term", obj, f"Term {obj['id']} ({obj['name']}) edited")
        if request.method == "DELETE":
            if not rows:
                raise CytomineError(404, f"class be.cytomine.domain.ontology.Term {id} not found", wrapper=True)
            obj = self.term_json(rows[0])
            with self.db.transaction() as cur:
                cur.execute("DELETE FROM annotation_term WHERE term = ?", (id,))
                cur.execute("DELETE FROM term WHERE id = ?", (id,))
                self.doc_delete(cur, [d["id"] for d in self.docs("relationterm", cur) if id in (d["term1"], d["term2"])])
            return self.command("Delete", "term", "term", obj, f"Term {obj['id']} ({obj['name']}) deleted")
        raise CytomineError(405, "Method not allowed")


    @route("/api/annotation/<int:annotation>/term.json", methods=("GET",))
    def annotation_terms(self, request: Request, user: int, annotation: int) -> Response:
        """The terms of an annotation (TermController.listByAnnotation)."""
        if not self.db.read("SELECT 1 FROM annotation WHERE id = ?", (annotation,)):
            raise not_found("Annotation", annotation)
        rows = self.db.read("SELECT DISTINCT t.* FROM term t JOIN annotation_term a ON a.term = t.id WHERE a.annotation = ? ORDER BY t.id",
                            (annotation,))
        return self.envelope(request, [self.term_json(r) for r in rows])

    # -- term relations: the "parent" relation between two terms of one ontology --------------------
    def relation_json(self, doc: dict[str, Any]) -> dict[str, Any]:
        return {"class": "be.cytomine.domain.ontology.RelationTerm", "id": doc["id"], "created": doc["created"],
                "updated": doc["updated"], "relation": doc["relation"], "term1": doc["term1"], "term2": doc["term2"]}

    def relation(self, term1: Any, term2: Any) -> dict[str, Any] | None:
        found = self.docs("relationterm", term1=term1, term2=term2)
        return found[0] if found else None

    @route("/api/relation/parent/term.json", "/api/relation/<int:relation>/term.json", methods=("GET", "POST"))
    def relation_terms(self, request: Request, user: int, relation: int | None = None) -> Response:
        parent = self.docs("relationtype", name="parent")[0]["id"] if self.docs("relationtype", name="parent") else None
        if request.method == "GET":
            return self.envelope(request, [self.relation_json(d) for d in self.docs("relationterm")])
        data = self.body_dict(request)
        term1, term2 = data.get("term1"), data.get("term2")
        with self.db.transaction() as cur:
            for term in (term1, term2):
                if not cur.execute("SELECT 1 FROM term WHERE id = ?", (term,)).fetchone():
                    raise CytomineError(404, f"Term {term} not found", wrapper=True)
            if self.docs("relationterm", cur, term1=term1, term2=term2):
                raise CytomineError(409, f"RelationTerm with term1 {term1} and term2 {term2} already exist!", wrapper=True)
            if parent is None:
                parent = self.doc_add(cur, "relationtype", {"name": "parent"})
            rid = self.doc_add(cur, "relationterm", {"relation": parent, "term1": term1, "term2": term2})
            obj = self.relation_json(self.doc("relationterm", rid, cur) or {})
        return self.command("Add", "relationTerm", "relationterm", obj, f"Parent relation between term {term1} and {term2} added")

    @route("/api/relation/parent/term1/<int:term1>/term2/<int:term2>.json",
           "/api/relation/<int:relation>/term1/<int:term1>/term2/<int:term2>.json", methods=("GET", "DELETE"))
    def relation_term(self, request: Request, user: int, term1: int, term2: int, relation: int | None = None) -> Response:
        doc = self.relation(term1, term2)
        if doc is None:
            raise CytomineError(404, f"RelationTerm not found with filters : {{term1={term1}, term2={term2}}}")
        obj = self.relation_json(doc)
        if request.method == "GET":
            return reply(obj)
        with self.db.transaction() as cur:
            self.doc_delete(cur, [doc["id"]])
        return self.command("Delete", "relationTerm", "relationterm", obj, f"Parent relation between term {term1} and {term2} deleted")
