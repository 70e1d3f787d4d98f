"""The annotation listing's filters on what hangs off annotations (tracks, groups, a base annotation)."""

from __future__ import annotations

from typing import Any

import shapely
import shapely.wkt
from shapely.geometry import box

from .base import CytomineBase, not_found


class AnnotationNarrowing(CytomineBase):
    def narrow(self, rows: list[Any], args: Any, ids: Any) -> list[Any]:
        """The filters on what hangs off annotations: tracks, groups (links), one annotation, the
        distance to a base annotation, the box of another annotation. No retrieval runs here, so
        no annotation has a suggested term."""
        def keep(found: set[int]) -> None:
            nonlocal rows
            rows = [r for r in rows if r[0] in found]

        tracks = ids("track") + ids("tracks")
        if tracks:
            keep({d["annotationIdent"] for t in tracks for d in self.docs("annotationtrack", track=t)})
        groups = ids("group") + ids("groups")
        if groups:
            keep({d["annotationIdent"] for g in groups for d in self.docs("annotationlink", group=g)})
        if ids("annotation"):
            keep(set(ids("annotation")))
        if args.get("suggestedTerm"):
            keep(set())

        def geometry_of(text: str) -> Any:
            if text.strip().isdigit():
                found = self.db.read("SELECT location FROM annotation WHERE id = ?", (int(text),))
                if not found:
                    raise not_found("UserAnnotation", text)
                return shapely.wkt.loads(found[0][0])
            return shapely.wkt.loads(text)

        if args.get("baseAnnotation"):
            base = geometry_of(str(args["baseAnnotation"]))
            limit = float(args.get("maxDistanceBaseAnnotation") or 0)
            rows = [r for r in rows if shapely.wkt.loads(r[5]).distance(base) <= limit]
        if args.get("bboxAnnotation"):
            area = box(*geometry_of(str(args["bboxAnnotation"])).bounds)
            rows = [r for r in rows if shapely.wkt.loads(r[5]).intersects(area)]
        return rows
