"""What images stand on: storages, uploaded files, abstract images and abstract slices.

The bundled server stores no pixels: an uploaded file is its record, an abstract image its
dimensions and resolution."""

from __future__ import annotations

from typing import Any, Callable

from werkzeug.wrappers import Request, Response

from ..harness import route
from .base import CytomineBase, CytomineError, not_found, reply

#: The fields a client may write, per kind (everything else in a PUT body is read-only and ignored).
WRITABLE = {
    "storage": ("name", "user"),
    "uploadedfile": ("originalFilename", "filename", "ext", "contentType", "size", "storage", "user", "projects",
                     "parent", "status"),
    "abstractimage": ("originalFilename", "uploadedFile", "width", "height", "depth", "duration", "channels",
                      "physicalSizeX", "physicalSizeY", "physicalSizeZ", "fps", "magnification", "bitPerSample",
                      "samplePerPixel", "colorspace"),
    "abstractslice": ("image", "uploadedFile", "mime", "channel", "zStack", "time"),
}
CLASSES = {"storage": "be.cytomine.domain.image.server.Storage", "uploadedfile": "be.cytomine.domain.image.UploadedFile",
           "abstractimage": "be.cytomine.domain.image.AbstractImage", "abstractslice": "be.cytomine.domain.image.AbstractSlice"}
NAMES = {"storage": "Storage", "uploadedfile": "UploadedFile", "abstractimage": "AbstractImage", "abstractslice": "AbstractSlice"}


