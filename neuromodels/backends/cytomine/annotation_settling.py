"""What became of Cytomine annotation writes whose reply was lost (the Settle capability)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence


from ...connection import Connection
from ...core.errors import NeuromodelsError, NotFound
from ...models import Annotation
from ...core.capabilities import Settle, Settlement
from . import converter as cv

from .domains import CLAIMS, CLOCK_SLACK, CytomineState, _SENT, current_user, every


class AnnotationSettling(Settle[Annotation]):
    """Mixed into the Cytomine annotation resource, which provides these:"""

    if TYPE_CHECKING:
        def structure(self, row: Mapping[str, Any]) -> Annotation: ...
        def write_properties(self, conn: Connection, model: Annotation, new_object: bool = False) -> None: ...
        def fetch_one(self, conn: Connection, id: Any, **options: Any) -> Annotation: ...

    # -- settling lost creates --------------------------------------------------------------------------------
    def settle(self, conn: Connection, models: Sequence[Annotation]) -> list[Settlement]:
        """A create whose reply was lost is looked up among its image's annotations. Only an
        annotation the library can show it made counts: created by this connection's user, after
        the create was sent, not claimed by another model, with the same geometry. One such match
        settles it; none means not stored (sent again); several, or no way to tell who this
        connection is or when it sent, leave it unknown."""
        state = CytomineState.of(conn)
        try:
            me = current_user(conn)
        except Exception as e:  # noqa: BLE001 - without knowing who we are, nothing is adopted
            return [Settlement.unknown(f"cannot tell which annotations are this user's ({e})")] * len(models)
        by_image: dict[int | None, list[Annotation]] = {}
        for image in {m.image for m in models if m.id is None}:
            by_image[image] = every(conn, self.requests["list"].path_for(), self.structure,
                                    {"image": image, "user": me.id, "showWKT": True, "showMeta": True})
        result: list[Settlement] = []
        for model in models:
            if model.id is not None:
                result.append(self._settle_update(conn, model))
                continue
            sent = _SENT.get(model)
            if sent is None:
                result.append(Settlement.unknown("when its create was sent is not known (another session?)"))
                continue
            since = sent + state.clock_offset - CLOCK_SLACK  # in the server's clock
            others = CLAIMS.others(conn, "annotation", model)
            hits = []
            for a in by_image[model.image]:
                created = cv.timestamp(a.extra.get("created"))
                if (a.id in others or a.extra.get("user") != me.id
                        or a.geometry is None or created is None or created.timestamp() < since):
                    continue
                if a.geometry.equals(model.geometry):
                    hits.append(a)
            # (taken in one step: two lookups running at once never adopt the same annotation)
            adopted = CLAIMS.adopt(conn, "annotation", model, [a.id for a in hits]) if len(hits) == 1 else None
            if adopted is not None:
                result.append(self._adopt(conn, model, adopted))
            elif not hits:
                result.append(Settlement.absent())
            elif len(hits) == 1:
                result.append(Settlement.unknown(f"annotation {hits[0].id} was taken by another model meanwhile"))
            else:
                result.append(Settlement.unknown(
                    f"{len(hits)} annotations of image {model.image} made by this user since it was sent have its geometry"))
        return result

    def _adopt(self, conn: Connection, model: Annotation, found: int) -> Settlement:
        """A lost create found stored: its properties (sent after the create) are sent now."""
        if not model.properties:
            return Settlement.stored(found)
        model.id = found
        try:
            self.write_properties(conn, model)
        except NeuromodelsError as e:
            return Settlement.unknown(f"stored as annotation {found}, its properties not yet ({e})")
        return Settlement.stored(found)

    def _settle_update(self, conn: Connection, model: Annotation) -> Settlement:
        """An update whose reply was lost: done if the server now holds what the model says."""
        try:
            server = self.fetch_one(conn, model.id, properties=model.properties is not None)
        except NotFound:
            return Settlement.unknown(f"annotation {model.id} is gone from the server")
        same = ((model.geometry is None or (server.geometry is not None and server.geometry.equals(model.geometry)))
                and sorted(server.terms or []) == sorted(model.terms or [])
                and (model.properties is None or server.properties == {
                    k: cv.property_value(v) for k, v in model.properties.items() if v is not None}))
        if same:
            return Settlement.stored(model.id)
        # Geometry and terms are set, not added: sending them again is safe. Properties are
        # written one by one: sent again only when none of the update's property writes landed
        # (the server still holds the properties as last loaded).
        loaded = model.original("properties")
        if model.properties is None or server.properties == {
                k: cv.property_value(v) for k, v in (loaded or {}).items() if v is not None}:
            return Settlement.absent()
        return Settlement.unknown(f"an update of annotation {model.id} arrived in part (its properties differ "
                                  "from both the old and the new values); fetch() it and update again")
