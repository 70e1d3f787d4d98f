"""How images come into Cytomine: storages, uploaded files (and the upload server's multipart
upload), abstract images and slices, slice instances and image groups."""

from __future__ import annotations

import os
from typing import Any, Mapping
from urllib.parse import urlsplit

import requests

from ...connection import Connection
from ...core.errors import ProtocolError
from ...imaging import Region, _fit, decode
from ...models import ImageInstance
from ...transport import parse_json
from ...core.backend import check_id, check_name
from . import converter as cv
from .documents import BOOL, Doc, f
from ...core.capabilities import Delete
from ...core.routes import Route
from .domains import CommandCRUD, CommandCreate, CommandDelete, CommandFetch, CommandList, current_user
from .models import AbstractImage, AbstractSlice, ImageGroup, ImageGroupImage, SliceInstance, Storage, UploadedFile

#: An upload or a whole-slide download may take long: a day rather than the call timeout.
LONG = 86400.0


class CytomineStorage(Doc[Storage], CommandCRUD[Storage]):
    route = key = "storage"
    model_type = Storage
    routes = {"": "/api/storage.json"}
    filters = {"all": f("all", "every storage the user can read, not only its own", BOOL)}

    def validate(self, model: Storage, operation: str) -> None:
        check_name(model.name, "a storage name")

    def create(self, conn: Connection, model: Storage, modifiers: Mapping[str, Any]) -> None:
        if model.user is None:
            model.user = current_user(conn).id
        super().create(conn, model, modifiers)

    def import_datasets(self, conn: Connection, model: Storage, url: str) -> Any:
        """``POST url?storage_id=`` on the image server (a path on this server, or a URL on it)."""
        parts = urlsplit(url)
        if parts.scheme:
            mine = urlsplit(conn.transport.base_url)
            if (parts.scheme, parts.netloc) != (mine.scheme, mine.netloc):
                raise ValueError(f"the image server URL must be on this server ({mine.netloc}), not {parts.netloc}")
            url = parts.path
        return conn.transport.request("POST", url, params={"storage_id": self.saved(model)}, timeout=max(conn.timeout, LONG))


class CytomineUploadedFile(Doc[UploadedFile], CommandCRUD[UploadedFile]):
    endpoints = {"upload": "POST /upload (multipart, upload server)"}
    route = key = "uploadedfile"
    model_type = UploadedFile
    routes = {"": "/api/uploadedfile.json"}
    filters = {"parent": f("parent", "files made from this uploaded file"),
               "all": f("all", "every uploaded file the user can read", BOOL)}

    def validate(self, model: UploadedFile, operation: str) -> None:
        check_name(model.name, "an uploaded file's original name")
        check_id(model.storage, int, "storage id")

    def upload(self, conn: Connection, cls: type, path: str, storage: int, project: int | None,
               properties: Mapping[str, Any], sync: bool) -> UploadedFile:
        check_id(storage, int, "storage id")
        if project is not None:
            check_id(project, int, "project id")
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no file {path!r} to upload")
        params: dict[str, Any] = {"idStorage": storage, "storage": storage, "sync": "true" if sync else "false"}
        if project is not None:
            params.update(idProject=project, projects=project)
        if properties:
            values = [cv.property_value(v) for v in properties.values()]
            if any("," in str(k) or "," in v for k, v in zip(properties, values)):
                raise ValueError("the upload server splits property keys and values at commas: leave commas out")
            params.update(keys=",".join(str(k) for k in properties), values=",".join(values))
        name = os.path.basename(path)
        with open(path, "rb") as fh:
            done: UploadedFile = conn.transport.request("POST", "/upload", params=params, files={"files[]": (name, fh)},
                                                        parse=self._upload_reply, timeout=max(conn.timeout, LONG))
        for made in [*(done.images or []), *(done.instances or [])]:
            made.mark_clean()  # as stored
            made.bind(conn)
        return done

    def _upload_reply(self, response: requests.Response) -> UploadedFile:
        """``[{"uploadedFile": {...}, "images": [{"image": {...}, "imageInstances": [...]}]}]``."""
        data = parse_json(response)
        if not isinstance(data, list) or not data or not isinstance(data[0], Mapping) or "uploadedFile" not in data[0]:
            raise ProtocolError("the upload server's reply has no uploadedFile")
        done: UploadedFile = self.structure(data[0]["uploadedFile"])
        images = data[0].get("images") or []
        done.images = [cv.converter.structure(i["image"], AbstractImage) for i in images if i.get("image")]
        done.instances = [cv.converter.structure(r, ImageInstance) for i in images for r in i.get("imageInstances") or []]
        return done