class UploadViews(CytomineBase):
    # -- JSON per kind -----------------------------------------------------------------------------
    def upload_json(self, kind: str, doc: dict[str, Any]) -> dict[str, Any]:
        obj = {"class": CLASSES[kind], "id": doc["id"], "created": doc["created"], "updated": doc["updated"], "deleted": None,
               **{k: doc.get(k) for k in WRITABLE[kind]}}
        if kind == "storage":  # the repository service's StorageResponse calls the owner userId
            obj.update(userId=doc.get("user"))
        elif kind == "uploadedfile":
            obj.update(path=f"/data/images/{doc.get('user')}/{doc.get('filename')}", statusText="DEPLOYED"
                       if doc.get("status") == 100 else "UPLOADED", thumbURL=None)
        elif kind == "abstractimage":
            upload = self.doc("uploadedfile", doc.get("uploadedFile")) or {}
            obj.update(filename=upload.get("filename"), path=f"upload-local/{upload.get('filename')}",
                       contentType=upload.get("contentType"), user=doc.get("user"), tileSize=256, isVirtual=False,
                       dimensions="XY", zoom=None, inProject=bool(self.db.read("SELECT 1 FROM image WHERE base_image = ?", (doc["id"],))),
                       thumb=None, preview=None, macroURL=None)
        elif kind == "abstractslice":
            obj.update(path=f"upload-local/slice-{doc['id']}", rank=0, channelName=None, channelColor=None, zName=None)
        return obj

    # -- validation per kind -----------------------------------------------------------------------
    def check_upload(self, kind: str, cur: Any, data: dict[str, Any], user: int, id: int | None = None) -> dict[str, Any]:
        values = {k: data.get(k) for k in WRITABLE[kind]}
        if kind == "storage":
            values["user"] = data.get("user") or data.get("userId") or user  # the client sends userId
            if not values["name"]:
                raise CytomineError(400, "Storage name is required", wrapper=True)
        elif kind == "uploadedfile":
            projects = data.get("projects")
            values["projects"] = [] if projects is None else projects if isinstance(projects, list) else [projects]
            values["user"] = values["user"] or user
            values["status"] = values["status"] if values["status"] is not None else 0
            for field in ("originalFilename", "filename", "contentType", "ext"):
                if not values[field]:
                    raise CytomineError(400, f"UploadedFile {field} is required", wrapper=True)
            if self.doc("storage", values["storage"], cur) is None:
                raise CytomineError(404, f"Storage {values['storage']} not found", wrapper=True)
        elif kind == "abstractimage":
            values["user"] = data.get("user") or user
            if self.doc("uploadedfile", values["uploadedFile"], cur) is None:
                raise CytomineError(404, f"UploadedFile {values['uploadedFile']} not found", wrapper=True)
        elif kind == "abstractslice":
            if self.doc("abstractimage", values["image"], cur) is None:
                raise CytomineError(404, f"AbstractImage {values['image']} not found", wrapper=True)
            for field in ("channel", "zStack", "time"):
                values[field] = values[field] or 0
            same = self.docs("abstractslice", cur, image=values["image"], channel=values["channel"],
                             zStack=values["zStack"], time=values["time"])
            if any(d["id"] != id for d in same):
                raise CytomineError(409, f"AbstractSlice (c={values['channel']}, z={values['zStack']}, t={values['time']}) "
                                         f"already exist for image {values['image']}", wrapper=True)
        return values

    def label(self, kind: str, obj: dict[str, Any]) -> str:
        return str(obj.get("name") or obj.get("originalFilename") or obj["id"])

    # -- the generic CRUD the four kinds share ----------------------------------------------------------
    def upload_add(self, kind: str, request: Request, user: int) -> Response:
        data = self.body_dict(request)
        with self.db.transaction() as cur:
            did = self.doc_add(cur, kind, self.check_upload(kind, cur, data, user))
            obj = self.upload_json(kind, self.doc(kind, did, cur) or {})
        return self.command("Add", NAMES[kind][0].lower() + NAMES[kind][1:], kind, obj,
                            f"{NAMES[kind]} {did} ({self.label(kind, obj)}) added")

    def upload_item(self, kind: str, request: Request, user: int, id: int,
                    refuse_delete: Callable[[dict[str, Any]], str | None] | None = None) -> Response:
        doc = self.doc(kind, id)
        if doc is None:
            if request.method == "GET":
                raise not_found(NAMES[kind], id)
            raise CytomineError(404, f"class {CLASSES[kind]} {id} not found", wrapper=True)
        domain = NAMES[kind][0].lower() + NAMES[kind][1:]
        if request.method == "GET":
            return reply(self.upload_json(kind, doc))
        if request.method == "PUT":
            data = {**doc, **self.body_dict(request)}
            with self.db.transaction() as cur:
                self.doc_update(cur, id, self.check_upload(kind, cur, data, user, id))
                obj = self.upload_json(kind, self.doc(kind, id, cur) or {})
            return self.command("Edit", domain, kind, obj, f"{NAMES[kind]} {id} ({self.label(kind, obj)}) edited")
        reason = refuse_delete(doc) if refuse_delete else None
        if reason:
            raise CytomineError(403, reason, wrapper=True)
        obj = self.upload_json(kind, doc)
        with self.db.transaction() as cur:
            self.doc_delete(cur, [id])
        return self.command("Delete", domain, kind, obj, f"{NAMES[kind]} {id} ({self.label(kind, obj)}) deleted")

    # -- routes ------------------------------------------------------------------------------------
    @route("/api/storage.json", methods=("GET", "POST"))
    def storages(self, request: Request, user: int) -> Response:
        if request.method == "POST":
            return self.upload_add("storage", request, user)
        return self.envelope(request, [self.upload_json("storage", d) for d in self.docs("storage")])

    @route("/api/storage/<int:id>.json", methods=("GET", "PUT", "DELETE"))
    def storage(self, request: Request, user: int, id: int) -> Response:
        return self.upload_item("storage", request, user, id, lambda d: "Storage still holds uploaded files"
                                if self.docs("uploadedfile", storage=d["id"]) else None)

    @route("/api/uploadedfile.json", methods=("GET", "POST"))
    def uploaded_files(self, request: Request, user: int) -> Response:
        if request.method == "POST":
            return self.upload_add("uploadedfile", request, user)
        return self.envelope(request, [self.upload_json("uploadedfile", d) for d in self.docs("uploadedfile")])

    @route("/api/uploadedfile/<int:id>.json", methods=("GET", "PUT", "DELETE"))
    def uploaded_file(self, request: Request, user: int, id: int) -> Response:
        return self.upload_item("uploadedfile", request, user, id, lambda d: "UploadedFile has abstract images"
                                if self.docs("abstractimage", uploadedFile=d["id"]) else None)

    @route("/api/abstractimage.json", methods=("GET", "POST"))
    def abstract_images(self, request: Request, user: int) -> Response:
        if request.method == "POST":
            return self.upload_add("abstractimage", request, user)
        return self.envelope(request, [self.upload_json("abstractimage", d) for d in self.docs("abstractimage")])

    @route("/api/abstractimage/<int:id>.json", methods=("GET", "PUT", "DELETE"))
    def abstract_image(self, request: Request, user: int, id: int) -> Response:
        return self.upload_item("abstractimage", request, user, id, lambda d: "Abstract image has instances in active projects"
                                if self.db.read("SELECT 1 FROM image WHERE base_image = ?", (d["id"],)) else None)

    @route("/api/abstractslice.json", methods=("POST",))
    def abstract_slices(self, request: Request, user: int) -> Response:
        return self.upload_add("abstractslice", request, user)

    @route("/api/abstractslice/<int:id>.json", methods=("GET", "PUT", "DELETE"))
    def abstract_slice(self, request: Request, user: int, id: int) -> Response:
        return self.upload_item("abstractslice", request, user, id)

    @route("/api/abstractimage/<int:image>/abstractslice.json", "/api/uploadedfile/<int:upload>/abstractslice.json",
           methods=("GET",))
    def abstract_slices_of(self, request: Request, user: int, image: int | None = None, upload: int | None = None) -> Response:
        if image is not None and self.doc("abstractimage", image) is None:
            raise not_found("AbstractImage", image)
        if upload is not None and self.doc("uploadedfile", upload) is None:
            raise not_found("UploadedFile", upload)
        found = self.docs("abstractslice", image=image) if image is not None else self.docs("abstractslice", uploadedFile=upload)
        return self.envelope(request, [self.upload_json("abstractslice", d) for d in found])
