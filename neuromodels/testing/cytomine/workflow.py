"""Image groups, annotation groups and their links, annotations on tracks, saved annotation
filters, project representatives, project connections and image consultations, the review of
annotations and images, and the upload server's ``/upload``.

Shapes follow the core's domain classes (``getDataFromDomain``); where the core has no
controller (saved annotation filters, the upload server's reply, the image server's dataset
import) the shape is the one the Python client reads, and the tests say so."""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping

import shapely.wkt
from werkzeug.wrappers import Request, Response

from ..harness import route
from .base import CytomineBase, CytomineError, not_found, reply
from .store import next_ids, now_ms

ANNOTATION = "be.cytomine.domain.ontology.UserAnnotation"
#: kind -> (class name, the fields a client writes, fields that must be there)
KINDS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "imagegroup": ("be.cytomine.domain.image.group.ImageGroup", ("name", "project"), ("project",)),
    "annotationgroup": ("be.cytomine.domain.ontology.AnnotationGroup", ("project", "imageGroup", "type"),
                        ("project", "imageGroup")),
    "annotationlink": ("be.cytomine.domain.ontology.AnnotationLink", ("annotationClassName", "annotationIdent", "group"),
                       ("annotationIdent", "group")),
    "annotationtrack": ("be.cytomine.domain.ontology.AnnotationTrack", ("annotationClassName", "annotationIdent", "track"),
                        ("annotationIdent", "track")),
    "annotationfilter": ("be.cytomine.domain.ontology.AnnotationFilter", ("name", "project", "users", "terms"),
                         ("name", "project")),
    "representative": ("be.cytomine.domain.project.ProjectRepresentativeUser", ("project", "user"), ("project", "user")),
    "projectconnection": ("be.cytomine.domain.social.PersistentProjectConnection",
                          ("project", "os", "browser", "browserVersion"), ("project",)),
    "imageconsultation": ("be.cytomine.domain.social.PersistentImageConsultation", ("image", "mode"), ("image",)),
}