class CytomineAbstractImage(Doc[AbstractImage], CommandCRUD[AbstractImage]):
    route = key = "abstractimage"
    model_type = AbstractImage
    routes = {"": "/api/abstractimage.json"}

    def validate(self, model: AbstractImage, operation: str) -> None:
        check_id(model.uploaded_file, int, "uploaded file id")


class CytomineAbstractSlice(Doc[AbstractSlice], CommandCRUD[AbstractSlice]):
    route = key = "abstractslice"
    model_type = AbstractSlice
    routes = {"image": "/api/abstractimage/{image}/abstractslice.json",
              "uploaded_file": "/api/uploadedfile/{uploaded_file}/abstractslice.json"}
    filters = {"image": f("image", "slices of this abstract image id"),
               "uploaded_file": f("uploaded_file", "slices of this uploaded file id")}

    def validate(self, model: AbstractSlice, operation: str) -> None:
        check_id(model.image, int, "abstract image id")
        check_id(model.uploaded_file, int, "uploaded file id")


class CytomineSliceInstance(Doc[SliceInstance], CommandFetch[SliceInstance], CommandList[SliceInstance],
                            CommandCreate[SliceInstance], CommandDelete[SliceInstance]):
    endpoints = {"read a region of": "GET /api/sliceinstance/{id}/window-{x}-{y}-{w}-{h}.png"}
    route = key = "sliceinstance"
    model_type = SliceInstance
    routes = {"image": "/api/imageinstance/{image}/sliceinstance.json"}
    filters = {"image": f("image", "slices of this image instance id")}
    not_supported = {"update": "a slice instance only ties an image to a base slice: delete it and make another"}

    def validate(self, model: SliceInstance, operation: str) -> None:
        check_id(model.image, int, "image instance id")
        check_id(model.base_slice, int, "base (abstract) slice id")

    def read_window(self, conn: Connection, model: SliceInstance, box: Region) -> Any:
        return window(conn, f"/api/sliceinstance/{self.saved(model)}", box)


def window(conn: Connection, base: str, box: Region) -> Any:
    """Pixels of ``box`` from ``{base}/window-x-y-w-h.png`` (scaled by the server's maxSize)."""
    params = {"maxSize": max(box.out_width, box.out_height)} if box.scale < 1 else {}
    array = conn.transport.request("GET", f"{base}/window-{box.x}-{box.y}-{box.width}-{box.height}.png",
                                   params=params, parse=lambda r: decode(r.content))
    return _fit(array, box.out_height, box.out_width)


class CytomineImageGroup(Doc[ImageGroup], CommandCRUD[ImageGroup]):
    route = key = "imagegroup"
    model_type = ImageGroup
    routes = {"project": "/api/project/{project}/imagegroup.json"}
    filters = {"project": f("project", "groups of this project id (default: the connection's)")}
    default_project = True

    def validate(self, model: ImageGroup, operation: str) -> None:
        check_id(model.project, int, "project id")


class CytomineImageGroupImage(Doc[ImageGroupImage], CommandCreate[ImageGroupImage], CommandList[ImageGroupImage],
                              Delete[ImageGroupImage]):
    requests = {"create": Route("POST", "/api/imagegroup/{group}/imageinstance/{image}.json"),
                "delete": Route("DELETE", "/api/imagegroup/{group}/imageinstance/{image}.json")}
    route = key = "imagegroupimageinstance"
    model_type = ImageGroupImage
    routes = {"image": "/api/imageinstance/{image}/imagegroupimageinstance.json"}
    filters = {"image": f("image", "the groups of this image instance id")}
    not_supported = {"fetch": "list them with ImageGroupImageCollection(image=...), or the images of a group with "
                              "ImageInstanceCollection(image_group=...)",
                     "update": "an image is in a group or not: remove it and add another"}

    def _pair(self, model: ImageGroupImage) -> dict[str, int]:
        return {"group": check_id(model.group, int, "image group id"), "image": check_id(model.image, int, "image id")}

    def create(self, conn: Connection, model: ImageGroupImage, modifiers: Mapping[str, Any]) -> None:
        model.assign(self.send(conn, "create", self._pair(model), parse=self.read_command))

    def delete(self, conn: Connection, model: ImageGroupImage) -> None:
        self.send(conn, "delete", self._pair(model))
