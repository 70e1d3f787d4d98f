"""Cytomine scenarios that create what they read and clean up: the bundled server by default,
a real Cytomine when NEUROMODELS_TEST_CYTOMINE_* are set."""

import uuid

import pytest
from shapely.geometry import Point, Polygon, box

from .conftest import connect_to
from neuromodels import (
    Annotation,
    AnnotationCollection,
    AuthenticationError,
    ImageInstance,
    ImageInstanceCollection,
    Neuron,
    NotFound,
    NotSupported,
    Ontology,
    Project,
    ProjectCollection,
    Term,
    TermCollection,
)
from neuromodels.backends.cytomine import domains, from_cytomine, resources, to_cytomine


def unique(prefix):
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def test_ping_and_signature_variants(cytomine_target):
    for variant in ("4.x", "auto"):
        with connect_to(cytomine_target, signature=variant) as conn:
            assert conn.ping()["alive"] is True
            assert ProjectCollection().fetch()


def test_older_signature_variant_accepted_by_bundled_server(cytomine_target, bundled):
    with connect_to(cytomine_target, signature="3.x"):
        assert Project.fetch(cytomine_target["project"]).name


def test_wrong_key_is_authentication_error(cytomine_target):
    with connect_to(cytomine_target, private_key="00000000-0000-0000-0000-000000000000", retries=0):
        with pytest.raises(AuthenticationError) as info:
            ProjectCollection().fetch()
    assert info.value.status == 401


def test_project_lifecycle(cytomine):
    base = Project.fetch(cytomine.project)
    p = Project(name=unique("contract project"), ontology=base.ontology).save()
    try:
        assert p.id and p.ontology == base.ontology
        fetched = Project.fetch(p.id)
        assert fetched.name == p.name and "numberOfImages" in fetched.extra
        fetched.update(name=p.name + " renamed")
        again = Project.fetch(p.id)
        assert again.name == p.name + " renamed" and again.ontology == base.ontology  # not reset by the PUT
        assert p.id in [x.id for x in ProjectCollection(ontology=base.ontology).fetch()]
    finally:
        Project().delete(id=p.id)
    with pytest.raises(NotFound, match="not found"):
        Project.fetch(p.id)


def test_images(cytomine, image):
    images = ImageInstanceCollection().fetch()
    assert image.id in [i.id for i in images]
    assert ImageInstanceCollection().fetch_with_filter("project", cytomine.project)[0].project == cytomine.project
    fetched = ImageInstance.fetch(image.id)
    assert (fetched.width, fetched.height) == (image.width, image.height) and fetched.depth >= 1
    assert ImageInstanceCollection().count() == len(images)
    with pytest.raises(ValueError, match="upload"):  # made from an abstract image, not from nothing
        ImageInstance(name="x").save()


def test_image_thumbnail_and_download(cytomine, image, tmp_path):
    png = image.thumbnail(tmp_path / "thumb.png", max_size=64)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and (tmp_path / "thumb.png").read_bytes() == png
    path = image.download(tmp_path / "image.bin")
    assert (tmp_path / "image.bin").stat().st_size > 0 and path.endswith("image.bin")


def test_annotation_lifecycle(cytomine, image):
    terms = TermCollection(project=cytomine.project).fetch()
    a = Annotation(geometry=box(1000, 1000, 2000, 2000), image=image.id, terms=[terms[0].id]).save()
    try:
        fetched = Annotation.fetch(a.id)
        assert fetched.geometry.equals(box(1000, 1000, 2000, 2000))
        assert fetched.terms == [terms[0].id] and fetched.project == cytomine.project
        fetched.geometry = box(1000, 1000, 2200, 2200)
        fetched.terms = [terms[1].id]
        fetched.update()
        again = Annotation.fetch(a.id)
        assert again.geometry.equals(box(1000, 1000, 2200, 2200)) and again.terms == [terms[1].id]
        listed = AnnotationCollection(image=image.id, term=terms[1].id).fetch()
        assert a.id in [x.id for x in listed]
        assert all(x.geometry is not None for x in listed)  # geometry asked for by default
    finally:
        a.delete()
    with pytest.raises(NotFound):
        Annotation.fetch(a.id)


def test_bad_annotations_refused_before_request(cytomine, image):
    bowtie = Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])
    for bad, error in [(Annotation(geometry=bowtie, image=image.id), ValueError),
                       (Annotation(geometry=Polygon(), image=image.id), ValueError),
                       (Annotation(geometry=Point(1, 1), image="12"), TypeError),
                       (Annotation(geometry=Point(float("nan"), 1), image=image.id), ValueError)]:
        with pytest.raises(error):
            bad.save()


def test_batch_save_assigns_every_id(cytomine, image):
    batch = AnnotationCollection(Annotation(geometry=Point(100 + i, 100), image=image.id) for i in range(230))
    batch.save()
    try:
        ids = [a.id for a in batch]
        assert all(ids) and len(set(ids)) == 230
        fetched = Annotation.fetch(batch[117].id)
        assert fetched.geometry.equals(Point(217, 100))  # ids are matched to the right inputs
    finally:
        batch.delete()


@pytest.mark.parametrize("n", [0, 1, 4, 5, 6, 11])
def test_paging_complete(cytomine, image, monkeypatch, n):
    monkeypatch.setattr(domains.CommandList, "paging", domains.OffsetPaging(size=5, start="offset", length="max"))
    other = Project(name=unique("paging"), ontology=Project.fetch(cytomine.project).ontology).save()
    try:
        # A fresh image set would need uploads: page over annotations of one image instead.
        batch = AnnotationCollection(Annotation(geometry=Point(5000 + i, 7000), image=image.id) for i in range(n)).save()
        bbox = (4999, 6999, 5000 + n, 7001)
        fetched = AnnotationCollection(image=image.id, bbox=bbox).fetch()
        assert sorted(a.id for a in fetched) == sorted(a.id for a in batch)
        assert AnnotationCollection(image=image.id, bbox=bbox).count() == n
        batch.delete()
    finally:
        other.delete()


def test_terms_and_ontologies(cytomine):
    ontology = Ontology(name=unique("ontology")).save()
    try:
        term = Term(name="Necrosis", ontology=ontology.id, color="#9E9E9E").save()
        assert Term.fetch(term.id).color == "#9E9E9E"
        assert [t.name for t in TermCollection(ontology=ontology.id).fetch()] == ["Necrosis"]
        term.update(color="#000000")
        assert Term.fetch(term.id).color == "#000000"
        term.delete()
    finally:
        ontology.delete()


def test_neurons_not_supported(cytomine):
    with pytest.raises(NotSupported, match="neuron reconstructions"):
        Neuron.fetch(1)


def test_coordinate_helpers():
    g = box(10, 0, 20, 5)
    flipped = to_cytomine(g, image_height=100)
    assert flipped.bounds == (10, 95, 20, 100)
    assert from_cytomine(flipped, 100).equals(g)


def test_wkt_geometry():
    from shapely.geometry import Point

    assert Annotation(geometry="POINT (1 1)").geometry.equals(Point(1, 1))
    with pytest.raises(ValueError, match="not valid WKT"):
        Annotation(geometry="POINT (1")
