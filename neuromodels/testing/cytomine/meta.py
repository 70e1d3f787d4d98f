"""What hangs off any domain object, addressed as ``/api/domain/{class name}/{id}/...``:
key-value properties, a description, attached files, and tags (tags themselves live on their own).

A domain object is named by its full Cytomine class name (``be.cytomine.domain.project.Project``);
the shortcuts ``/api/project/{id}/...``, ``/api/imageinstance/{id}/...`` and
``/api/annotation/{id}/...`` name the same objects."""

from __future__ import annotations

import base64
from typing import Any

from werkzeug.wrappers import Request, Response

from ..harness import route
from .base import CytomineBase, CytomineError, not_found, reply

SHORTCUTS = {"project": "be.cytomine.domain.project.Project", "imageinstance": "be.cytomine.domain.image.ImageInstance",
             "annotation": "be.cytomine.domain.ontology.UserAnnotation"}
#: Attached files larger than this are refused (the bundled server keeps them in SQLite).
MAX_ATTACHMENT = 16 * 1024 * 1024


def domain_name(cls: str) -> str:
    """The class name as stored: dots, whatever the URL used (Cytomine accepts ``be_cytomine_...``)."""
    return cls.replace("_", ".")


class MetaViews(CytomineBase):
    def domain(self, cls: str, ident: int) -> tuple[str, int]:
        name = domain_name(cls)
        if not self.domain_exists(name, ident):
            raise CytomineError(404, f"{name} {ident} not found")
        return name, ident

    # -- properties --------------------------------------------------------------------------------
    def property_json(self, doc: dict[str, Any]) -> dict[str, Any]:
        return {"class": "be.cytomine.domain.meta.Property", "id": doc["id"], "created": doc["created"],
                "updated": doc["updated"], "deleted": None, "domainIdent": doc["domainIdent"],
                "domainClassName": doc["domainClassName"], "key": doc["key"], "value": doc["value"]}

    def property_of(self, name: str, ident: int, id: int | None = None, key: str | None = None) -> dict[str, Any]:
        if id is not None:
            doc = self.doc("property", id)
            if doc is None or (doc["domainClassName"], doc["domainIdent"]) != (name, ident):
                raise CytomineError(404, f"Property not found with filters : {{id={id}}}")
            return doc
        found = self.docs("property", domainClassName=name, domainIdent=ident, key=key)
        if not found:
            raise CytomineError(404, f"Property not found with filters : {{key={key}}}")
        return found[0]

    @route("/api/domain/<cls>/<int:ident>/property.json", methods=("GET", "POST"))
    def properties(self, request: Request, user: int, cls: str, ident: int) -> Response:
        name, ident = self.domain(cls, ident)
        if request.method == "GET":
            return self.envelope(request, [self.property_json(d) for d in self.docs("property", domainClassName=name, domainIdent=ident)])
        data = self.body(request)
        if isinstance(data, list):  # RestPropertyController.addProperty: a list goes to addMultiple
            return self.add_many("properties", data, lambda cur, item: self.add_property(cur, name, ident, item))
        with self.db.transaction() as cur:
            obj = self.add_property(cur, name, ident, data)
        return self.command("Add", "property", "property", obj, f"Property {obj['key']} added to {name} {ident}")

    def add_property(self, cur: Any, name: str, ident: int, data: Any) -> dict[str, Any]:
        """Key and value must not be blank (Property's @NotBlank). A second property with the same
        key on one object is refused: the core does not check it, but its key lookup then fails."""
        if not isinstance(data, dict):
            raise CytomineError(400, "Json not valid", wrapper=True)
        for field in ("key", "value"):
            if not str(data.get(field) or "").strip():
                raise CytomineError(400, f"Property {field} must not be blank", wrapper=True)
        if self.docs("property", cur, domainClassName=name, domainIdent=ident, key=data["key"]):
            raise CytomineError(409, f"Property {data['key']} already exist for this domain", wrapper=True)
        pid = self.doc_add(cur, "property", {"domainClassName": name, "domainIdent": ident, "key": data["key"],
                                             "value": data["value"]})
        return self.property_json(self.doc("property", pid, cur) or {})

    @route("/api/project/<int:ident>/property.json", "/api/imageinstance/<int:ident>/property.json",
           "/api/annotation/<int:ident>/property.json", methods=("GET",))
    def properties_short(self, request: Request, user: int, ident: int) -> Response:
        cls = SHORTCUTS[request.path.split("/")[2]]
        listed: Response = self.properties(request, user, cls, ident)
        return listed

    @route("/api/domain/<cls>/<int:ident>/property/<int:id>.json", methods=("GET", "PUT", "DELETE"))
    def property(self, request: Request, user: int, cls: str, ident: int, id: int) -> Response:
        name, ident = self.domain(cls, ident)
        doc = self.property_of(name, ident, id=id)
        if request.method == "GET":
            return reply(self.property_json(doc))
        if request.method == "PUT":
            data = self.body_dict(request)
            key = data.get("key") or doc["key"]
            if not str(data.get("value") or "").strip():
                raise CytomineError(400, "Property value must not be blank", wrapper=True)
            with self.db.transaction() as cur:
                if any(d["id"] != id for d in self.docs("property", cur, domainClassName=name, domainIdent=ident, key=key)):
                    raise CytomineError(409, f"Property {key} already exist for this domain", wrapper=True)
                self.doc_update(cur, id, {"domainClassName": name, "domainIdent": ident, "key": key, "value": data.get("value")})
                obj = self.property_json(self.doc("property", id, cur) or {})
            return self.command("Edit", "property", "property", obj, f"Property {key} edited")
        with self.db.transaction() as cur:
            self.doc_delete(cur, [id])
        return self.command("Delete", "property", "property", self.property_json(doc), f"Property {doc['key']} deleted")

    @route("/api/domain/<cls>/<int:ident>/key/<key>/property.json", methods=("GET",))
    def property_by_key(self, request: Request, user: int, cls: str, ident: int, key: str) -> Response:
        name, ident = self.domain(cls, ident)
        return reply(self.property_json(self.property_of(name, ident, key=key)))

    @route("/api/project/<int:ident>/property/<int:id>.json", "/api/imageinstance/<int:ident>/property/<int:id>.json",
           "/api/annotation/<int:ident>/property/<int:id>.json", methods=("GET",))
    def property_short(self, request: Request, user: int, ident: int, id: int) -> Response:
        shown: Response = self.property(request, user, SHORTCUTS[request.path.split("/")[2]], ident, id)
        return shown

    @route("/api/project/<int:ident>/key/<key>/property.json", "/api/imageinstance/<int:ident>/key/<key>/property.json",
           "/api/annotation/<int:ident>/key/<key>/property.json", methods=("GET",))
    def property_by_key_short(self, request: Request, user: int, ident: int, key: str) -> Response:
        found: Response = self.property_by_key(request, user, SHORTCUTS[request.path.split("/")[2]], ident, key)
        return found

    # -- descriptions: one rich text per domain object --------------------------------------------
    def description_json(self, doc: dict[str, Any]) -> dict[str, Any]:
        return {"class": "be.cytomine.domain.meta.Description", "id": doc["id"], "created": doc["created"],
                "updated": doc["updated"], "deleted": None, "domainIdent": doc["domainIdent"],
                "domainClassName": doc["domainClassName"], "data": doc["data"]}

    @route("/api/domain/<cls>/<int:ident>/description.json", methods=("GET", "POST", "PUT", "DELETE"))
    def description(self, request: Request, user: int, cls: str, ident: int) -> Response:
        name = domain_name(cls)
        found = self.docs("description", domainClassName=name, domainIdent=ident)
        if request.method == "POST":
            self.domain(cls, ident)
            data = self.body_dict(request)
            with self.db.transaction() as cur:
                if self.docs("description", cur, domainClassName=name, domainIdent=ident):
                    raise CytomineError(409, f"Domain {name} {ident} already has a description", wrapper=True)
                did = self.doc_add(cur, "description", {"domainClassName": name, "domainIdent": ident, "data": data.get("data")})
                obj = self.description_json(self.doc("description", did, cur) or {})
            return self.command("Add", "description", "description", obj, f"Description added to {name} {ident}")
        if not found:
            raise CytomineError(404, f"Description not found with filters : {{domainClassName={name}, domainIdent={ident}}}")
        doc = found[0]
        if request.method == "GET":
            return reply(self.description_json(doc))
        if request.method == "PUT":
            data = self.body_dict(request)
            with self.db.transaction() as cur:
                self.doc_update(cur, doc["id"], {"domainClassName": name, "domainIdent": ident, "data": data.get("data")})
                obj = self.description_json(self.doc("description", doc["id"], cur) or {})
            return self.command("Edit", "description", "description", obj, f"Description of {name} {ident} edited")
        with self.db.transaction() as cur:
            self.doc_delete(cur, [doc["id"]])
        return self.command("Delete", "description", "description", self.description_json(doc), f"Description of {name} {ident} deleted")

    # -- attached files (multipart uploads) ---------------------------------------------------------
    def attached_json(self, doc: dict[str, Any]) -> dict[str, Any]:
        return {"class": "be.cytomine.domain.meta.AttachedFile", "id": doc["id"], "created": doc["created"],
                "updated": doc["updated"], "deleted": None, "domainIdent": doc["domainIdent"],
                "domainClassName": doc["domainClassName"], "url": f"/api/attachedfile/{doc['id']}/download",
                "filename": doc["filename"], "key": doc.get("key")}

    @route("/api/attachedfile.json", methods=("GET", "POST", "PUT"))
    def attached_files(self, request: Request, user: int) -> Response:
        if request.method == "GET":
            return self.envelope(request, [self.attached_json(d) for d in self.docs("attachedfile")])
        files = request.files.getlist("files[]")
        if not files:
            raise CytomineError(400, "Required part 'files[]' is not present.")
        upload = files[0]
        content = upload.read(MAX_ATTACHMENT + 1)
        if len(content) > MAX_ATTACHMENT:
            raise CytomineError(413, "Maximum upload size exceeded")
        filename = request.args.get("filename") or (upload.filename or "").rsplit("/", 1)[-1]
        name, ident = self.domain(request.args.get("domainClassName", ""), int(request.args.get("domainIdent", 0)))
        with self.db.transaction() as cur:
            aid = self.doc_add(cur, "attachedfile", {"domainClassName": name, "domainIdent": ident, "filename": filename,
                                                     "key": request.args.get("key"),
                                                     "content": base64.b64encode(content).decode()})
            doc = self.doc("attachedfile", aid, cur) or {}
        return reply(self.attached_json(doc))  # the upload answers with the object itself, no command

    @route("/api/domain/<cls>/<int:ident>/attachedfile.json", methods=("GET",))
    def attached_files_of(self, request: Request, user: int, cls: str, ident: int) -> Response:
        name, ident = self.domain(cls, ident)
        return self.envelope(request, [self.attached_json(d) for d in self.docs("attachedfile", domainClassName=name, domainIdent=ident)])

    @route("/api/attachedfile/<int:id>.json", methods=("GET", "DELETE"))
    def attached_file(self, request: Request, user: int, id: int) -> Response:
        doc = self.doc("attachedfile", id)
        if doc is None:
            raise not_found("AttachedFile", id)
        if request.method == "GET":
            return reply(self.attached_json(doc))
        with self.db.transaction() as cur:
            self.doc_delete(cur, [id])
        return self.command("Delete", "attachedFile", "attachedfile", self.attached_json(doc), f"Attached file {doc['filename']} deleted")

    @route("/api/attachedfile/<int:id>/download", "/api/attachedfile/<int:id>/download.json", methods=("GET",))
    def attached_download(self, request: Request, user: int, id: int) -> Response:
        doc = self.doc("attachedfile", id)
        if doc is None:
            raise not_found("AttachedFile", id)
        return Response(base64.b64decode(doc["content"]), content_type="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{doc["filename"]}"'})

    # -- tags and their associations ----------------------------------------------------------------
    def tag_json(self, doc: dict[str, Any]) -> dict[str, Any]:
        row = self.user_row(doc["user"])
        return {"class": "be.cytomine.domain.meta.Tag", "id": doc["id"], "created": doc["created"], "updated": doc["updated"],
                "deleted": None, "name": doc["name"], "user": doc["user"], "creatorName": row[1] if row else None}

    def check_tag(self, cur: Any, data: dict[str, Any], id: int | None = None) -> str:
        name = data.get("name")
        if not name:
            raise CytomineError(400, "Tag name is required", wrapper=True)
        if any(d["id"] != id for d in self.docs("tag", cur) if str(d["name"]).lower() == str(name).lower()):
            raise CytomineError(409, f"Tag {name} already exist!", wrapper=True)
        return str(name)

    @route("/api/tag.json", methods=("GET", "POST"))
    def tags(self, request: Request, user: int) -> Response:
        if request.method == "GET":
            return self.envelope(request, [self.tag_json(d) for d in self.docs("tag")])
        data = self.body_dict(request)
        with self.db.transaction() as cur:
            tid = self.doc_add(cur, "tag", {"name": self.check_tag(cur, data), "user": user})
            obj = self.tag_json(self.doc("tag", tid, cur) or {})
        return self.command("Add", "tag", "tag", obj, f"Tag {obj['name']} added")

    @route("/api/tag/<int:id>.json", methods=("GET", "PUT", "DELETE"))
    def tag(self, request: Request, user: int, id: int) -> Response:
        doc = self.doc("tag", id)
        if doc is None:
            if request.method == "GET":
                raise not_found("Tag", id)
            raise CytomineError(404, f"class be.cytomine.domain.meta.Tag {id} not found", wrapper=True)
        if request.method == "GET":
            return reply(self.tag_json(doc))
        if request.method == "PUT":
            data = self.body_dict(request)
            with self.db.transaction() as cur:
                self.doc_update(cur, id, {"name": self.check_tag(cur, data, id), "user": doc["user"]})
                obj = self.tag_json(self.doc("tag", id, cur) or {})
            return self.command("Edit", "tag", "tag", obj, f"Tag {obj['name']} edited")
        with self.db.transaction() as cur:  # TagService.deleteDependencies: its associations go with it
            self.doc_delete(cur, [id, *(d["id"] for d in self.docs("tagdomainassociation", cur, tag=id))])
        return self.command("Delete", "tag", "tag", self.tag_json(doc), f"Tag {doc['name']} deleted")

    def association_json(self, doc: dict[str, Any]) -> dict[str, Any]:
        tag = self.doc("tag", doc["tag"]) or {}
        return {"class": "be.cytomine.domain.meta.TagDomainAssociation", "id": doc["id"], "created": doc["created"],
                "updated": doc["updated"], "deleted": None, "domainIdent": doc["domainIdent"],
                "domainClassName": doc["domainClassName"], "tag": doc["tag"], "tagName": tag.get("name")}

    @route("/api/domain/<cls>/<int:ident>/tag_domain_association.json", methods=("GET", "POST"))
    def associations(self, request: Request, user: int, cls: str, ident: int) -> Response:
        name, ident = self.domain(cls, ident)
        if request.method == "GET":
            found = self.docs("tagdomainassociation", domainClassName=name, domainIdent=ident)
            return self.envelope(request, [self.association_json(d) for d in found])
        tag = self.body_dict(request).get("tag")
        with self.db.transaction() as cur:
            if self.doc("tag", tag, cur) is None:
                raise CytomineError(404, f"Tag {tag} not found", wrapper=True)
            if self.docs("tagdomainassociation", cur, tag=tag, domainClassName=name, domainIdent=ident):
                raise CytomineError(409, f"Tag {tag} is already associated with {name} {ident}", wrapper=True)
            did = self.doc_add(cur, "tagdomainassociation", {"tag": tag, "domainClassName": name, "domainIdent": ident})
            obj = self.association_json(self.doc("tagdomainassociation", did, cur) or {})
        # The object comes back under "tagdomainassociation": the class name lower-cased.
        return self.command("Add", "tagDomainAssociation", "tagdomainassociation", obj,
                            f"Tag {obj['tagName']} associated with {name} {ident}")

    @route("/api/tag_domain_association.json", methods=("GET",))
    def all_associations(self, request: Request, user: int) -> Response:
        return self.envelope(request, [self.association_json(d) for d in self.docs("tagdomainassociation")])

    @route("/api/tag_domain_association/<int:id>.json", methods=("GET", "DELETE"))
    def association(self, request: Request, user: int, id: int) -> Response:
        doc = self.doc("tagdomainassociation", id)
        if doc is None:
            raise not_found("TagDomainAssociation", id)
        obj = self.association_json(doc)
        if request.method == "GET":
            return reply(obj)
        with self.db.transaction() as cur:
            self.doc_delete(cur, [id])
        return self.command("Delete", "tagDomainAssociation", "tagdomainassociation", obj,
                            f"Tag {obj['tagName']} no longer associated with {doc['domainClassName']} {doc['domainIdent']}")