class WorkflowViews(CytomineBase):
    def kind_json(self, kind: str, doc: Mapping[str, Any]) -> dict[str, Any]:
        cls, fields, _ = KINDS[kind]
        obj = {"class": cls, "id": doc["id"], "created": doc["created"], "updated": doc["updated"],
               **{k: doc.get(k) for k in fields}}
        if kind == "annotationlink" or kind == "annotationtrack":
            rows = self.db.read("SELECT image, slice FROM annotation WHERE id = ?", (doc.get("annotationIdent"),))
            obj.update(image=rows[0][0] if rows else None, slice=rows[0][1] if rows else None)
        if kind in ("projectconnection", "imageconsultation"):
            obj.update(user=doc.get("user"), project=doc.get("project"), time=0, countCreatedAnnotations=0)
        if kind == "imageconsultation":
            obj.update(imageName=self.image_name(doc.get("image")), imageThumb=None)
        return obj

    def check(self, kind: str, cur: Any, data: Mapping[str, Any], user: int) -> dict[str, Any]:
        _, fields, required = KINDS[kind]
        values = {k: data.get(k) for k in fields}
        for name in required:
            if values[name] in (None, ""):
                raise CytomineError(400, f"{kind} {name} is required", wrapper=True)
        exists: dict[str, Callable[[Any], bool]] = {
            "project": lambda v: bool(cur.execute("SELECT 1 FROM project WHERE id = ?", (v,)).fetchone()),
            "image": lambda v: bool(cur.execute("SELECT 1 FROM image WHERE id = ?", (v,)).fetchone()),
            "annotationIdent": lambda v: bool(cur.execute("SELECT 1 FROM annotation WHERE id = ?", (v,)).fetchone()),
            "imageGroup": lambda v: self.doc("imagegroup", v, cur) is not None,
            "group": lambda v: self.doc("annotationgroup", v, cur) is not None,
            "track": lambda v: self.doc("track", v, cur) is not None,
            "user": lambda v: bool(cur.execute("SELECT 1 FROM user WHERE id = ?", (v,)).fetchone()),
        }
        for name, test in exists.items():
            if name in values and values[name] is not None and not test(values[name]):
                raise CytomineError(404, f"{name} {values[name]} not found", wrapper=True)
        if kind == "annotationgroup":
            values["type"] = values["type"] or "SAME_OBJECT"
        if kind in ("annotationlink", "annotationtrack"):
            values["annotationClassName"] = values["annotationClassName"] or ANNOTATION
        if kind in ("projectconnection", "imageconsultation"):
            values["user"] = user
        if kind == "imageconsultation":
            values["project"] = cur.execute("SELECT project FROM image WHERE id = ?", (values["image"],)).fetchone()[0]
        return values

    def add_kind(self, kind: str, request: Request, user: int, data: Mapping[str, Any] | None = None,
                 unique: tuple[str, ...] = (), plain: bool = False) -> Response:
        data = dict(self.body_dict(request) if data is None else data)
        with self.db.transaction() as cur:
            values = self.check(kind, cur, data, user)
            if unique and self.docs(kind, cur, **{k: values[k] for k in unique}):
                raise CytomineError(409, f"{kind} already exist", wrapper=True)
            did = self.doc_add(cur, kind, values)
            obj = self.kind_json(kind, self.doc(kind, did, cur) or {})
        if plain:  # the social controllers answer with the object alone
            return reply(obj)
        return self.command("Add", *self.names(kind), obj, f"{kind} {did} added")

    def item_kind(self, kind: str, request: Request, user: int, id: int) -> Response:
        doc = self.doc(kind, id)
        if doc is None:
            raise not_found(KINDS[kind][0].rsplit(".", 1)[-1], id)
        if request.method == "GET":
            return reply(self.kind_json(kind, doc))
        if request.method == "PUT":
            with self.db.transaction() as cur:
                self.doc_update(cur, id, self.check(kind, cur, {**doc, **self.body_dict(request)}, user))
                obj = self.kind_json(kind, self.doc(kind, id, cur) or {})
            return self.command("Edit", *self.names(kind), obj, f"{kind} {id} edited")
        obj = self.kind_json(kind, doc)
        with self.db.transaction() as cur:
            self.doc_delete(cur, [id])
            if kind == "annotationgroup":
                self.doc_delete(cur, [d["id"] for d in self.docs("annotationlink", cur, group=id)])
        return self.command("Delete", *self.names(kind), obj, f"{kind} {id} deleted")

    @staticmethod
    def names(kind: str) -> tuple[str, str]:
        """(domain name, command key): the class name, as it is and lower-cased."""
        simple = KINDS[kind][0].rsplit(".", 1)[-1]
        return simple[0].lower() + simple[1:], simple.lower()

    def list_kind(self, kind: str, request: Request, **match: Any) -> Response:
        return self.envelope(request, [self.kind_json(kind, d) for d in self.docs(kind, **match)])

    # -- image groups, annotation groups and links ---------------------------------------------------------
    @route("/api/imagegroup.json", methods=("POST",))
    def imagegroups(self, request: Request, user: int) -> Response:
        return self.add_kind("imagegroup", request, user)

    @route("/api/imagegroup/<int:id>.json", methods=("GET", "PUT", "DELETE"))
    def imagegroup(self, request: Request, user: int, id: int) -> Response:
        return self.item_kind("imagegroup", request, user, id)

    @route("/api/project/<int:project>/imagegroup.json", methods=("GET",))
    def project_imagegroups(self, request: Request, user: int, project: int) -> Response:
        return self.list_kind("imagegroup", request, project=project)

    @route("/api/annotationgroup.json", methods=("POST",))
    def annotationgroups(self, request: Request, user: int) -> Response:
        return self.add_kind("annotationgroup", request, user)

    @route("/api/annotationgroup/<int:id>.json", methods=("GET", "PUT", "DELETE"))
    def annotationgroup(self, request: Request, user: int, id: int) -> Response:
        return self.item_kind("annotationgroup", request, user, id)

    @route("/api/project/<int:project>/annotationgroup.json", methods=("GET",))
    def project_annotationgroups(self, request: Request, user: int, project: int) -> Response:
        return self.list_kind("annotationgroup", request, project=project)

    @route("/api/imagegroup/<int:group>/annotationgroup.json", methods=("GET",))
    def imagegroup_annotationgroups(self, request: Request, user: int, group: int) -> Response:
        return self.list_kind("annotationgroup", request, imageGroup=group)

    @route("/api/annotationgroup/<int:id>/annotationgroup/<int:merged>/merge.json", methods=("POST",))
    def merge_groups(self, request: Request, user: int, id: int, merged: int) -> Response:
        """AnnotationGroupService.merge: the links of the merged group move to this one, which
        keeps one link per annotation; the merged group is deleted."""
        group, other = self.doc("annotationgroup", id), self.doc("annotationgroup", merged)
        if group is None or other is None:
            raise not_found("AnnotationGroup", id if group is None else merged)
        with self.db.transaction() as cur:
            have = {d["annotationIdent"] for d in self.docs("annotationlink", cur, group=id)}
            for link in self.docs("annotationlink", cur, group=merged):
                if link["annotationIdent"] in have:
                    self.doc_delete(cur, [link["id"]])
                else:
                    self.doc_update(cur, link["id"], {**{k: link[k] for k in KINDS["annotationlink"][1]}, "group": id})
            self.doc_delete(cur, [merged])
        return reply(self.kind_json("annotationgroup", self.doc("annotationgroup", id) or {}))

    @route("/api/annotationlink.json", methods=("POST",))
    def annotationlinks(self, request: Request, user: int) -> Response:
        return self.add_kind("annotationlink", request, user, unique=("annotationIdent", "group"))

    @route("/api/annotationgroup/<int:group>/annotationlink.json", methods=("GET",))
    def group_links(self, request: Request, user: int, group: int) -> Response:
        return self.list_kind("annotationlink", request, group=group)

    @route("/api/annotation/<int:annotation>/annotationlink.json", methods=("GET",))
    def annotation_links(self, request: Request, user: int, annotation: int) -> Response:
        return self.list_kind("annotationlink", request, annotationIdent=annotation)

    @route("/api/annotationgroup/<int:group>/annotation/<int:annotation>.json", methods=("GET", "DELETE"))
    def annotationlink(self, request: Request, user: int, group: int, annotation: int) -> Response:
        found = self.docs("annotationlink", group=group, annotationIdent=annotation)
        if not found:
            raise CytomineError(404, f"AnnotationLink not found with filters : {{group={group}, annotation={annotation}}}")
        return self.item_kind("annotationlink", request, user, found[0]["id"])

    # -- annotations on tracks ---------------------------------------------------------------------------
    @route("/api/annotationtrack.json", methods=("POST",))
    def annotationtracks(self, request: Request, user: int) -> Response:
        return self.add_kind("annotationtrack", request, user, unique=("annotationIdent", "track"))

    @route("/api/track/<int:track>/annotationtrack.json", methods=("GET",))
    def track_annotations(self, request: Request, user: int, track: int) -> Response:
        return self.list_kind("annotationtrack", request, track=track)

    @route("/api/annotation/<int:annotation>/annotationtrack.json", methods=("GET",))
    def annotation_tracks(self, request: Request, user: int, annotation: int) -> Response:
        return self.list_kind("annotationtrack", request, annotationIdent=annotation)

    @route("/api/annotationtrack/<int:annotation>/<int:track>.json", methods=("GET", "DELETE"))
    def annotationtrack(self, request: Request, user: int, annotation: int, track: int) -> Response:
        found = self.docs("annotationtrack", annotationIdent=annotation, track=track)
        if not found:
            raise CytomineError(404, f"AnnotationTrack not found with filters : {{annotation={annotation}, track={track}}}")
        return self.item_kind("annotationtrack", request, user, found[0]["id"])

    # -- saved annotation filters (the legacy core's routes) ------------------------------------------------
    @route("/api/annotationfilter.json", methods=("GET", "POST"))
    def annotationfilters(self, request: Request, user: int) -> Response:
        if request.method == "POST":
            return self.add_kind("annotationfilter", request, user)
        project = request.args.get("project")
        if not project:
            raise CytomineError(400, "the project parameter is required")
        return self.list_kind("annotationfilter", request, project=int(project))

    @route("/api/annotationfilter/<int:id>.json", methods=("GET", "PUT", "DELETE"))
    def annotationfilter(self, request: Request, user: int, id: int) -> Response:
        return self.item_kind("annotationfilter", request, user, id)

    # -- representatives, connections, consultations ------------------------------------------------------
    @route("/api/project/<int:project>/representative.json", methods=("GET", "POST", "DELETE"))
    def representatives(self, request: Request, user: int, project: int) -> Response:
        if not self.db.read("SELECT 1 FROM project WHERE id = ?", (project,)):
            raise not_found("Project", project)
        if request.method == "POST":
            return self.add_kind("representative", request, user, {**self.body_dict(request), "project": project},
                                 unique=("project", "user"))
        if request.method == "DELETE":
            found = self.docs("representative", project=project, user=int(request.args.get("user", 0) or 0))
            if not found:
                raise CytomineError(404, "ProjectRepresentativeUser not found")
            return self.item_kind("representative", request, user, found[0]["id"])
        return self.list_kind("representative", request, project=project)

    @route("/api/project/<int:project>/representative/<int:id>.json", methods=("GET", "DELETE"))
    def representative(self, request: Request, user: int, project: int, id: int) -> Response:
        return self.item_kind("representative", request, user, id)

    @route("/api/project/<int:project>/userconnection.json", methods=("POST",))
    def add_connection(self, request: Request, user: int, project: int) -> Response:
        return self.add_kind("projectconnection", request, user, {**self.body_dict(request), "project": project}, plain=True)

    @route("/api/project/<int:project>/userconnection/<int:member>.json", methods=("GET",))
    def connections(self, request: Request, user: int, project: int, member: int) -> Response:
        return self.list_kind("projectconnection", request, project=project, user=member)

    @route("/api/imageinstance/<int:image>/consultation.json", methods=("POST",))
    def add_consultation(self, request: Request, user: int, image: int) -> Response:
        return self.add_kind("imageconsultation", request, user, {**self.body_dict(request), "image": image}, plain=True)

    @route("/api/project/<int:project>/user/<int:member>/imageconsultation.json", methods=("GET",))
    def consultations(self, request: Request, user: int, project: int, member: int) -> Response:
        return self.list_kind("imageconsultation", request, project=project, user=member)

    # -- review ----------------------------------------------------------------------------------------------
    def review_json(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        return {"class": "be.cytomine.domain.ontology.ReviewedAnnotation", "id": doc["id"], "created": doc["created"],
                "updated": doc["updated"], "parentIdent": doc["parentIdent"], "parentClassName": ANNOTATION,
                "image": doc["image"], "slice": doc.get("slice"), "project": doc["project"], "user": doc["user"],
                "reviewUser": doc["reviewUser"], "location": doc["location"], "terms": doc["terms"],
                "term": doc["terms"], "status": 0}

    @route("/api/annotation/<int:annotation>/review.json", methods=("GET", "POST", "PUT", "DELETE"))
    def review(self, request: Request, user: int, annotation: int) -> Response:
        rows = self.db.read("SELECT id, project, image, slice, user, location FROM annotation WHERE id = ?", (annotation,))
        if not rows:
            raise not_found("UserAnnotation", annotation)
        aid, project, image, slice_, creator, location = rows[0]
        found = self.docs("reviewedannotation", parentIdent=aid)
        if request.method == "DELETE":
            if not found:
                raise CytomineError(404, f"ReviewedAnnotation not found with filters : {{parentIdent={aid}}}")
            with self.db.transaction() as cur:
                self.doc_delete(cur, [found[0]["id"]])
            return self.command("Delete", "reviewedAnnotation", "reviewedannotation", self.review_json(found[0]),
                                f"Reviewed annotation {found[0]['id']} deleted")
        if found:
            raise CytomineError(409, "Annotation is already reviewed", wrapper=True)
        if not any(d.get("reviewUser") == user and not d.get("stopped") for d in self.docs("imagereview", image=image)):
            raise CytomineError(400, "Image is not in review mode: image.reviewStart is null", wrapper=True)
        terms = self.merged_terms(request) or [r[0] for r in self.db.read(
            "SELECT term FROM annotation_term WHERE annotation = ?", (aid,))]
        with self.db.transaction() as cur:
            rid = self.doc_add(cur, "reviewedannotation", {"parentIdent": aid, "image": image, "slice": slice_,
                                                           "project": project, "user": creator, "reviewUser": user,
                                                           "location": location, "terms": list(terms)})
            obj = self.review_json(self.doc("reviewedannotation", rid, cur) or {})
        return self.command("Add", "reviewedAnnotation", "reviewedannotation", obj, f"Annotation {aid} reviewed")

    @staticmethod
    def merged_terms(request: Request) -> list[int]:
        """``terms`` from the query and the body (mergeQueryParamsAndBodyParams): JSON, or the
        form encoding the Python client sends under a JSON content type."""
        from urllib.parse import parse_qs

        values: list[Any] = list(request.args.getlist("terms"))
        raw = request.get_data(as_text=True)
        if raw:
            try:
                data = json.loads(raw)
                found = data.get("terms") if isinstance(data, dict) else None
                values += found if isinstance(found, list) else [] if found is None else [found]
            except ValueError:
                values += parse_qs(raw).get("terms", [])
        return [int(t) for v in values for t in str(v).split(",") if str(t).strip()]

    @route("/api/imageinstance/<int:image>/review.json", methods=("POST", "PUT", "DELETE"))
    def image_review(self, request: Request, user: int, image: int) -> Response:
        if self.image_row(image) is None:
            raise not_found("ImageInstance", image)
        with self.db.transaction() as cur:
            for doc in self.docs("imagereview", cur, image=image):
                self.doc_delete(cur, [doc["id"]])
            if request.method != "DELETE":
                self.doc_add(cur, "imagereview", {"image": image, "reviewUser": user, "reviewStart": now_ms()})
            elif str(request.args.get("cancel", "false")).lower() == "true":
                self.doc_delete(cur, [d["id"] for d in self.docs("reviewedannotation", cur, image=image)])
            else:
                self.doc_add(cur, "imagereview", {"image": image, "reviewUser": user, "stopped": True,
                                                  "reviewStop": now_ms()})
        obj = self.image_json(self.image_row(image) or ())  # type: ignore[attr-defined]
        verb = "start reviewing" if request.method != "DELETE" else "validate reviewing"
        return reply({"message": f"admin {verb} on {obj['instanceFilename']}", "imageinstance": obj})

    def reviewed_rows(self, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        """The reviewed versions of annotation rows (what ``reviewed=true`` lists)."""
        reviews = {d["parentIdent"]: d for d in self.docs("reviewedannotation")}
        return [self.review_json(reviews[r[0]]) for r in rows if r[0] in reviews]

    # -- the upload server ---------------------------------------------------------------------------------
    @route("/upload", methods=("POST",))
    def upload(self, request: Request, user: int) -> Response:
        """One uploaded file, its abstract image (64 x 48, one slice) and, with ``projects``, an
        image instance in each project: the reply the Python client reads."""
        sent = request.files.get("files[]")
        storage = request.args.get("storage") or request.args.get("idStorage")
        if sent is None or not storage:
            raise CytomineError(400, "an upload needs files[] and storage")
        name = sent.filename or "upload"
        content = sent.read()
        projects = [int(p) for p in str(request.args.get("projects") or request.args.get("idProject") or "").split(",") if p]
        keys = [k for k in str(request.args.get("keys", "")).split(",") if k]
        values = str(request.args.get("values", "")).split(",")
        with self.db.transaction() as cur:
            if self.doc("storage", int(storage), cur) is None:
                raise CytomineError(404, f"Storage {storage} not found")
            ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
            upload = self.doc_add(cur, "uploadedfile", {
                "originalFilename": name, "filename": f"{now_ms()}/{name}", "ext": ext, "contentType": "image/tiff",
                "size": len(content), "storage": int(storage), "user": user, "projects": projects, "parent": None,
                "status": 100})
            abstract = self.doc_add(cur, "abstractimage", {"originalFilename": name, "uploadedFile": upload, "width": 64,
                                                           "height": 48, "depth": 1, "duration": 1, "channels": 1,
                                                           "user": user})
            base = self.doc_add(cur, "abstractslice", {"image": abstract, "uploadedFile": upload, "mime": "image/tiff",
                                                       "channel": 0, "zStack": 0, "time": 0})
            instances = [self.place(cur, abstract, base, p, user, name) for p in projects]
            for iid in instances:
                for key, value in zip(keys, values):
                    self.doc_add(cur, "property", {"domainClassName": "be.cytomine.domain.image.ImageInstance",
                                                   "domainIdent": iid, "key": key, "value": value})
        upload_json = self.upload_json("uploadedfile", self.doc("uploadedfile", upload) or {})  # type: ignore[attr-defined]
        image_json = self.upload_json("abstractimage", self.doc("abstractimage", abstract) or {})  # type: ignore[attr-defined]
        placed = [self.image_json(self.image_row(i) or ()) for i in instances]  # type: ignore[attr-defined]
        return reply([{"uploadedFile": upload_json, "images": [{"image": image_json, "imageInstances": placed}]}])

    def place(self, cur: Any, abstract: int, base: int, project: int, user: int, name: str) -> int:
        if not cur.execute("SELECT 1 FROM project WHERE id = ?", (project,)).fetchone():
            raise CytomineError(404, f"Project {project} not found")
        (iid,) = next_ids(cur)
        t = now_ms()
        cur.execute("INSERT INTO image VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (iid, project, abstract, name, 64, 48, 1, None, None, None, user, t, t, None))
        slice_ = self.doc_add(cur, "sliceinstance", {"image": iid, "project": project, "baseSlice": base})
        cur.execute("UPDATE image SET slice = ? WHERE id = ?", (slice_, iid))
        return int(iid)

    @route("/import", methods=("POST",))
    def import_datasets(self, request: Request, user: int) -> Response:
        """The image server's dataset import: nothing to import here; the reply names the storage."""
        storage = request.args.get("storage_id")
        if not storage or self.doc("storage", int(storage)) is None:
            raise CytomineError(404, f"Storage {storage} not found")
        return reply({"storage_id": int(storage), "imported": []})
