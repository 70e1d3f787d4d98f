"""Copying Cytomine annotations (terms matched by name) and Clio body annotations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

if TYPE_CHECKING:
    from ..models import Annotation

from .core import CLIO_MARKER, Origin, _Job, _apply, _mark, _origin, _save, _transform_geometry


# -- Cytomine annotations -------------------------------------------------------------------------------------------
def _geometry_key(geometry: Any) -> str:
    import shapely

    return str(shapely.to_wkt(shapely.normalize(geometry), rounding_precision=2, trim=True))


def _copy_cytomine_annotations(models: list["Annotation"], job: _Job) -> list["Annotation"]:
    from ..models import Annotation, AnnotationCollection, ImageInstance, Project, Term, TermCollection

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

    # What is there: the target images' annotations, by geometry.
    there: dict[tuple[int, str], list[Annotation]] = {}
    for i in wanted_images:
        for held in AnnotationCollection(image=i).fetch(connection=job.target):
            if held.geometry is not None:
                there.setdefault((i, _geometry_key(held.geometry)), []).append(held)
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
        hits = there.get((img, _geometry_key(geometry)))
        if hits:
            found = hits.pop(0)
            report.existing.append(origin)
            if not set(terms) <= set(found.terms or []):
                found.terms = sorted(set(found.terms or []) | set(terms))
                fixes.append(found)
                fixed.append(origin)
            copies[k] = _mark(found, origin)
        else:
            new_copies.append((k, Annotation(geometry=geometry, image=img, project=project, terms=terms)))
    if job.dry_run:
        for k, copy in new_copies:
            copies[k] = _mark(copy, origins[k])
            report.created.append(origins[k])
        return [c for c in copies if c is not None]
    if fixes:
        _save(job, AnnotationCollection, fixes, fixed)
        report.completed.extend(fixed)
    stored = _save(job, AnnotationCollection, [c for _, c in new_copies], [origins[k] for k, _ in new_copies])
    for (k, copy), ok in zip(new_copies, stored):
        if ok:
            copies[k] = _mark(copy, origins[k])
            report.created.append(origins[k])
    return [c for c in copies if c is not None]


# -- Clio body annotations -----------------------------------------------------------------------------------------
def _is_point(key: str, value: Any) -> bool:
    return (("position" in key or "location" in key) and isinstance(value, (list, tuple)) and len(value) == 3
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value))


def _clio_properties(job: _Job, a: "Annotation", origin: Origin) -> dict[str, Any]:
    props = dict(a.properties or {})
    props.pop("bodyid", None)
    if job.transform is not None:
        for key, value in list(props.items()):
            if _is_point(key, value):
                moved = _apply(job.transform, np.array([value], dtype=float))[0]
                props[key] = [int(round(v)) if all(isinstance(x, int) for x in value) else float(v)
                              for v, x in zip(moved, value)]
    props[CLIO_MARKER] = origin.marker
    return props


def _copy_clio_annotations(models: list["Annotation"], job: _Job) -> list["Annotation"]:
    from ..core.errors import NotFound
    from ..models import Annotation, AnnotationCollection

    report = job.report
    origins = [_origin(job, "annotation", a) for a in models]
    bodies = list(dict.fromkeys(int(a.id) for a in models))
    there: dict[int, Annotation] = {}
    ids = bodies
    while ids:
        try:
            there = {t.id: t for t in AnnotationCollection(ids=ids).fetch(connection=job.target)}
            break
        except NotFound as e:
            gone = set(e.missing or [])
            if not gone:
                raise
            ids = [i for i in ids if i not in gone]
    copies: list[Annotation] = []
    writes: list[Annotation] = []
    written: list[Origin] = []
    for a, origin in zip(models, origins):
        props = _clio_properties(job, a, origin)
        found = there.get(int(a.id))
        if found is not None and all(found.properties is not None and found.properties.get(k) == v for k, v in props.items()):
            report.existing.append(origin)
            copies.append(_mark(found, origin))
            continue
        copy = Annotation(id=int(a.id), properties=props)
        if found is not None:
            # Writes merge field by field: start from what the target holds.
            copy = found
            copy.properties = {**(found.properties or {}), **props}
        writes.append(copy)
        written.append(origin)
        copies.append(_mark(copy, origin))
    if job.dry_run:
        report.created.extend(written)
        return copies
    stored = _save(job, AnnotationCollection, writes, written)
    report.created.extend(o for o, ok in zip(written, stored) if ok)
    return copies
