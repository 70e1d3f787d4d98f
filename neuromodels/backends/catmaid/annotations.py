"""CATMAID annotations: names on neurons, with their meta-annotations."""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

from ...connection import Connection
from ...core.errors import NotFound, ProtocolError
from ...models import Annotation
from ...core.backend import Filter, as_list, check_id, check_name, required
from ...core.capabilities import Create, Delete, Fetch, List, Settle, Settlement, Update
from ...core.routes import Route
from ..settling import settle_each
from . import annotation_queries, api, replies
from .api import pid
from .converter import form_list

from .common import INT, _ids
from .neurons import CatmaidNeuron


# -- Annotation -----------------------------------------------------------------------------------------------
class CatmaidAnnotation(Fetch[Annotation], List[Annotation], Create[Annotation], Update[Annotation], Delete[Annotation],
                        Settle[Annotation]):
    #: The requests behind each operation (shown in the docs' capability tables).
    requests = {
        "create": Route("POST", "/{project}/annotations/add", note="on its targets, with its meta-annotations"),
        "add to neurons": Route("POST", "/{project}/annotations/add"),
        "remove from neurons": Route("POST", "/{project}/annotations/remove"),
        "remove unused": Route("POST", "/{project}/annotations/{id}/remove"),
        "read meta-annotations of": Route("POST", "/{project}/annotations/query", reads=True),
        "list those of neurons": Route("POST", "/{project}/annotations/forskeletons", reads=True, note="neuron="),
    }
    endpoints = {
        "fetch, list": "GET /{project}/annotations/ + POST annotations/query-targets, annotations/query",
        "update": "add to neurons, remove from neurons (below)",
        "delete": "remove from neurons, or remove unused (below)",
    }
    writable = frozenset({"targets", "meta"})
    creatable = frozenset({"name", "targets", "meta", "project"})
    not_supported = {
        "copy": "CATMAID annotations travel with the neurons they annotate: copy the neurons",
        "field name": "CATMAID cannot rename an annotation; create one with the new name",
        "crop": "CATMAID annotations are names on neurons, without a geometry to crop",
        "tag": "a CATMAID annotation is itself a label; meta-annotate it with meta=[...]",
        "attach files to": "CATMAID keeps no attached files",
    }
    filters = {
        "neuron": Filter("neuron", INT, "skeleton id(s) the annotations are on", many=True),
        "name": Filter("name", (str,), "exact annotation name", many=True),
        **annotation_queries.FILTERS,
    }

    def rows(self, conn: Connection | None, models: Sequence[Annotation]) -> list[dict[str, Any]]:
        """``id``, ``name``, ``targets``, ``meta``; with ``user=``, also ``uses``, ``last_used``
        and ``user_id`` (CATMAID annotations have no geometry, image or terms)."""
        used = any("uses" in m.extra for m in models)
        result = []
        for m in models:
            row: dict[str, Any] = {"id": m.id, "name": m.name, "targets": m.targets, "meta": m.meta}
            if used:
                row.update({k: m.extra.get(k) for k in ("uses", "last_used", "user_id")})
            result.append(row)
        return result

    def _targets(self, conn: Connection, aid: int) -> list[int]:
        form = [("types[0]", "neuron")] + form_list("annotated_with", [aid])
        entities = CatmaidNeuron()._entities(conn, form, None)
        return sorted(int(s) for e in entities for s in e["skeleton_ids"])

    def _meta(self, conn: Connection, aid: int) -> list[str]:
        meta: list[str] = self.send(conn, "read meta-annotations of", data=form_list("object_ids", [aid]),
                                    parse=api.shaped(lambda body: replies.meta_of(body, aid)))
        return meta

    def _complete(self, conn: Connection, annotations: list[Annotation]) -> None:
        """Load targets and meta-annotations for each, in parallel."""
        values = conn.transport.map_values(lambda a: (self._targets(conn, a.id), self._meta(conn, a.id)), annotations)
        for a, (targets, meta) in zip(annotations, values):
            a.targets, a.meta = targets, meta

    def fetch_one(self, conn: Connection, id: Any, **options: Any) -> Annotation:
        names = {v: k for k, v in api.annotation_index(conn).items()}
        if id not in names:
            raise NotFound(f"no annotation {id} in project {pid(conn)}", missing=[id])
        annotation = Annotation(id=id, name=names[id], project=pid(conn))
        self._complete(conn, [annotation])
        return annotation

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, **options: Any) -> Iterator[Sequence[Annotation]]:
        project = pid(conn)
        wanted = None if modifiers.get("name") is None else set(as_list(modifiers["name"]))
        annotation_queries.check(modifiers)
        if modifiers.get("user") is not None:
            yield annotation_queries.used_by(conn, modifiers)
            return
        if modifiers.get("annotated_with") is not None:
            found = annotation_queries.annotated_with(conn, modifiers)
            yield [a for a in found if wanted is None or a.name in wanted]
            return
        if "neuron" in modifiers:
            skids = _ids(modifiers["neuron"])
            names, on = self.send(conn, "list those of neurons", data=form_list("skeleton_ids", skids),
                                  parse=api.shaped(replies.annotations_of))
            targets: dict[int, list[int]] = {}
            for skid, ids in on.items():
                for i in ids:
                    targets.setdefault(i, []).append(skid)
            result = [
                Annotation(id=aid, name=names.get(str(aid)), project=project, targets=sorted(t))
                for aid, t in sorted(targets.items())
                if wanted is None or names.get(str(aid)) in wanted
            ]
            yield result
            return
        index = api.annotation_index(conn)
        result = [Annotation(id=i, name=n, project=project) for n, i in sorted(index.items(), key=lambda p: p[1])
                  if wanted is None or n in wanted]
        if wanted is not None:
            self._complete(conn, result)  # a named few: worth loading what they annotate
        yield result

    def validate(self, model: Annotation, operation: str) -> None:
        check_name(model.name, "an annotation name")
        if operation == "create" and not model.targets:
            raise ValueError("a CATMAID annotation is created on neurons: give targets=[skeleton ids]")
        for t in model.targets or []:
            check_id(t, int, "target skeleton id")
        for m in model.meta or []:
            check_name(m, "a meta-annotation name")

    def create(self, conn: Connection, model: Annotation, modifiers: Mapping[str, Any]) -> None:
        form = form_list("skeleton_ids", required(model.targets, "targets")) + form_list("annotations", [model.name])
        form += form_list("meta_annotations", model.meta or [])
        def created(body: Any) -> int:
            added = replies.added_annotations(body)
            if model.name not in added:
                raise ProtocolError(f"annotations/add did not return the annotation {model.name!r}")
            return added[model.name]

        # Read inside the request: a reply without the id is an unknown outcome, settled by name.
        model.id = self.send(conn, "create", data=form, parse=api.shaped(created))
        model.project = pid(conn)

    def settle(self, conn: Connection, models: Sequence[Annotation]) -> list[Settlement]:
        """``annotations/add`` names the annotation, and adding a name already on a neuron adds
        nothing: a create whose reply was lost is stored when the server has the name on every
        target (and every meta-annotation on it), else it is sent again, which can never make a
        second annotation of that name."""
        index = api.annotation_index(conn)
        return settle_each(conn, models, lambda model: self._settle_one(conn, model, index))

    def _settle_one(self, conn: Connection, model: Annotation, index: Mapping[str, int]) -> Settlement:
        aid = index.get(required(model.name, "its name"))
        if aid is None:
            return Settlement.absent()
        if not set(model.targets or []) <= set(self._targets(conn, aid)):
            return Settlement.absent()
        if model.meta and not set(model.meta) <= set(self._meta(conn, aid)):
            return Settlement.absent()
        model.project = pid(conn)
        return Settlement.stored(aid)

    def update(self, conn: Connection, model: Annotation, changes: Mapping[str, Any], modifiers: Mapping[str, Any]) -> None:
        if "targets" in changes:
            before, after = set(model.original("targets") or []), set(model.targets or [])
            if after - before:
                self.send(conn, "add to neurons", parse=api.shaped(None),
                          data=form_list("skeleton_ids", sorted(after - before)) + form_list("annotations", [model.name]))
            if before - after:
                nids = api.require_neuron_ids(conn, sorted(before - after))
                self.send(conn, "remove from neurons", parse=api.shaped(None),
                          data=form_list("annotation_ids", [model.id]) + form_list("entity_ids", sorted(nids.values())))
        if "meta" in changes:
            api.sync_annotations(conn, model.original("meta") or [], model.meta or [],
                                 target=("entity_ids", model.id), entity=model.id)

    def delete(self, conn: Connection, model: Annotation) -> None:
        targets = model.targets if model.targets is not None else self._targets(conn, model.id)
        if targets:
            nids = api.require_neuron_ids(conn, targets)
            self.send(conn, "remove from neurons", parse=api.shaped(None),
                      data=form_list("annotation_ids", [model.id]) + form_list("entity_ids", sorted(nids.values())))
        else:
            self.send(conn, "remove unused", {"id": model.id}, parse=api.shaped(None))
