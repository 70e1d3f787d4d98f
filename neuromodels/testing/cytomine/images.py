"""Image instances (an abstract image placed in a project), their slice instances, thumbnails
(of the synthetic image, see .windows) and downloads."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from .. import synthetic_image
from ..harness import route
from .base import CytomineBase, CytomineError, not_found, reply
from .store import next_ids, now_ms



class ImageViews(CytomineBase):
    def image_json(self, row: tuple[Any, ...]) -> dict[str, Any]:
        iid, project, base, slice_, filename, w, h, d, psx, psy, psz, user, created, updated, instance_filename = row[:15]
        zoom, side = 0, max(w or 0, h or 0)
        while side > 256:
            side, zoom = side / 2, zoom + 1
        count = self.db.read("SELECT COUNT(*) FROM annotation WHERE image = ?", (iid,))[0][0]
        base_url = f"{self.server_url}/api/imageinstance/{iid}"
        abstract = self.doc("abstractimage", base) or {}
        return {"class": "be.cytomine.domain.image.ImageInstance", "id": iid, "created": created, "updated": updated,
                "deleted": None, "baseImage": base, "project": project, "user": user,
                "instanceFilename": instance_filename or filename,
                "originalFilename": abstract.get("originalFilename", filename), "filename": filename, "blindedName": None,
                "path": f"upload-local/{filename}", "sample": None,
                "contentType": "SVS", "width": w, "height": h, "depth": d, "duration": 1, "channels": 1,
                "extrinsicChannels": 3, "physicalSizeX": psx, "physicalSizeY": psy, "physicalSizeZ": psz, "fps": None,
                "zoom": zoom, "tileSize": 256, "isVirtual": False, "magnification": 20, "bitPerSample": 8,
                "samplePerPixel": 3, "colorspace": "SRGB", "reviewStart": None, "reviewStop": None, "reviewUser": None,
                "reviewed": False, "inReview": False, "numberOfAnnotations": count, "numberOfJobAnnotations": 0,
                "numberOfReviewedAnnotations": 0, "thumb": f"{base_url}/thumb.png?maxSize=512",
                "preview": f"{base_url}/thumb.png?maxSize=1024", "macroURL": None}

    @route("/api/project/<int:project>/imageinstance.json", methods=("GET",))
    def project_images(self, request: Request, user: int, project: int) -> Response:
        if not self.db.read("SELECT 1 FROM project WHERE id = ?", (project,)):
            raise CytomineError(404, f"Project not found with filters : {{id={project}}}")
        rows = self.db.read("SELECT * FROM image WHERE project = ? ORDER BY created DESC, id DESC", (project,))
        return self.envelope(request, [self.image_json(r) for r in rows], sql_paged=True)


    @route("/api/imageinstance.json", methods=("POST",))
    def images(self, request: Request, user: int) -> Response:
        """ImageInstanceService.add: an abstract image placed in a project, with one slice instance
        per abstract slice (the first is the reference slice annotations land on)."""
        data = self.body_dict(request)
        with self.db.transaction() as cur:
            abstract = self.doc("abstractimage", data.get("baseImage"), cur)
            if abstract is None:
                raise CytomineError(404, f"AbstractImage {data.get('baseImage')} not found", wrapper=True)
            project = cur.execute("SELECT id, name FROM project WHERE id = ?", (data.get("project"),)).fetchone()
            if project is None:
                raise CytomineError(404, f"Project {data.get('project')} not found", wrapper=True)
            if cur.execute("SELECT 1 FROM image WHERE base_image = ? AND project = ?", (abstract["id"], project[0])).fetchone():
                raise CytomineError(409, f"Image {abstract.get('originalFilename')} already map with project {project[1]}", wrapper=True)
            (iid,) = next_ids(cur)
            t = now_ms()
            cur.execute("INSERT INTO image VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (iid, project[0], abstract["id"], abstract.get("originalFilename"), abstract.get("width"),
                         abstract.get("height"), abstract.get("depth") or 1, abstract.get("physicalSizeX"),
                         abstract.get("physicalSizeY"), abstract.get("physicalSizeZ"), user, t, t, data.get("instanceFilename")))
            slices = [self.doc_add(cur, "sliceinstance", {"image": iid, "project": project[0], "baseSlice": s["id"]})
                      for s in self.docs("abstractslice", cur, image=abstract["id"])]
            cur.execute("UPDATE image SET slice = ? WHERE id = ?", (slices[0] if slices else None, iid))
        obj = self.image_json(self.image_row(iid) or ())
        return self.command("Add", "imageInstance", "imageinstance", obj,
                            f"Image {iid} ({obj['instanceFilename']}) added in project {project[1]}")

    @route("/api/imageinstance/<int:id>.json", methods=("GET", "PUT", "DELETE"))
    def image(self, request: Request, user: int, id: int) -> Response:
        row = self.image_row(id)
        if row is None:
            if request.method == "GET":
                raise not_found("ImageInstance", id)
            raise CytomineError(404, f"class be.cytomine.domain.image.ImageInstance {id} not found", wrapper=True)
        if request.method == "GET":
            return reply(self.image_json(row))
        if request.method == "PUT":  # the writable part of an instance: its name and its resolution
            data = self.body_dict(request)
            before = self.image_json(row)
            values = [data.get(k, before[k]) for k in ("instanceFilename", "physicalSizeX", "physicalSizeY", "physicalSizeZ")]
            with self.db.transaction() as cur:
                cur.execute("UPDATE image SET instance_filename = ?, psx = ?, psy = ?, psz = ?, updated = ? WHERE id = ?",
                            (*values, now_ms(), id))
            obj = self.image_json(self.image_row(id) or ())
            return self.command("Edit", "imageInstance", "imageinstance", obj, f"Image {id} ({obj['instanceFilename']}) edited")
        obj = self.image_json(row)
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM annotation_term WHERE annotation IN (SELECT id FROM annotation WHERE image = ?)", (id,))
            cur.execute("DELETE FROM annotation WHERE image = ?", (id,))
            self.doc_delete(cur, [d["id"] for kind in ("sliceinstance", "track") for d in self.docs(kind, cur, image=id)])
            cur.execute("DELETE FROM image WHERE id = ?", (id,))
            self.delete_attached(cur, "be.cytomine.domain.image.ImageInstance", id)
        return self.command("Delete", "imageInstance", "imageinstance", obj, f"Image {id} ({obj['instanceFilename']}) deleted")

    @route("/api/imageinstance/<int:id>/thumb.<fmt>", methods=("GET",))
    def thumb(self, request: Request, user: int, id: int, fmt: str) -> Response:
        row = self.image_row(id)
        if row is None:
            raise not_found("ImageInstance", id)
        # The whole synthetic image, its longer side maxSize (default 512) - as PIMS renders it.
        try:
            size = int(request.args.get("maxSize") or 512)
        except ValueError:
            raise CytomineError(400, "maxSize must be an integer") from None
        width, height = int(row[5] or 1), int(row[6] or 1)
        out_w, out_h = synthetic_image.scaled_size(width, height, max(1, min(size, 4096)))
        data = synthetic_image.region(0, 0, width, height, out_width=out_w, out_height=out_h, channels=3)
        try:
            body, content_type = synthetic_image.encode(data, fmt)
        except ValueError as e:
            raise CytomineError(400, str(e)) from None
        return Response(body, content_type=content_type)

    @route("/api/imageinstance/<int:id>/download", methods=("GET",))
    def download(self, request: Request, user: int, id: int) -> Response:
        row = self.image_row(id)
        if row is None:
            raise CytomineError(404, f"ImageInstance not found with filters : {{id={id}}}")
        data = f"neuromodels bundled server: image {id} ({row[4]})\n".encode()
        return Response(data, content_type="application/octet-stream",
                        headers={"Content-Disposition": f'form-data; name="attachment"; filename="{row[4]}"'})


    # -- slice instances ------------------------------------------------------------------------------
    def slice_json(self, doc: dict[str, Any]) -> dict[str, Any]:
        base = self.doc("abstractslice", doc.get("baseSlice")) or {}
        return {"class": "be.cytomine.domain.image.SliceInstance", "id": doc["id"], "created": doc["created"],
                "updated": doc["updated"], "project": doc["project"], "image": doc["image"], "baseSlice": doc.get("baseSlice"),
                "uploadedFile": base.get("uploadedFile"), "path": f"upload-local/slice-{doc['id']}", "mime": base.get("mime"),
                "channel": base.get("channel"), "zStack": base.get("zStack"), "time": base.get("time"),
                "rank": base.get("rank", 0), "channelName": None, "channelColor": None, "zName": None}

    @route("/api/sliceinstance.json", methods=("POST",))
    def slices(self, request: Request, user: int) -> Response:
        data = self.body_dict(request)
        with self.db.transaction() as cur:
            if cur.execute("SELECT 1 FROM image WHERE id = ?", (data.get("image"),)).fetchone() is None:
                raise CytomineError(404, f"ImageInstance {data.get('image')} not found", wrapper=True)
            if self.doc("abstractslice", data.get("baseSlice"), cur) is None:
                raise CytomineError(404, f"AbstractSlice {data.get('baseSlice')} not found", wrapper=True)
            if self.docs("sliceinstance", cur, image=data["image"], baseSlice=data["baseSlice"]):
                raise CytomineError(409, f"SliceInstance for image {data['image']} and slice {data['baseSlice']} already exist",
                                    wrapper=True)
            sid = self.doc_add(cur, "sliceinstance", {"image": data["image"], "project": data.get("project"), "baseSlice": data["baseSlice"]})
        obj = self.slice_json(self.doc("sliceinstance", sid) or {})
        return self.command("Add", "sliceInstance", "sliceinstance", obj, f"Slice {sid} added")

    @route("/api/imageinstance/<int:image>/sliceinstance.json", methods=("GET",))
    def image_slices(self, request: Request, user: int, image: int) -> Response:
        if self.image_row(image) is None:
            raise not_found("ImageInstance", image)
        return self.envelope(request, [self.slice_json(d) for d in self.docs("sliceinstance", image=image)])

    @route("/api/sliceinstance/<int:id>.json", methods=("GET", "DELETE"))
    def slice_(self, request: Request, user: int, id: int) -> Response:
        doc = self.doc("sliceinstance", id)
        if doc is None:
            raise not_found("SliceInstance", id)
        if request.method == "GET":
            return reply(self.slice_json(doc))
        with self.db.transaction() as cur:
            self.doc_delete(cur, [id])
        return self.command("Delete", "sliceInstance", "sliceinstance", self.slice_json(doc), f"Slice {id} deleted")
