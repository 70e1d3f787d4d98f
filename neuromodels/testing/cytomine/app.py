"""The bundled Cytomine server: HMAC in both signing variants, command envelopes, collection
envelopes, list POSTs with Cytomine's partial-failure replies, and its three error shapes."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
from typing import Any, Callable, Mapping
from urllib.parse import quote

import orjson
import shapely
import shapely.wkt
from shapely.geometry import box
from werkzeug.exceptions import NotFound as RouteNotFound, MethodNotAllowed
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ..harness import Database
from . import store
from .store import PROJECT_FLAGS, next_ids, now_ms


class CytomineError(Exception):
    """An error the way Cytomine raises it: status, message, and which wrapper renders it."""

    def __init__(self, status: int, message: str, wrapper: bool = False) -> None:
        super().__init__(message)
        self.status, self.message, self.wrapper = status, message, wrapper


def reply(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status=status, content_type="application/json")


def signature(private_key: str, method: str, ctype: str, date: str, path: str | None) -> str:
    text = f"{method}\n\n{ctype}\n{date}" + (f"\n{path}" if path is not None else "")
    return base64.b64encode(hmac.new(private_key.encode(), text.encode(), hashlib.sha1).digest()).decode()


def _grouped(n: int) -> str:
    return f"{n:,}"  # MessageFormat prints Long arguments with digit grouping


ROUTES = [
    ("/server/ping", "ping"), ("/server/ping.json", "ping"),
    ("/api/user/current.json", "current_user"),
    ("/api/project.json", "projects"), ("/api/project/<int:id>.json", "project"),
    ("/api/user/<int:user>/project.json", "user_projects"), ("/api/ontology/<int:ontology>/project.json", "ontology_projects"),
    ("/api/project/<int:project>/imageinstance.json", "project_images"), ("/api/imageinstance/<int:id>.json", "image"),
    ("/api/imageinstance/<int:id>/thumb.<fmt>", "thumb"), ("/api/imageinstance/<int:id>/download", "download"),
    ("/api/ontology.json", "ontologies"), ("/api/ontology/<int:id>.json", "ontology"),
    ("/api/ontology/<int:ontology>/term.json", "ontology_terms"), ("/api/project/<int:project>/term.json", "project_terms"),
    ("/api/term.json", "terms"), ("/api/term/<int:id>.json", "term"),
    ("/api/annotation.json", "annotations"), ("/api/annotation/<int:id>.json", "annotation"),
    ("/api/userannotation/<int:id>.json", "annotation"),
    ("/api/annotation/<int:id>/term/<int:term>.json", "annotation_term"),
]


class CytomineApp:
    def __init__(self, db_path: str) -> None:
        self.db = Database(db_path, store.SCHEMA)
        with self.db.transaction() as cur:
            self.seed_project, self.public_key, self.private_key = store.seed(cur)
        self.url_map = Map([Rule(path, endpoint=name) for path, name in ROUTES], strict_slashes=False)
        self.server_url = ""
        self._lock = threading.Lock()

    # -- dispatch ----------------------------------------------------------------------------------------
    def __call__(self, request: Request) -> Response:
        self.server_url = request.host_url.rstrip("/")
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except (RouteNotFound, MethodNotAllowed):
            return Response(orjson.dumps({"type": "about:blank", "title": "Not Found", "status": 404,
                                          "detail": "No static resource " + request.path.lstrip("/") + ".",
                                          "instance": request.path}),
                            status=404, content_type="application/problem+json")
        user = self.authenticate(request)
        if endpoint != "ping" and user is None:
            now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
            return reply({"timestamp": now, "status": 401, "error": "Unauthorized", "path": request.path}, 401)
        try:
            return getattr(self, endpoint)(request, user, **args)
        except CytomineError as e:
            if e.wrapper:
                return reply({"success": False, "errors": e.message, "errorValues": {}}, e.status)
            return reply({"errors": {"message": e.message}, "errorValues": {}}, e.status)
        except (ValueError, TypeError, KeyError) as e:  # what Spring would turn into a 400/500
            return reply({"errors": {"message": f"{type(e).__name__}: {e}"}, "errorValues": {}}, 400)

    def authenticate(self, request: Request) -> int | None:
        """HMAC in both variants (with the real content type, then with none), or no user."""
        header = request.headers.get("authorization", "")
        date = request.headers.get("date")
        if not header.startswith("CYTOMINE ") or ":" not in header or not date:
            return None
        public, _, given = header[len("CYTOMINE "):].partition(":")
        row = self.db.read("SELECT id, private_key FROM user WHERE public_key = ?", (public.strip(),))
        if not row:
            return None
        user, private = row[0]
        raw_path = request.environ.get("RAW_URI") or quote(request.path)
        if "?" not in raw_path and request.environ.get("QUERY_STRING"):
            raw_path += "?" + request.environ["QUERY_STRING"]
        for ctype in (request.headers.get("content-type", ""), ""):
            for path in (None, raw_path):
                if hmac.compare_digest(signature(private, request.method, ctype, date, path), given):
                    return user
        return None

    # -- helpers ------------------------------------------------------------------------------------------------
    @staticmethod
    def body(request: Request) -> Any:
        try:
            return json.loads(request.get_data() or b"null")
        except ValueError:
            raise CytomineError(400, "Json not valid") from None

    @staticmethod
    def paging(request: Request) -> tuple[int, int]:
        for key in request.args:
            if len(request.args.getlist(key)) > 1:
                raise CytomineError(500, "Method is not yet implemented")
        size = int(request.args.get("max", 0) or 0)
        return (size if size > 0 else 2**31 - 1), int(request.args.get("offset", 0) or 0)

    def envelope(self, request: Request, rows: list[Any], sql_paged: bool) -> Response:
        size, offset = self.paging(request)
        page = rows[offset : offset + size] if offset < len(rows) else []
        per_page = min(size, len(page)) if sql_paged else min(size, len(rows))
        total_pages = -(-len(rows) // size) if rows else 0
        return reply({"collection": page, "offset": offset, "perPage": per_page, "size": len(rows), "totalPages": total_pages})

    def command(self, action: str, domain: str, key: str, obj: Mapping[str, Any], message: str, extra: Mapping[str, Any] | None = None) -> Response:
        with self.db.transaction() as cur:
            (command,) = next_ids(cur)
        callback = {f"{domain}ID": str(obj["id"]), "method": f"be.cytomine.{action}{domain[0].upper()}{domain[1:]}Command", **(extra or {})}
        return reply({"message": message, "callback": callback, "printMessage": True, key: obj, "command": command})

    # -- basics -----------------------------------------------------------------------------------------------
    def ping(self, request: Request, user: int | None) -> Response:
        return reply({"alive": True, "version": "0.0.0", "serverURL": self.server_url, "serverID": "default"})

    def current_user(self, request: Request, user: int) -> Response:
        uid, username, name = self.db.read("SELECT id, username, name FROM user WHERE id = ?", (user,))[0]
        t = int(now_ms())
        return reply({"id": uid, "username": username, "name": name, "email": f"{username}@localhost",
                      "fullName": f"{name} ({username})", "firstname": name.split()[0], "lastname": name.split()[-1],
                      "language": "EN", "isDeveloper": False, "created": t, "updated": t})

    # -- projects -----------------------------------------------------------------------------------------------
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
            except Exception as e:
                if "UNIQUE" in str(e):
                    raise CytomineError(409, f"Project {data['name']} already exist!", wrapper=True) from None
                raise
            obj = self.project_rows("WHERE id = ?", (pid,))[0]
            return self.command("Add", "project", "project", obj, f"Project {_grouped(pid)} ({data['name']}) added")
        return self.envelope(request, self.project_rows(), sql_paged=True)

    def user_projects(self, request: Request, user: int, user_id: int | None = None, **kw: Any) -> Response:
        return self.envelope(request, self.project_rows(), sql_paged=True)

    def ontology_projects(self, request: Request, user: int, ontology: int) -> Response:
        return self.envelope(request, self.project_rows("WHERE ontology = ?", (ontology,)), sql_paged=False)

    def check_ontology(self, ontology: Any) -> None:
        if ontology is not None and not self.db.read("SELECT 1 FROM ontology WHERE id = ?", (ontology,)):
            raise CytomineError(404, f"Ontology {ontology} not found", wrapper=True)

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
            return self.command("Edit", "project", "project", obj, f"Project {_grouped(target)}  ({obj['name']}) edited")
        if request.method == "DELETE":
            if not rows:
                raise CytomineError(404, f"class be.cytomine.domain.project.Project {id} not found", wrapper=True)
            with self.db.transaction() as cur:
                cur.execute("DELETE FROM annotation_term WHERE annotation IN (SELECT id FROM annotation WHERE project = ?)", (id,))
                cur.execute("DELETE FROM annotation WHERE project = ?", (id,))
                cur.execute("DELETE FROM image WHERE project = ?", (id,))
                cur.execute("DELETE FROM project WHERE id = ?", (id,))
            return self.command("Delete", "project", "project", rows[0], f"Project {_grouped(id)} ({rows[0]['name']}) deleted")
        raise CytomineError(405, "Method not allowed")

    # -- images ------------------------------------------------------------------------------------------------
    def image_json(self, row: tuple[Any, ...]) -> dict[str, Any]:
        iid, project, base, slice_, filename, w, h, d, psx, psy, psz, user, created, updated = row
        zoom, side = 0, max(w, h)
        while side > 256:
            side, zoom = side / 2, zoom + 1
        count = self.db.read("SELECT COUNT(*) FROM annotation WHERE image = ?", (iid,))[0][0]
        base_url = f"{self.server_url}/api/imageinstance/{iid}"
        return {"class": "be.cytomine.domain.image.ImageInstance", "id": iid, "created": created, "updated": updated,
                "baseImage": base, "project": project, "user": user, "instanceFilename": filename,
                "originalFilename": filename, "filename": filename, "blindedName": None, "path": f"upload-local/{filename}",
                "contentType": "SVS", "width": w, "height": h, "depth": d, "duration": 1, "channels": 1,
                "extrinsicChannels": 3, "physicalSizeX": psx, "physicalSizeY": psy, "physicalSizeZ": psz, "fps": None,
                "zoom": zoom, "tileSize": 256, "isVirtual": False, "magnification": 20, "bitPerSample": 8,
                "samplePerPixel": 3, "colorspace": "SRGB", "reviewStart": None, "reviewStop": None, "reviewUser": None,
                "reviewed": False, "inReview": False, "numberOfAnnotations": count, "numberOfJobAnnotations": 0,
                "numberOfReviewedAnnotations": 0, "thumb": f"{base_url}/thumb.png?maxSize=512",
                "preview": f"{base_url}/thumb.png?maxSize=1024", "macroURL": None}

    def image_row(self, iid: Any) -> tuple[Any, ...] | None:
        rows = self.db.read("SELECT * FROM image WHERE id = ?", (iid,))
        return rows[0] if rows else None

    def project_images(self, request: Request, user: int, project: int) -> Response:
        if not self.db.read("SELECT 1 FROM project WHERE id = ?", (project,)):
            raise CytomineError(404, f"Project not found with filters : {{id={project}}}")
        rows = self.db.read("SELECT * FROM image WHERE project = ? ORDER BY created DESC, id DESC", (project,))
        return self.envelope(request, [self.image_json(r) for r in rows], sql_paged=True)

    def image(self, request: Request, user: int, id: int) -> Response:
        row = self.image_row(id)
        if row is None:
            raise CytomineError(404, f"ImageInstance not found with filters : {{id={id}}}")
        return reply(self.image_json(row))

    def thumb(self, request: Request, user: int, id: int, fmt: str) -> Response:
        if self.image_row(id) is None:
            raise CytomineError(404, f"ImageInstance not found with filters : {{id={id}}}")
        # A 1x1 grey PNG: the bundled server has no pixels, only the routes.
        png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg==")
        return Response(png, content_type=f"image/{'jpeg' if fmt == 'jpg' else fmt}")

    def download(self, request: Request, user: int, id: int) -> Response:
        row = self.image_row(id)
        if row is None:
            raise CytomineError(404, f"ImageInstance not found with filters : {{id={id}}}")
        data = f"neuromodels bundled server: image {id} ({row[4]})\n".encode()
        return Response(data, content_type="application/octet-stream",
                        headers={"Content-Disposition": f'form-data; name="attachment"; filename="{row[4]}"'})

    # -- ontologies and terms ---------------------------------------------------------------------------------
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

    def ontologies(self, request: Request, user: int) -> Response:
        if request.method == "POST":
            data = self.body(request) or {}
            if not data.get("name"):
                raise CytomineError(400, "Ontology name is required", wrapper=True)
            t = now_ms()
            try:
                with self.db.transaction() as cur:
                    (oid,) = next_ids(cur)
                    cur.execute("INSERT INTO ontology VALUES (?, ?, ?, ?, ?)", (oid, data["name"], user, t, t))
            except Exception as e:
                if "UNIQUE" in str(e):
                    raise CytomineError(409, f"Ontology {data['name']} already exist!", wrapper=True) from None
                raise
            obj = self.ontology_json(self.db.read("SELECT * FROM ontology WHERE id = ?", (oid,))[0])
            return self.command("Add", "ontology", "ontology", obj, f"Ontology {_grouped(oid)} ({data['name']}) added")
        rows = self.db.read("SELECT * FROM ontology ORDER BY id")
        return self.envelope(request, [self.ontology_json(r) for r in rows], sql_paged=False)

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
            return self.command("Delete", "ontology", "ontology", obj, f"Ontology {_grouped(id)} ({obj['name']}) deleted")
        if request.method == "PUT":
            data = self.body(request) or {}
            target = data.get("id")
            if not self.db.read("SELECT 1 FROM ontology WHERE id = ?", (target,)):
                raise CytomineError(404, f"class be.cytomine.domain.ontology.Ontology {target} not found", wrapper=True)
            with self.db.transaction() as cur:
                cur.execute("UPDATE ontology SET name = ?, updated = ? WHERE id = ?", (data.get("name"), now_ms(), target))
            obj = self.ontology_json(self.db.read("SELECT * FROM ontology WHERE id = ?", (target,))[0])
            return self.command("Edit", "ontology", "ontology", obj, f"Ontology {_grouped(target)} ({obj['name']}) edited")
        raise CytomineError(405, "Method not allowed")

    def ontology_terms(self, request: Request, user: int, ontology: int) -> Response:
        rows = self.db.read("SELECT * FROM term WHERE ontology = ? ORDER BY id", (ontology,))
        return self.envelope(request, [self.term_json(r) for r in rows], sql_paged=False)

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
            return self.command("Delete", "term", "term", obj, f"Term {obj['id']} ({obj['name']}) deleted")
        raise CytomineError(405, "Method not allowed")

    # -- annotations ---------------------------------------------------------------------------------------------
    def annotation_json(self, row: tuple[Any, ...], groups: set[str] | None = None, listing: bool = False) -> dict[str, Any]:
        aid, project, image, slice_, user, location, created, updated = row
        geometry = shapely.wkt.loads(location)
        irow = self.image_row(image)
        psx = irow[8] if irow else None
        terms = [r[0] for r in self.db.read("SELECT term FROM annotation_term WHERE annotation = ? ORDER BY id", (aid,))]
        crop = f"{self.server_url}/api/userannotation/{aid}/crop.png"
        meta = {"created": float(created) if listing else created, "updated": float(updated) if listing else updated,
                "image": image, "slice": slice_, "project": project, "user": user, "nbComments": 0,
                "countReviewedAnnotations": 0, "reviewed": False, "cropURL": crop, "smallCropURL": crop + "?maxSize=256",
                "url": crop, "imageURL": f"{self.server_url}/#/project/{project}/image/{image}/annotation/{aid}"}
        area, perimeter = geometry.area, geometry.length
        gis = {"area": round(area * psx * psx, 2) if psx else round(area), "areaUnit": "micron²" if psx else "pixels²",
               "perimeter": round(perimeter * psx / 1000, 4) if psx else round(perimeter),
               "perimeterUnit": "mm" if psx else "pixels",
               "centroid": {"x": geometry.centroid.x, "y": geometry.centroid.y}}
        wkt = {"location": geometry.wkt, "geometryCompression": 0.0}
        term = {"term": terms, "userByTerm": [{"id": i, "term": t, "user": [u]} for i, t, u in self.db.read(
            "SELECT id, term, user FROM annotation_term WHERE annotation = ? ORDER BY id", (aid,))]}
        obj: dict[str, Any] = {"class": "be.cytomine.domain.ontology.UserAnnotation", "id": aid}
        if groups is None:  # a show/command object: every group, term ids only
            return {**obj, **meta, **wkt, **gis, "term": terms}
        if "meta" in groups:
            obj.update(meta)
        if "wkt" in groups:
            obj.update(wkt)
        if "gis" in groups:
            obj.update(gis)
        if "term" in groups:
            obj.update(term)
        if "user" in groups:
            obj.update({"creator": "admin", "name": "Local Admin"})
        if "image" in groups and irow:
            obj.update({"originalFilename": irow[4], "instanceFilename": irow[4]})
        return obj

    def make_annotation(self, cur: Any, user: int, data: Any) -> int:
        """Cytomine's UserAnnotationService.add: parse, validate, clip to the image, store."""
        if not isinstance(data, dict):
            raise CytomineError(400, "Json not valid", wrapper=True)
        location = data.get("location")
        if not location:
            raise CytomineError(400, f"Annotation must have a valid geometry:{location}", wrapper=True)
        image_id = data.get("image")
        irow = cur.execute("SELECT * FROM image WHERE id = ?", (image_id,)).fetchone() if image_id is not None else None
        if irow is None:
            raise CytomineError(404, f"ImageInstance with id {image_id}", wrapper=True)
        try:
            geometry = shapely.wkt.loads(location)
        except Exception:
            raise CytomineError(400, "Annotation location is not valid", wrapper=True) from None
        if geometry.is_empty or not geometry.is_valid:
            raise CytomineError(400, "Annotation location is not valid", wrapper=True)
        width, height = irow[5], irow[6]
        minx, miny, maxx, maxy = geometry.bounds
        if minx < 0 or miny < 0 or maxx > width or maxy > height:
            geometry = geometry.intersection(box(0, 0, width, height))
            if geometry.is_empty:
                raise CytomineError(400, "Annotation location is not valid", wrapper=True)
        minx, miny, maxx, maxy = geometry.bounds
        if geometry.geom_type not in ("Point", "LineString", "MultiPoint") and (maxx == minx or maxy == miny):
            raise CytomineError(400, "Annotation dimension not valid", wrapper=True)
        terms = data.get("term") or data.get("terms") or []
        for term in terms:
            if not cur.execute("SELECT 1 FROM term WHERE id = ?", (term,)).fetchone():
                raise CytomineError(404, f"Term {term} not found", wrapper=True)
        t = now_ms()
        (aid,) = next_ids(cur)
        cur.execute("INSERT INTO annotation VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (aid, irow[1], irow[0], irow[3], data.get("user") or user, geometry.wkt, t, t))
        for term in terms:
            (atid,) = next_ids(cur)
            cur.execute("INSERT INTO annotation_term VALUES (?, ?, ?, ?, ?)", (atid, aid, term, user, t))
        return aid

    def add_many(self, word: str, items: list[Any], add: Callable[[Any, Any], Any]) -> Response:
        """ModelService.addMultiple: each item on its own; HTTP 200 with the logical status inside."""
        ids, errors = [], []
        # One transaction, one savepoint per item: each item stands or falls on its own.
        with self.db.transaction() as cur:
            for item in items:
                cur.execute("SAVEPOINT item")
                try:
                    result = add(cur, item)
                    ids.append(result if isinstance(result, int) else result["id"])
                except CytomineError as e:
                    cur.execute("ROLLBACK TO item")
                    echo = {**item, "minPoint": None, "maxPoint": None} if isinstance(item, dict) else item
                    errors.append({"data": echo, "message": e.message})
                cur.execute("RELEASE item")
        listed = ",".join(str(i) for i in ids)
        if not errors:
            return reply({"data": {"message": f"{word} {listed} added"}, "status": 200})
        if ids:
            return reply({"data": {"success": False, "message": f"Only part of the entries ({word} {listed}", "errors": errors}, "status": 206})
        return reply({"data": {"success": False, "message": "No entry saved", "errors": errors}, "status": 400})

    def annotations(self, request: Request, user: int) -> Response:
        if request.method == "POST":
            data = self.body(request)
            if isinstance(data, list):
                return self.add_many("userannotations", data, lambda cur, item: self.make_annotation(cur, user, item))
            with self.db.transaction() as cur:
                aid = self.make_annotation(cur, user, data)
            obj = self.annotation_json(self.db.read("SELECT * FROM annotation WHERE id = ?", (aid,))[0])
            filename = self.image_row(obj["image"])[4]
            return self.command("Add", "userannotation", "annotation", obj,
                                f"{_grouped(user)} added an annotation in {filename} on layer Local Admin (admin)")
        return self.listing(request)

    def listing(self, request: Request) -> Response:
        args = request.args
        self.paging(request)  # refuses repeated parameters
        flag = lambda name: args.get(name, "").lower() == "true"  # noqa: E731
        ids = lambda name: [int(v) for v in args.get(name, "").replace("_", ",").split(",") if v]  # noqa: E731
        where, params = ["1"], []
        scoped = False
        for single, many, column in (("project", None, "project"), ("image", "images", "image"), ("slice", "slices", "slice"),
                                     ("user", "users", "user")):
            values = ids(single) + (ids(many) if many else [])
            if values:
                where.append(f"a.{column} IN ({','.join('?' * len(values))})")
                params += values
                scoped = scoped or column in ("project", "image", "slice")
        if not scoped:
            raise CytomineError(403, "You must give a project, image or slice to list annotations")
        terms = ids("term") + ids("terms")
        if terms:
            where.append(f"a.id IN (SELECT annotation FROM annotation_term WHERE term IN ({','.join('?' * len(terms))}))")
            params += terms
        if flag("noTerm"):
            where.append("a.id NOT IN (SELECT annotation FROM annotation_term)")
        if flag("multipleTerm"):
            where.append("a.id IN (SELECT annotation FROM annotation_term GROUP BY annotation HAVING COUNT(DISTINCT term) > 1)")
        rows = [] if flag("reviewed") else self.db.read(f"SELECT a.* FROM annotation a WHERE {' AND '.join(where)} ORDER BY a.id DESC", params)
        if args.get("bbox"):
            text = args["bbox"]
            area = shapely.wkt.loads(text) if text[:1].isalpha() else box(*[float(v) for v in text.split(",")])
            rows = [r for r in rows if shapely.wkt.loads(r[5]).intersects(area)]
        shows = {name[4:].lower() for name in ("showBasic", "showMeta", "showWKT", "showGIS", "showTerm", "showImage",
                                               "showUser", "showSlice", "showTrack") if flag(name)}
        groups = shows | ({"basic", "meta", "term"} if (not shows or flag("showDefault")) else set())
        groups = {g for g in groups if not flag("hide" + g.capitalize()) and not (g == "wkt" and flag("hideWKT"))}
        return self.envelope(request, [self.annotation_json(r, groups, listing=True) for r in rows], sql_paged=False)

    def annotation(self, request: Request, user: int, id: int) -> Response:
        if request.method == "GET":
            rows = self.db.read("SELECT * FROM annotation WHERE id = ?", (id,))
            if not rows:
                raise CytomineError(404, f"Annotation {id} not found")
            return reply(self.annotation_json(rows[0]))
        if request.method == "PUT":
            data = self.body(request) or {}
            target = data.get("id")
            rows = self.db.read("SELECT * FROM annotation WHERE id = ?", (target,))
            if not rows:
                raise CytomineError(404, f"class be.cytomine.domain.ontology.UserAnnotation {target} not found", wrapper=True)
            for key in ("slice", "user"):
                if data.get(key) is None:
                    raise CytomineError(400, f"{key} was not found with id: null", wrapper=True)
            if data.get("image") is None or self.image_row(data["image"]) is None:
                raise CytomineError(400, "Annotation not associated with a valid image", wrapper=True)
            try:
                geometry = shapely.wkt.loads(data.get("location") or "")
            except Exception:
                raise CytomineError(400, "Annotation location is not valid", wrapper=True) from None
            if geometry.is_empty or not geometry.is_valid:
                raise CytomineError(400, "Annotation location is not valid", wrapper=True)
            with self.db.transaction() as cur:
                cur.execute("UPDATE annotation SET location = ?, image = ?, updated = ? WHERE id = ?",
                            (geometry.wkt, data["image"], now_ms(), target))
            obj = self.annotation_json(self.db.read("SELECT * FROM annotation WHERE id = ?", (target,))[0])
            return self.command("Edit", "userannotation", "annotation", obj,
                                f"{_grouped(user)} edited annotation from {self.image_row(obj['image'])[4]} on layer Local Admin (admin)")
        if request.method == "DELETE":
            rows = self.db.read("SELECT * FROM annotation WHERE id = ?", (id,))
            if not rows:
                raise CytomineError(404, f"class be.cytomine.domain.ontology.UserAnnotation {id} not found", wrapper=True)
            obj = self.annotation_json(rows[0])
            with self.db.transaction() as cur:
                cur.execute("DELETE FROM annotation_term WHERE annotation = ?", (id,))
                cur.execute("DELETE FROM annotation WHERE id = ?", (id,))
            return self.command("Delete", "userannotation", "annotation", obj,
                                f"{_grouped(user)} deleted an annotation in {self.image_row(obj['image'])[4]} on layer Local Admin (admin)")
        raise CytomineError(405, "Method not allowed")

    def annotation_term(self, request: Request, user: int, id: int, term: int) -> Response:
        if request.method == "POST":
            data = self.body(request) or {}
            annotation = data.get("userannotation") or data.get("annotationIdent") or id
            term_id = data.get("term") or term
            with self.db.transaction() as cur:
                if not cur.execute("SELECT 1 FROM annotation WHERE id = ?", (annotation,)).fetchone():
                    raise CytomineError(404, f"Annotation {annotation} not found")
                name = cur.execute("SELECT name FROM term WHERE id = ?", (term_id,)).fetchone()
                if name is None:
                    raise CytomineError(404, f"Term {term_id} not found")
                if cur.execute("SELECT 1 FROM annotation_term WHERE annotation = ? AND term = ? AND user = ?",
                               (annotation, term_id, user)).fetchone():
                    raise CytomineError(400, f"Term {term_id} already exist for annotation {annotation}")
                (atid,) = next_ids(cur)
                t = now_ms()
                cur.execute("INSERT INTO annotation_term VALUES (?, ?, ?, ?, ?)", (atid, annotation, term_id, user, t))
            obj = {"class": "be.cytomine.domain.ontology.AnnotationTerm", "id": atid, "created": t, "updated": t,
                   "userannotation": annotation, "term": term_id, "user": user}
            return self.command("Add", "annotationterm", "annotationterm", obj, f"Term {name[0]} is added to annotation {annotation}")
        if request.method == "DELETE":
            rows = self.db.read("SELECT id, created FROM annotation_term WHERE annotation = ? AND term = ?", (id, term))
            if not rows:
                raise CytomineError(404, f"Annotation-term {id}-{term} not found", wrapper=True)
            with self.db.transaction() as cur:
                cur.execute("DELETE FROM annotation_term WHERE annotation = ? AND term = ?", (id, term))
            obj = {"class": "be.cytomine.domain.ontology.AnnotationTerm", "id": rows[0][0], "created": rows[0][1],
                   "updated": rows[0][1], "userannotation": id, "term": term, "user": user}
            return self.command("Delete", "annotationterm", "annotationterm", obj, f"Term {term} deleted from annotation {id}")
        raise CytomineError(405, "Method not allowed")
