"""Annotations, the terms put on them, and tracks."""

from __future__ import annotations

import json
from typing import Any

import shapely
import shapely.wkt
from shapely.geometry import box
from werkzeug.wrappers import Request, Response

from ..harness import route
from .base import CytomineBase, CytomineError, grouped, not_found, reply
from .store import next_ids, now_ms
from .narrowing import AnnotationNarrowing


class AnnotationViews(AnnotationNarrowing, CytomineBase):
    def annotation_json(self, row: tuple[Any, ...], groups: set[str] | None = None, listing: bool = False) -> dict[str, Any]:
        return self.annotation_docs([row], groups, listing)[0]

    def annotation_docs(self, rows: list[tuple[Any, ...]], groups: set[str] | None = None,
                        listing: bool = False) -> list[dict[str, Any]]:
        """The JSON of annotation rows, worked out for all of them at once: one query for their
        terms, one per image, and shapely's vectorised functions over the page's geometries."""
        geometries = shapely.from_wkt([row[5] for row in rows])
        areas, perimeters = shapely.area(geometries).tolist(), shapely.length(geometries).tolist()
        centroids = shapely.centroid(geometries)
        cx, cy = shapely.get_x(centroids).tolist(), shapely.get_y(centroids).tolist()
        wkts = shapely.to_wkt(geometries, rounding_precision=-1).tolist()
        images = {image: self.image_row(image) for image in {row[2] for row in rows}}
        links: dict[int, list[tuple[int, int, int]]] = {}
        for aid, link, term, who in self.db.read(
                "SELECT annotation, id, term, user FROM annotation_term WHERE annotation IN "
                "(SELECT value FROM json_each(?)) ORDER BY id", (json.dumps([row[0] for row in rows]),)):
            links.setdefault(aid, []).append((link, term, who))
        return [self._annotation_doc(row, images[row[2]], links.get(row[0], []), areas[i], perimeters[i],
                                     cx[i], cy[i], wkts[i], groups, listing) for i, row in enumerate(rows)]

    def _annotation_doc(self, row: tuple[Any, ...], irow: tuple[Any, ...] | None, links: list[tuple[int, int, int]],
                        area: float, perimeter: float, cx: float, cy: float, location: str,
                        groups: set[str] | None, listing: bool) -> dict[str, Any]:
        aid, project, image, slice_, user, _, created, updated = row
        psx = irow[8] if irow else None
        terms = [t for _, t, _ in links]
        crop = f"{self.server_url}/api/userannotation/{aid}/crop.png"
        meta = {"created": float(created) if listing else created, "updated": float(updated) if listing else updated,
                "image": image, "slice": slice_, "project": project, "user": user, "nbComments": 0,
                "countReviewedAnnotations": 0, "reviewed": False, "cropURL": crop, "smallCropURL": crop + "?maxSize=256",
                "url": crop, "imageURL": f"{self.server_url}/#/project/{project}/image/{image}/annotation/{aid}"}
        gis = {"area": round(area * psx * psx, 2) if psx else round(area), "areaUnit": "micron²" if psx else "pixels²",
               "perimeter": round(perimeter * psx / 1000, 4) if psx else round(perimeter),
               "perimeterUnit": "mm" if psx else "pixels",
               "centroid": {"x": cx, "y": cy}}
        wkt = {"location": location, "geometryCompression": 0.0}
        term = {"term": terms, "userByTerm": [{"id": i, "term": t, "user": [u]} for i, t, u in links]}
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

    @staticmethod
    def parse_locations(items: list[Any]) -> dict[int, tuple[Any, bool, str]]:
        """The geometries of a batch's items parsed and checked in two vectorised calls (the
        per-item Python calls were most of a batch's time for 33-vertex polygons): item index ->
        (geometry, valid, its WKT as stored); unreadable WKT is left out (the item then fails as
        it would alone)."""
        texts = [item.get("location") if isinstance(item, dict) and isinstance(item.get("location"), str) else None
                 for item in items]
        geometries = shapely.from_wkt(texts, on_invalid="ignore")
        valid = shapely.is_valid(geometries) & ~shapely.is_empty(geometries)
        wkts = shapely.to_wkt(geometries, rounding_precision=-1).tolist()
        return {i: (g, bool(v), w) for i, (g, v, w) in enumerate(zip(geometries.tolist(), valid.tolist(), wkts))
                if g is not None}

    def make_annotation(self, cur: Any, user: int, data: Any) -> int:
        """Cytomine's UserAnnotationService.add: parse, validate, clip to the image, store."""
        return self.write_annotations(cur, user, [self.check_annotation(cur, user, data)])[0]

    def add_annotations(self, user: int, items: list[Any]) -> Response:
        """A batch (addMultiple): every item checked on its own (geometries parsed and validated
        together), then the accepted ones written in one statement per table."""
        parsed = self.parse_locations(items)
        images: dict[Any, Any] = {}
        accepted, ids, errors = [], [], []
        with self.db.transaction() as cur:
            for i, item in enumerate(items):
                try:
                    accepted.append(self.check_annotation(cur, user, item, parsed.get(i), images))
                except CytomineError as e:
                    echo = {**item, "minPoint": None, "maxPoint": None} if isinstance(item, dict) else item
                    errors.append({"data": echo, "message": e.message})
            ids = self.write_annotations(cur, user, accepted)
        return self.batch_reply("userannotations", ids, errors)

    def write_annotations(self, cur: Any, user: int, rows: list[tuple[Any, ...]]) -> list[int]:
        """Store checked annotations (annotation row without its id, then its terms); ids drawn
        in the order one by one would draw them: the annotation's, then its term links'."""
        first = next_ids(cur, sum(1 + len(terms) for *_, terms in rows))[0] if rows else 0
        annotations, links, ids = [], [], []
        for *row, terms in rows:
            aid, first = first, first + 1
            ids.append(aid)
            annotations.append((aid, *row))
            for term in terms:
                links.append((first, aid, term, user, row[-1]))
                first += 1
        cur.executemany("INSERT INTO annotation VALUES (?, ?, ?, ?, ?, ?, ?, ?)", annotations)
        cur.executemany("INSERT INTO annotation_term VALUES (?, ?, ?, ?, ?)", links)
        return ids

    def check_annotation(self, cur: Any, user: int, data: Any, parsed: tuple[Any, bool, str] | None = None,
                         images: dict[Any, Any] | None = None) -> tuple[Any, ...]:
        """An annotation checked as Cytomine checks it, clipped to its image: the row to store
        (without the id) and its terms. ``parsed``: its geometry and validity worked out with the
        rest of its batch; ``images``: the image rows the batch read so far."""
        if not isinstance(data, dict):
            raise CytomineError(400, "Json not valid", wrapper=True)
        location = data.get("location")
        if not location:
            raise CytomineError(400, f"Annotation must have a valid geometry:{location}", wrapper=True)
        image_id = data.get("image")
        images = {} if images is None else images
        if image_id is not None and image_id not in images:
            images[image_id] = cur.execute("SELECT * FROM image WHERE id = ?", (image_id,)).fetchone()
        irow = images.get(image_id) if image_id is not None else None
        if irow is None:
            raise CytomineError(404, f"ImageInstance with id {image_id}", wrapper=True)
        text = None
        if parsed is not None:
            geometry, valid, text = parsed
        else:
            try:
                geometry = shapely.wkt.loads(location)
            except Exception:
                raise CytomineError(400, "Annotation location is not valid", wrapper=True) from None
            valid = not geometry.is_empty and geometry.is_valid
        if not valid:
            raise CytomineError(400, "Annotation location is not valid", wrapper=True)
        width, height = irow[5], irow[6]
        minx, miny, maxx, maxy = geometry.bounds
        if minx < 0 or miny < 0 or maxx > width or maxy > height:
            geometry, text = geometry.intersection(box(0, 0, width, height)), None
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
        return (irow[1], irow[0], irow[3], data.get("user") or user, text or geometry.wkt, t, t, list(terms))


    @route("/api/annotation.json")
    def annotations(self, request: Request, user: int) -> Response:
        if request.method == "POST":
            data = self.body(request)
            if isinstance(data, list):
                return self.add_annotations(user, data)
            with self.db.transaction() as cur:
                aid = self.make_annotation(cur, user, data)
            obj = self.annotation_json(self.db.read("SELECT * FROM annotation WHERE id = ?", (aid,))[0])
            filename = self.image_name(obj["image"])
            return self.command("Add", "userAnnotation", "annotation", obj,
                                f"{grouped(user)} added an annotation in {filename} on layer Local Admin (admin)")
        return self.listing(request)

    def listing(self, request: Request) -> Response:
        args = request.args
        self.paging(request)  # refuses repeated parameters

        def flag(name: str) -> bool:
            return str(args.get(name, "")).lower() == "true"

        def ids(name: str) -> list[int]:
            return [int(v) for v in str(args.get(name, "")).replace("_", ",").split(",") if v]

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
            raise CytomineError(400, "There is no project or image or slice filter. We cannot check acl!")
        terms = ids("term") + ids("terms")
        if terms:
            where.append(f"a.id IN (SELECT annotation FROM annotation_term WHERE term IN ({','.join('?' * len(terms))}))")
            params += terms
        if flag("noTerm"):
            where.append("a.id NOT IN (SELECT annotation FROM annotation_term)")
        if flag("multipleTerm"):
            where.append("a.id IN (SELECT annotation FROM annotation_term GROUP BY annotation HAVING COUNT(DISTINCT term) > 1)")
        shows = {name[4:].lower() for name in ("showBasic", "showMeta", "showWKT", "showGIS", "showTerm", "showImage",
                                               "showUser", "showSlice", "showTrack") if flag(name)}
        groups = shows | ({"basic", "meta", "term"} if (not shows or flag("showDefault")) else set())
        groups = {g for g in groups if not flag("hide" + g.capitalize()) and not (g == "wkt" and flag("hideWKT"))}
        query = f"FROM annotation a WHERE {' AND '.join(where)}"
        narrowing = ("track", "tracks", "group", "groups", "annotation", "suggestedTerm", "baseAnnotation",
                     "bboxAnnotation")
        if args.get("bbox") or flag("reviewed") or any(args.get(name) for name in narrowing):
            # Filters on geometry, reviews and what hangs off annotations: every row is read and tested.
            rows = self.narrow(self.db.read(f"SELECT a.* {query} ORDER BY a.id DESC", params), args, ids)
            if args.get("bbox"):
                text = args["bbox"]
                area = shapely.wkt.loads(text) if text[:1].isalpha() else box(*[float(v) for v in text.split(",")])
                inside = shapely.intersects(shapely.from_wkt([r[5] for r in rows]), area).tolist() if rows else []
                rows = [r for r, keep in zip(rows, inside) if keep]
            if flag("reviewed"):
                return self.envelope(request, self.reviewed_rows(rows))  # type: ignore[attr-defined]
            return self.envelope(request, rows, render_page=lambda page: self.annotation_docs(page, groups, listing=True))
        # The page alone is read (LIMIT/OFFSET) and rendered; the total comes from a count.
        size, offset = self.paging(request)
        (total,) = self.db.read(f"SELECT COUNT(*) {query}", params)[0]
        page = self.db.read(f"SELECT a.* {query} ORDER BY a.id DESC LIMIT ? OFFSET ?", [*params, size, offset])
        return self.counted_envelope(request, total, self.annotation_docs(page, groups, listing=True))


    @route("/api/annotation/<int:id>.json", "/api/userannotation/<int:id>.json")
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
            return self.command("Edit", "userAnnotation", "annotation", obj,
                                f"{grouped(user)} edited annotation from {self.image_name(obj['image'])} on layer Local Admin (admin)")
        if request.method == "DELETE":
            rows = self.db.read("SELECT * FROM annotation WHERE id = ?", (id,))
            if not rows:
                raise CytomineError(404, f"class be.cytomine.domain.ontology.UserAnnotation {id} not found", wrapper=True)
            obj = self.annotation_json(rows[0])
            with self.db.transaction() as cur:
                cur.execute("DELETE FROM annotation_term WHERE annotation = ?", (id,))
                cur.execute("DELETE FROM annotation WHERE id = ?", (id,))
                self.delete_attached(cur, "be.cytomine.domain.ontology.UserAnnotation", id)
            return self.command("Delete", "userAnnotation", "annotation", obj,
                                f"{grouped(user)} deleted an annotation in {self.image_name(obj['image'])} on layer Local Admin (admin)")
        raise CytomineError(405, "Method not allowed")


    #: Whether the clearBefore route exists (Cytomine's Spring core has it; set False to serve as
    #: an older core without it).
    clear_before = True

    @route("/api/annotation/<int:id>/term/<int:term>/clearBefore.json")
    def annotation_term_clear_before(self, request: Request, user: int, id: int, term: int) -> Response:
        """AnnotationTermController.addWithDeletingOldTerm: this user's terms of the annotation
        (everyone's with ``clearForAll=true``) make way for the one given, in one request."""
        if not self.clear_before:  # an older core: Spring's answer for a path it does not map
            raise CytomineError(404, f"No static resource api/annotation/{id}/term/{term}/clearBefore.json.")
        if request.method != "POST":
            raise CytomineError(405, "Method not allowed")
        everyone = request.args.get("clearForAll", "false").lower() == "true"
        with self.db.transaction() as cur:
            if not cur.execute("SELECT 1 FROM annotation WHERE id = ?", (id,)).fetchone():
                raise CytomineError(404, f"Annotation {id} not found")
            name = cur.execute("SELECT name FROM term WHERE id = ?", (term,)).fetchone()
            if name is None:
                raise CytomineError(404, f"Term {term} not found")
            if everyone:
                cur.execute("DELETE FROM annotation_term WHERE annotation = ?", (id,))
            else:
                cur.execute("DELETE FROM annotation_term WHERE annotation = ? AND user = ?", (id, user))
            (atid,) = next_ids(cur)
            t = now_ms()
            cur.execute("INSERT INTO annotation_term VALUES (?, ?, ?, ?, ?)", (atid, id, term, user, t))
        obj = {"class": "be.cytomine.domain.ontology.AnnotationTerm", "id": atid, "created": t, "updated": t,
               "userannotation": id, "term": term, "user": user}
        return self.command("Add", "annotationTerm", "annotationterm", obj, f"Term {name[0]} is added to annotation {id}")

    @route("/api/annotation/<int:id>/term/<int:term>.json")
    def annotation_term(self, request: Request, user: int, id: int, term: int) -> Response:
        if request.method == "GET":  # RestAnnotationTermController.show: the term as put by anyone
            rows = self.db.read("SELECT id, created, user FROM annotation_term WHERE annotation = ? AND term = ? ORDER BY id", (id, term))
            if not rows:
                raise CytomineError(404, f"AnnotationTerm not found with filters : {{annotation={id}, term={term}}}")
            return reply({"class": "be.cytomine.domain.ontology.AnnotationTerm", "id": rows[0][0], "created": rows[0][1],
                          "updated": rows[0][1], "deleted": None, "userannotation": id, "term": term, "user": rows[0][2]})
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
            return self.command("Add", "annotationTerm", "annotationterm", obj, f"Term {name[0]} is added to annotation {annotation}")
        if request.method == "DELETE":
            rows = self.db.read("SELECT id, created FROM annotation_term WHERE annotation = ? AND term = ?", (id, term))
            if not rows:
                raise CytomineError(404, f"Annotation-term {id}-{term} not found", wrapper=True)
            with self.db.transaction() as cur:
                cur.execute("DELETE FROM annotation_term WHERE annotation = ? AND term = ?", (id, term))
            obj = {"class": "be.cytomine.domain.ontology.AnnotationTerm", "id": rows[0][0], "created": rows[0][1],
                   "updated": rows[0][1], "userannotation": id, "term": term, "user": user}
            return self.command("Delete", "annotationTerm", "annotationterm", obj, f"Term {term} deleted from annotation {id}")
        raise CytomineError(405, "Method not allowed")


    # -- tracks: named, coloured groups of annotations across the slices of one image ----------------
    def track_json(self, doc: dict[str, Any]) -> dict[str, Any]:
        return {"class": "be.cytomine.domain.ontology.Track", "id": doc["id"], "created": doc["created"],
                "updated": doc["updated"], "name": doc["name"], "color": doc["color"], "image": doc["image"],
                "project": doc["project"]}

    def check_track(self, cur: Any, data: dict[str, Any], id: int | None = None) -> dict[str, Any]:
        irow = cur.execute("SELECT id, project FROM image WHERE id = ?", (data.get("image"),)).fetchone()
        if irow is None:
            raise CytomineError(404, f"ImageInstance {data.get('image')} not found", wrapper=True)
        if not data.get("name"):
            raise CytomineError(400, "Track name is required", wrapper=True)
        if any(d["id"] != id for d in self.docs("track", cur, name=data["name"], image=irow[0])):
            raise CytomineError(409, f"Track {data['name']} already exist in image {irow[0]}", wrapper=True)
        return {"name": data["name"], "color": data.get("color"), "image": irow[0], "project": irow[1]}

    @route("/api/track.json", methods=("POST",))
    def tracks(self, request: Request, user: int) -> Response:
        data = self.body_dict(request)
        with self.db.transaction() as cur:
            tid = self.doc_add(cur, "track", self.check_track(cur, data))
            obj = self.track_json(self.doc("track", tid, cur) or {})
        return self.command("Add", "track", "track", obj, f"Track {tid} ({obj['name']}) added in image {obj['image']}")

    @route("/api/imageinstance/<int:image>/track.json", "/api/project/<int:project>/track.json", methods=("GET",))
    def tracks_of(self, request: Request, user: int, image: int | None = None, project: int | None = None) -> Response:
        found = self.docs("track", image=image) if image is not None else self.docs("track", project=project)
        return self.envelope(request, [self.track_json(d) for d in found])

    @route("/api/track/<int:id>.json", methods=("GET", "PUT", "DELETE"))
    def track(self, request: Request, user: int, id: int) -> Response:
        doc = self.doc("track", id)
        if doc is None:
            raise not_found("Track", id)
        if request.method == "GET":
            return reply(self.track_json(doc))
        if request.method == "PUT":
            data = {**doc, **self.body_dict(request)}
            with self.db.transaction() as cur:
                self.doc_update(cur, id, self.check_track(cur, data, id))
                obj = self.track_json(self.doc("track", id, cur) or {})
            return self.command("Edit", "track", "track", obj, f"Track {id} ({obj['name']}) edited")
        with self.db.transaction() as cur:
            self.doc_delete(cur, [id])
        return self.command("Delete", "track", "track", self.track_json(doc), f"Track {id} ({doc['name']}) deleted")
