"""Cytomine -> Cytomine (annotations with geometries and terms, onto a chosen image) and
Clio -> Clio (body annotations between datasets and versions); interrupted and resumed."""

from __future__ import annotations

from collections import Counter

import pytest
from shapely.affinity import translate
from shapely.geometry import Point, box

from neuromodels import (Annotation, AnnotationCollection, ImageInstanceCollection, NeuronCollection, NotSupported,
                         PartialSaveError, Project, ServerUnavailable, Term, TermCollection)
from neuromodels.testing import Fault
from neuromodels.transfer import Transform

from .conftest import connect, restart


def seed_cytomine(server, n: int = 12) -> tuple[int, dict[str, int]]:
    """n annotations on the first image: boxes and buffered points, with Tumor/Stroma and one
    source-only term, Necrosis."""
    with connect(server):
        image = ImageInstanceCollection().fetch()[0].id
        ontology = Project.fetch(server.project).ontology
        terms = {t.name: t.id for t in TermCollection(ontology=ontology).fetch()}
        terms["Necrosis"] = Term(name="Necrosis", ontology=ontology, color="#795548").save().id
        names = ["Tumor", "Stroma", "Necrosis"]
        AnnotationCollection([
            Annotation(geometry=box(100 * k, 50, 100 * k + 40, 90) if k % 2 else Point(100 * k, 500).buffer(20),
                       image=image, project=server.project, terms=[terms[names[k % 3]]])
            for k in range(n)]).save()
    return image, terms


def target_image(server) -> int:
    with connect(server):
        return ImageInstanceCollection().fetch()[-1].id


def term_names(server, image: int) -> Counter:
    with connect(server):
        names = {t.id: t.name for t in TermCollection().fetch()}
        return Counter(names[t] for a in AnnotationCollection(image=image).fetch() for t in a.terms or [])


@pytest.mark.parametrize("pair", [("cytomine", "cytomine")], indirect=True)
def test_cytomine_copy_terms_by_name_then_created_on_request(pair):
    source, target = pair
    image, _ = seed_cytomine(source)
    onto = target_image(target)
    src, dst = connect(source), connect(target)
    annotations = AnnotationCollection(image=image).fetch(connection=src)
    plan = annotations.copy_to(dst, connection=src, image=onto, dry_run=True)
    assert len(plan.copy_report.created) == 12 and plan.copy_report.missing_terms == ["Necrosis"]
    assert term_names(target, onto) == Counter()
    copies = annotations.copy_to(dst, connection=src, image=onto, transform=Transform(offset=(5, 7, 0)))
    assert copies.copy_report.missing_terms == ["Necrosis"] and len(copies.copy_report.created) == 12
    assert term_names(target, onto) == Counter({"Tumor": 4, "Stroma": 4})
    with connect(target):
        there = {a.id: a for a in AnnotationCollection(image=onto).fetch()}
    for original, copy in zip(annotations, copies):
        assert there[copy.id].geometry.equals(translate(original.geometry, 5, 7))
    # Asked again with create_terms: nothing new but the term, now on the copies that lacked it.
    again = AnnotationCollection(image=image).fetch(connection=src).copy_to(
        dst, connection=src, image=onto, transform=Transform(offset=(5, 7, 0)), create_terms=True)
    assert again.copy_report.created == [] and again.copy_report.created_terms == ["Necrosis"]
    assert len(again.copy_report.completed) == 4
    assert [c.id for c in again] == [c.id for c in copies]
    assert term_names(target, onto) == Counter({"Tumor": 4, "Stroma": 4, "Necrosis": 4})


@pytest.mark.parametrize("pair", [("cytomine", "cytomine")], indirect=True)
def test_cytomine_copies_remember_their_origin_and_transform(pair):
    """Each copy carries its origin and transform as properties: a copy made again with another
    transform is refused before any write, or with update=True made again in place of the old."""
    from neuromodels.transfer import TransformChanged

    source, target = pair
    image, _ = seed_cytomine(source, n=4)
    onto = target_image(target)
    src, dst = connect(source), connect(target)
    annotations = AnnotationCollection(image=image).fetch(connection=src)
    first = annotations.copy_to(dst, connection=src, image=onto, transform=Transform(offset=(5, 0, 0)))
    assert len(first.copy_report.created) == 4
    with connect(target):
        props = Annotation.fetch(first[0].id).properties
    assert props["copied_from"] == first[0].copied_from.marker and props["copy_transform"].startswith("scale 1,1,1")

    writes = [target.sent(method, "/api/") for method in ("POST", "PUT", "DELETE")]
    with pytest.raises(TransformChanged, match=r"4 annotation\(s\) on the target were copied with transform"):
        annotations.copy_to(dst, connection=src, image=onto, transform=Transform(offset=(9, 0, 0)))
    assert [target.sent(method, "/api/") for method in ("POST", "PUT", "DELETE")] == writes  # reads only
    with connect(target):
        assert len(AnnotationCollection(image=onto).fetch()) == 4  # nothing written
    again = annotations.copy_to(dst, connection=src, image=onto, transform=Transform(offset=(9, 0, 0)), update=True)
    assert len(again.copy_report.recopied) == 4 and again.copy_report.created == []
    with connect(target):
        there = AnnotationCollection(image=onto).fetch()
    assert len(there) == 4  # made again, not beside the old ones
    assert sorted(a.geometry.bounds[0] for a in there) == sorted(a.geometry.bounds[0] + 9 for a in annotations)
    third = annotations.copy_to(dst, connection=src, image=onto, transform=Transform(offset=(9, 0, 0)))
    assert len(third.copy_report.existing) == 4


