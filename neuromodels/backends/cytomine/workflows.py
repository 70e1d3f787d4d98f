"""Cytomine's review, membership, slice and crop routes, mixed into its Project, ImageInstance
and Annotation resources; and image instances made, renamed and removed through the API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from ...connection import Connection
from ...core.errors import NotFound
from ...transport import parse_json
from ...core.backend import check_id
from ...models import Annotation, ImageInstance, Project
from ..workflow import Dump, ImageReview, Membership, Review
from . import converter as cv
from . import naming
from .domains import CommandCreate, CommandDelete, CommandUpdate, every

if TYPE_CHECKING:
    from .models import SliceInstance


class CytomineReview(Review[Annotation], Dump[Annotation]):
    def review(self, conn: Connection, model: Annotation, terms: Sequence[Any] | None) -> None:
        ident = check_id(model.id, int, "annotation id (save it first)")
        ids = naming.resolve(conn, model.project if model.project is not None else conn.project, terms or [])
        conn.transport.request("POST", f"/api/annotation/{ident}/review.json", json=cv.body({"id": ident, "terms": ids}))

    def unreview(self, conn: Connection, model: Annotation) -> None:
        ident = check_id(model.id, int, "annotation id")
        conn.transport.request("DELETE", f"/api/annotation/{ident}/review.json")

    def dump(self, conn: Connection, model: Annotation, path: str, options: dict[str, Any]) -> str:
        ident = check_id(model.id, int, "annotation id (save or fetch it first)")
        ext = path.rsplit(".", 1)[-1].lower()
        ext = {"jpeg": "jpg", "tiff": "tif"}.get(ext, ext)
        kind = "alphamask" if options["alpha"] else "mask" if options["mask"] else "crop"
        if kind == "alphamask" and ext == "jpg":
            raise ValueError("a crop with a transparent outside needs .png or .tif, not .jpg")
        params = {"increaseArea": options["margin"], "zoom": options["zoom"], "maxSize": options["max_size"],
                  "complete": "true"}
        data = conn.transport.request("GET", f"/api/userannotation/{ident}/{kind}.{ext}",
                                      params={k: v for k, v in params.items() if v is not None}, parse=lambda r: r.content)
        with open(path, "wb") as fh:
            fh.write(data)
        return path


class CytomineImageWorkflow(ImageReview[ImageInstance], CommandCreate[ImageInstance], CommandUpdate[ImageInstance],
                            CommandDelete[ImageInstance]):
    """Review mode and slices of an image instance; an abstract image placed in a project
    (``ImageInstance(project=..., extra={"baseImage": abstract_id})`` or
    ``AbstractImage.place(project)``), renamed, removed."""

    def validate(self, model: ImageInstance, operation: str) -> None:
        if operation == "create" and model.extra.get("baseImage") is None:
            raise ValueError("an image instance is an abstract image placed in a project: use "
                             "UploadedFile.upload(path, storage=, project=) or AbstractImage.place(project), "
                             "or give extra={'baseImage': abstract_image_id}")
        if operation == "create":
            check_id(model.project, int, "project id")

    def to_wire(self, model: ImageInstance) -> dict[str, Any]:
        base = model.extra.get("baseImage")
        check_id(base, int, "the abstract image id (extra['baseImage'])")
        data = {"baseImage": base, "project": model.project, "instanceFilename": model.name}
        if model.id is not None:
            data["id"] = model.id
        return cv.body({k: v for k, v in data.items() if v is not None})

    def start_review(self, conn: Connection, model: ImageInstance) -> None:
        conn.transport.request("PUT", f"/api/imageinstance/{check_id(model.id, int, 'image id')}/review.json")

    def stop_review(self, conn: Connection, model: ImageInstance, cancel: bool) -> None:
        conn.transport.request("DELETE", f"/api/imageinstance/{check_id(model.id, int, 'image id')}/review.json",
                               params={"cancel": "true" if cancel else "false"})

    def slices(self, conn: Connection, model: ImageInstance) -> list[SliceInstance]:
        from .models import SliceInstance

        ident = check_id(model.id, int, "image id")
        found = every(conn, f"/api/imageinstance/{ident}/sliceinstance.json",
                      lambda row: cv.converter.structure(row, SliceInstance))
        for s in found:
            s.mark_clean()
            s.bind(conn)
        return found

    def reference_slice(self, conn: Connection, model: ImageInstance) -> SliceInstance:
        from .models import SliceInstance

        ident = check_id(model.id, int, "image id")
        found = conn.transport.request("GET", f"/api/imageinstance/{ident}/sliceinstance/reference.json",
                                       parse=lambda r: cv.converter.structure(parse_json(r), SliceInstance))
        found.mark_clean()
        found.bind(conn)
        return found

    def slice_at(self, conn: Connection, model: ImageInstance, channel: int, z: int, time: int) -> int:
        """The id of the slice at (channel, z, time)."""
        ident = check_id(model.id, int, "image id (fetch it first)")
        try:
            return int(conn.transport.request("GET", f"/api/imageinstance/{ident}/{channel}/{z}/{time}/sliceinstance.json",
                                              parse=lambda r: parse_json(r)["id"]))
        except NotFound:
            raise NotFound(f"image {ident} has no slice at channel {channel}, z {z}, time {time}") from None


class CytomineMembership(Membership[Project]):
    def change_member(self, conn: Connection, model: Project, user: int, manager: bool, add: bool) -> None:
        ident = check_id(model.id, int, "project id")
        path = f"/api/project/{ident}/user/{user}{'/admin' if manager else ''}.json"
        try:
            conn.transport.request("POST" if add else "DELETE", path)
        except NotFound:
            if add:
                raise  # no such user or project
        # Keep what the model knows of its members in step: nothing cached here.


