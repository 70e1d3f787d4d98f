"""Projects and their members."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

from ..harness import route
from .base import CytomineBase, CytomineError, grouped, not_found, reply
from .store import PROJECT_FLAGS, next_ids, now_ms


class ProjectViews(CytomineBase):
    def project_json(self, row: tuple[Any, ...]) -> dict[str, Any]:
        pid, name, ontology, flags, created, updated = row
        flags = json.loads(flags)
        oname = self.db.read("SELECT name FROM ontology WHERE id = ?", (ontology,)) if ontology else []
        images = self.db.read("SELECT COUNT(*) FROM image WHERE project = ?", (pid,))[0][0]
        annotations = self.db.read("SELECT COUNT(*) FROM annotation WHERE project = ?", (pid,))[0][0]
        return {"class": "be.cytomine.domain.project.Project", "id": pid, "created": created, "updated": updated,
                "name": name, "ontology": ontology, "ontologyName": oname[0][0] if oname else None,
                **{k: bool(flags.get(k, False)) for k in ("blindMode", "areImagesDownloadable")},
                "numberOfSlides": 0, "numberOfImages": images, "numberOfAnnotations": annotations,
                "numberOfJobAnnotations": 0, "numberOfReviewedAnnotations": 0,
                **{k: bool(flags.get(k, False)) for k in ("isClosed", "isReadOnly", "isRestricted", "hideUsersLayers", "hideAdminsLayers")}}

    def project_rows(self, where: str = "", params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        rows = self.db.read(f"SELECT id, name, ontology, flags, created, updated FROM project {where} ORDER BY created DESC, id DESC", params)
        return [self.project_json(r) for r in rows]


    @route("/api/project.json")
    def projects(self, request: Request, user: int) -> Response:
        if request.method == "POST":
            data = self.body(request)
            if not isinstance(data, dict) or not data.get("name"):
                raise CytomineError(400, "Project name is required", wrapper=True)
            self.check_ontology(data.get("ontology"))
            t = now_ms()
            try:
                with self.db.transaction() as cur:
                    (pid,) = next_ids(cur)
                    flags = {k: bool(data.get(k, False)) for k in PROJECT_FLAGS}
                    cur.execute("INSERT INTO project VALUES (?, ?, ?, ?, ?, ?)", (pid, data["name"], data.get("ontology"), json.dumps(flags), t, t))
                    self.doc_add(cur, "projectuser", {"project": pid, "user": user, "admin": True})  # the creator manages it
            except Exception as e:
                if "UNIQUE" in str(e):
                    raise CytomineError(409, f"Project {data['name']} already exist!", wrapper=True) from None
                raise
            obj = self.project_rows("WHERE id = ?", (pid,))[0]
            return self.command("Add", "project", "project", obj, f"Project {grouped(pid)} ({data['name']}) added")
        return self.envelope(request, self.project_rows(), sql_paged=True)


    @route("/api/user/<int:member>/project.json", methods=("GET",))
    def user_projects(self, request: Request, user: int, member: int) -> Response:
        """The projects a user is a member of (ProjectService.listByUser)."""
        if self.user_row(member) is None:
            raise not_found("User", member)
        ids = {d["project"] for d in self.docs("projectuser", user=member)}
        return self.envelope(request, [p for p in self.project_rows() if p["id"] in ids], sql_paged=True)

    @route("/api/ontology/<int:ontology>/project.json", methods=("GET",))
    def ontology_projects(self, request: Request, user: int, ontology: int) -> Response:
        return self.envelope(request, self.project_rows("WHERE ontology = ?", (ontology,)), sql_paged=False)

    def check_ontology(self, ontology: Any) -> None:
        if ontology is not None and not self.db.read("SELECT 1 FROM ontology WHERE id = ?", (ontology,)):
            raise CytomineError(404, f"Ontology {ontology} not found", wrapper=True)


    @route("/api/project/<int:id>.json")
    def project(self, request: Request, user: int, id: int) -> Response:
        rows = self.project_rows("WHERE id = ?", (id,))
        if request.method == "GET":
            if not rows:
                raise CytomineError(404, f"Project not found with filters : {{id={id}}}")
            return reply(rows[0])
        if request.method == "PUT":
            data = self.body(request) or {}
            target = data.get("id")  # Cytomine finds the object by the body's id
            before = self.project_rows("WHERE id = ?", (target,)) if target is not None else []
            if not before:
                raise CytomineError(404, f"class be.cytomine.domain.project.Project {target} not found", wrapper=True)
            if not data.get("name"):
                raise CytomineError(400, "Project name is required", wrapper=True)
            self.check_ontology(data.get("ontology"))
            flags = {k: bool(data.get(k, False)) for k in PROJECT_FLAGS}  # absent -> default
            try:
                with self.db.transaction() as cur:
                    cur.execute("UPDATE project SET name = ?, ontology = ?, flags = ?, updated = ? WHERE id = ?",
                                (data["name"], data.get("ontology"), json.dumps(flags), now_ms(), target))
            except Exception as e:
                if "UNIQUE" in str(e):
                    raise CytomineError(409, f"Project {data['name']} already exist!", wrapper=True) from None
                raise
            obj = self.project_rows("WHERE id = ?", (target,))[0]
            return self.command("Edit", "project", "project", obj, f"Project {grouped(int(target or 0))}  ({obj['name']}) edited")
        if request.method == "DELETE":
            if not rows:
                raise CytomineError(404, f"class be.cytomine.domain.project.Project {id} not found", wrapper=True)
            with self.db.transaction() as cur:
                cur.execute("DELETE FROM annotation_term WHERE annotation IN (SELECT id FROM annotation WHERE project = ?)", (id,))
                cur.execute("DELETE FROM annotation WHERE project = ?", (id,))
                cur.execute("DELETE FROM image WHERE project = ?", (id,))
                cur.execute("DELETE FROM project WHERE id = ?", (id,))
                self.delete_attached(cur, "be.cytomine.domain.project.Project", id)
                self.doc_delete(cur, [d["id"] for d in self.docs("projectuser", cur, project=id)])
            return self.command("Delete", "project", "project", rows[0], f"Project {grouped(id)} ({rows[0]['name']}) deleted")
        raise CytomineError(405, "Method not allowed")
