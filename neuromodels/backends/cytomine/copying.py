"""Copies of Cytomine annotations between Cytomine servers: geometries moved by the transform,
terms matched by name, each copy's origin kept as a property."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping


from ...transfer.core import Origin, _Job, _mark, _origin, _save, _store_built, _transform_geometry

#: The annotation properties a copy carries: its origin's marker, and the transform it was made
#: with (absent for none). Written with the copy (the annotation, then its properties).
MARKER_KEY = "copied_from"
TRANSFORM_KEY = "copy_transform"

if TYPE_CHECKING:
    from ...models import Annotation


def _geometry_key(geometry: Any) -> str:
    import shapely

    return str(shapely.to_wkt(shapely.normalize(geometry), rounding_precision=2, trim=True))


def _copy_cytomine_annotations(models: list["Annotation"], job: _Job) -> list["Annotation"]:
    from ...models import Annotation, AnnotationCollection, ImageInstance, Project, Term, TermCollection

    report = job.report
    image = job.options["image"]
    if image is None:
        raise ValueError("say onto which image of the target the annotations go: image=<image id> "
                         "(or a dict source image id -> target image id)")
    images = dict(image) if isinstance(image, Mapping) else None
    origins = [_origin(job, "annotation", a) for a in models]
    for a in models:
        if a.geometry is None:
            a.fetch(connection=job.source)

    def target_image(a: Annotation) -> int:
        if images is None:
            return int(image)
        if a.image not in images:
            raise ValueError(f"image= has no target image for source image {a.image}")
        return int(images[a.image])

    # Terms: source ids -> names -> target ids (by name, in the target project's ontology).
    wanted_images = sorted({target_image(a) for a in models})
    target_projects: dict[int, Any] = {i: ImageInstance(id=i).fetch(connection=job.target).project
                       for i in wanted_images}
    target_terms: dict[Any, dict[str, int]] = {}
    ontologies: dict[Any, Any] = {}
    for project in set(target_projects.values()):
        ontology = Project().fetch(project, connection=job.target).ontology
        ontologies[project] = ontology
        vocabulary = TermCollection(ontology=ontology).fetch(connection=job.target) if ontology is not None else []
        target_terms[project] = {str(term.name): term.id for term in vocabulary}
    source_ids = sorted({t for a in models for t in a.terms or []})
    source_terms: dict[int, Any] = {}
    if source_ids:
        for project in sorted({a.project for a in models if a.project is not None}):
            for term in TermCollection(project=project).fetch(connection=job.source):
                source_terms[term.id] = term
        for term_id in source_ids:
            if term_id not in source_terms:
                source_terms[term_id] = Term(id=term_id).fetch(connection=job.source)
    for project, names in target_terms.items():
        missing = sorted({source_terms[t].name for t in source_ids} - set(names))
        if not missing:
            continue
        if job.options["create_terms"] and ontologies[project] is not None:
            new = [Term(name=n, ontology=ontologies[project],
                        color=next((s.color for s in source_terms.values() if s.name == n), None) or "#9E9E9E")
                   for n in missing]
            if not job.dry_run:
                TermCollection(new).save(connection=job.target)
                names.update({str(term.name): term.id for term in new})
            report.created_terms.extend(n for n in missing if n not in report.created_terms)
        else:
            report.missing_terms.extend(n for n in missing if n not in report.missing_terms)

    # What is there: the target images' annotations, by the marker property of this source's
    # copies, and by geometry for unmarked ones (copies made before markers were written, or
    # whose properties an interruption cut off).
    marked: dict[str, Annotation] = {}
    there: dict[tuple[int, str], list[Annotation]] = {}
    for i in wanted_images:
        for held in AnnotationCollection(image=i).fetch(connection=job.target, properties=True):
            mark = Origin.parse((held.properties or {}).get(MARKER_KEY))
            if mark is not None:
                if mark.source == job.key and mark.kind == "annotation":
                    marked.setdefault(str(mark.id), held)
            elif held.geometry is not None:
                there.setdefault((i, _geometry_key(held.geometry)), []).append(held)
    made = {k: (o, str((marked[str(o.id)].properties or {}).get(TRANSFORM_KEY, "none")))
            for k, o in enumerate(origins) if str(o.id) in marked}
    stale = job.stale("annotation", made)  # made with another transform: refused unless update=True
    copies: list[Annotation | None] = [None] * len(models)
    new_copies: list[tuple[int, Annotation]] = []
    fixes: list[Annotation] = []
    fixed: list[Origin] = []
    for k, (a, origin) in enumerate(zip(models, origins)):
        img = target_image(a)
        project = target_projects[img]
        geometry = _transform_geometry(job.transform, a.geometry)
        terms: list[int] = sorted({target_terms[project][source_terms[t].name] for t in a.terms or []
                                   if source_terms[t].name in target_terms[project]})
        hits = [marked[str(origin.id)]] if k in made and k not in stale else there.get((img, _geometry_key(geometry)))
        if hits:
            found = hits.pop(0)
            report.existing.append(origin)
            if not set(terms) <= set(found.terms or []):
                found.terms = sorted(set(found.terms or []) | set(terms))
                fixes.append(found)
                fixed.append(origin)
            copies[k] = _mark(found, origin)
        else:
            marker = {MARKER_KEY: origin.marker}
            if job.transform_label != "none":
                marker[TRANSFORM_KEY] = job.transform_label
            new_copies.append((k, Annotation(geometry=geometry, image=img, project=project, terms=terms,
                                             properties=marker)))
    if fixes and not job.dry_run:
        _save(job, AnnotationCollection, fixes, fixed)
        report.completed.extend(fixed)
    return _store_built(job, AnnotationCollection, new_copies, origins, copies, stale,
                        [marked[str(origins[k].id)] for k in sorted(stale)])


# -- Clio body annotations -----------------------------------------------------------------------------------------