@pytest.mark.parametrize("pair", [("cytomine", "cytomine")], indirect=True)
def test_cytomine_target_stopped_mid_batch_then_resumed(pair):
    source, target = pair
    image, _ = seed_cytomine(source, n=30)
    onto = target_image(target)
    src = connect(source)
    annotations = AnnotationCollection(image=image).fetch(connection=src)
    # Two chunks of 15 in parallel: the second to arrive stops the server before it is stored.
    target.add_fault(Fault("stop", method="POST", path=r"^/api/annotation\.json$", when="before", skip=1))
    with pytest.raises((PartialSaveError, ServerUnavailable)):
        annotations.copy_to(connect(target, max_workers=2), connection=src, image=onto, create_terms=True)
    restart(target)
    landed = sum(term_names(target, onto).values())
    assert 0 < landed < 30
    copies = annotations.copy_to(connect(target), connection=src, image=onto, create_terms=True)
    assert len(copies.copy_report.existing) == landed and len(copies.copy_report.created) == 30 - landed
    with connect(target):
        keys = Counter(a.geometry.wkt for a in AnnotationCollection(image=onto).fetch())
    assert len(keys) == 30 and set(keys.values()) == {1}  # nothing twice, nothing missing
    assert term_names(target, onto) == Counter({"Tumor": 10, "Stroma": 10, "Necrosis": 10})


@pytest.mark.parametrize("pair", [("cytomine", "cytomine")], indirect=True)
def test_cytomine_needs_a_target_image_and_cannot_take_neurons(pair):
    source, target = pair
    image, _ = seed_cytomine(source, n=2)
    src, dst = connect(source), connect(target)
    annotations = AnnotationCollection(image=image).fetch(connection=src)
    with pytest.raises(ValueError, match="image="):
        annotations.copy_to(dst, connection=src)
    with pytest.raises(NotSupported, match="Cytomine holds image annotations"):
        NeuronCollection().copy_to(dst, connection=src)


@pytest.mark.parametrize("pair", [("clio", "clio")], indirect=True)
def test_clio_between_datasets_and_versions(pair):
    source, target = pair
    src = connect(source)
    picked = AnnotationCollection(hemilineage=["07B", "12A"]).fetch(connection=src)
    for a in picked[:3]:
        a.properties["soma_position"] = [100, 200, 300]
    AnnotationCollection(picked[:3]).save(connection=src)
    picked = AnnotationCollection(hemilineage=["07B", "12A"]).fetch(connection=src)
    # Another server's head version, coordinates doubled.
    head = connect(target, version="v0.3.33")
    plan = picked.copy_to(head, connection=src, transform=Transform(scale=2), dry_run=True)
    assert len(plan.copy_report.created) == 20 and plan.copy_report.dry_run
    with head:
        assert not any("copied_from" in a.properties for a in AnnotationCollection(ids=[a.id for a in picked]).fetch())
    copies = picked.copy_to(head, connection=src, transform=Transform(scale=2))
    assert len(copies.copy_report.created) == len(picked) == 20
    with head:
        there = {a.id: a.properties for a in AnnotationCollection(ids=[a.id for a in picked]).fetch()}
    for a in picked:
        props = there[a.id]
        assert props["copied_from"] == f"copied from {source.url}/VNC#annotation/{a.id}"
        assert props["type"] == a.properties["type"]
        if "soma_position" in a.properties:
            assert props["soma_position"] == [200, 400, 600]
    again = picked.copy_to(head, connection=src, transform=Transform(scale=2))
    assert again.copy_report.created == [] and len(again.copy_report.existing) == 20
    # Between versions of one server.
    same = picked.copy_to(connect(source, version="v0.3.33"), connection=src)
    assert len(same.copy_report.created) == 20
    with connect(source):  # the default version is untouched
        assert all("copied_from" not in a.properties for a in AnnotationCollection().fetch())


@pytest.mark.parametrize("pair", [("clio", "clio")], indirect=True)
@pytest.mark.parametrize("when", ["before", "after"])
def test_clio_target_stopped_then_resumed(pair, when):
    """Stopped before the write (nothing stored) or after it (stored, reply lost)."""
    source, target = pair
    src = connect(source)
    every = AnnotationCollection().fetch(connection=src)
    target.add_fault(Fault("stop", method="POST", path=r"/neurons$", when=when))
    try:
        every.copy_to(connect(target, version="v0.3.33"), connection=src)
    except (PartialSaveError, ServerUnavailable):
        pass  # (a retried write may reach the server before its stop completes: then no error)
    restart(target)
    head = connect(target, version="v0.3.33")
    copies = every.copy_to(head, connection=src)
    report = copies.copy_report
    assert len(report.created) + len(report.existing) == 40
    if when == "after":
        assert report.created == []  # stored before the stop, recognised now
    with head:  # (Clio's /all reads the default version only: ask by id)
        marked = [a for a in AnnotationCollection(ids=[a.id for a in every]).fetch() if "copied_from" in a.properties]
    assert sorted(a.id for a in marked) == sorted(a.id for a in every)
