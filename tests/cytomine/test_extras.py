"""Cytomine properties, tags, attached files, members and the current user, against the bundled
server (or a live one with NEUROMODELS_TEST_CYTOMINE_*); NotSupported elsewhere."""

import uuid

import numpy as np
import pytest
from shapely.geometry import Point, box

from neuromodels import (
    Annotation,
    AnnotationCollection,
    Connection,
    ImageInstance,
    ImageInstanceCollection,
    NotSupported,
    Project,
    TermCollection,
)
from neuromodels.backends.cytomine import resources
from neuromodels.backends.extras import AttachedFile, User
from neuromodels.testing import serve


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def annotation(cytomine, image):
    a = Annotation(geometry=box(100, 100, 200, 200), image=image.id).save()
    yield a
    try:
        a.delete()
    except Exception:
        pass


# -- properties ------------------------------------------------------------------------------------------
def test_properties_are_created_with_the_annotation_and_read_by_fetch(cytomine, image):
    a = Annotation(geometry=box(10, 10, 30, 30), image=image.id, properties={"stain": "H&E", "cells": 12}).save()
    try:
        assert a.properties == {"stain": "H&E", "cells": "12"}  # what the server keeps: text
        assert a.changes() == {}
        assert Annotation.fetch(a.id).properties == {"stain": "H&E", "cells": "12"}
    finally:
        a.delete()


def test_property_changes_are_tracked_and_sent(cytomine, annotation, bundled):
    a = Annotation.fetch(annotation.id)
    assert a.properties == {}
    a.properties["stain"] = "H&E"
    a.properties["grade"] = "2"
    a.update()
    assert Annotation.fetch(a.id).properties == {"stain": "H&E", "grade": "2"}
    before = len(bundled.log)
    a.update()  # nothing changed: no request
    assert len(bundled.log) == before
    a.properties["stain"] = "PAS"
    del a.properties["grade"]
    a.update()
    assert Annotation.fetch(a.id).properties == {"stain": "PAS"}
    assert bundled.sent("DELETE", r"/property/\d+\.json$") >= 1 and bundled.sent("PUT", r"/property/\d+\.json$") >= 1
    a.update(properties={"stain": None})  # None deletes the key
    assert Annotation.fetch(a.id).properties == {}


def test_listing_leaves_properties_unloaded_unless_asked(cytomine, image):
    a = Annotation(geometry=box(40, 40, 60, 60), image=image.id, properties={"origin": "listing"}).save()
    try:
        plain = AnnotationCollection(image=image.id).fetch()
        assert next(x for x in plain if x.id == a.id).properties is None
        loaded = AnnotationCollection(image=image.id).fetch(properties=True)
        assert next(x for x in loaded if x.id == a.id).properties == {"origin": "listing"}
        # Setting properties on a listed (unloaded) annotation adds keys and deletes none.
        listed = next(x for x in plain if x.id == a.id)
        listed.properties = {"checked": "yes"}
        listed.update()
        assert Annotation.fetch(a.id).properties == {"origin": "listing", "checked": "yes"}
    finally:
        a.delete()


def test_bad_property_values_refused_before_any_request(cytomine, annotation, bundled):
    before = len(bundled.log)
    for bad, error in [({"": "x"}, ValueError), ({"k": "  "}, ValueError), ({"k": [1, 2]}, TypeError),
                       ("k=v", TypeError)]:
        annotation.properties = bad
        with pytest.raises(error):
            annotation.update()
    assert len(bundled.log) == before


def test_numpy_values_reach_the_server_as_plain_numbers(cytomine, image):
    terms = TermCollection(project=cytomine.project).fetch()
    a = Annotation(geometry=Point(np.float64(5.5), np.float64(6.5)), image=np.int64(image.id),
                   terms=[np.int64(terms[0].id)], properties={"area": np.float64(2.5), "n": np.int64(3)}).save()
    try:
        fetched = Annotation.fetch(a.id)
        assert fetched.terms == [terms[0].id] and fetched.properties == {"area": "2.5", "n": "3"}
        batch = AnnotationCollection([Annotation(geometry=Point(np.float64(7), 8), image=np.int64(image.id))]).save()
        assert batch[0].id
        batch.delete()
    finally:
        a.delete()


# -- tags -------------------------------------------------------------------------------------------------
def test_tags_on_annotations_and_images(cytomine, annotation, image):
    name = unique("tumour")
    assert sorted(annotation.tag(name, "reviewed").tags()) == sorted([name, "reviewed"])
    annotation.tag(name)  # tagging twice is harmless
    assert annotation.tags().count(name) == 1
    annotation.untag(name)
    assert name not in annotation.tags() and "reviewed" in annotation.tags()
    img = ImageInstance.fetch(image.id)
    img.tag(name.upper())  # Cytomine's tag names are unique regardless of case: the same tag
    assert name.upper() in [t.upper() for t in img.tags()]
    img.untag(name)
    assert name.upper() not in [t.upper() for t in img.tags()]


# -- attached files ---------------------------------------------------------------------------------------
def test_attach_list_and_download(cytomine, annotation, tmp_path):
    source = tmp_path / "notes.csv"
    source.write_bytes(b"cell,area\n1,2.5\n" + bytes(range(256)))
    attached = annotation.attach(source)
    assert isinstance(attached, AttachedFile) and attached.filename == "notes.csv" and attached.id
    renamed = annotation.attach(source, filename="copy.csv")
    listed = annotation.attachments()
    assert [f.filename for f in listed] == ["notes.csv", "copy.csv"]
    target = listed[0].download(tmp_path / "back.csv")
    assert open(target, "rb").read() == source.read_bytes()
    assert renamed.download(str(tmp_path / "again.csv")).endswith("again.csv")
    project = Project.fetch(cytomine.project)
    assert project.attach(source).id in [f.id for f in project.attachments()]


def test_attach_needs_a_saved_model(cytomine, image, tmp_path):
    (tmp_path / "x.txt").write_text("x")
    with pytest.raises(TypeError, match="save it first"):
        Annotation(geometry=Point(1, 1), image=image.id).attach(tmp_path / "x.txt")


# -- users ----------------------------------------------------------------------------------------------
def test_current_user_and_members_never_keep_keys(cytomine, cytomine_target):
    me = Project.current_user()
    assert isinstance(me, User) and me.id and me.username
    text = repr(me) + repr(me.extra)
    assert cytomine_target["private_key"] not in text and cytomine_target["public_key"] not in text
    members = Project.fetch(cytomine.project).members()
    assert me.id in [u.id for u in members]
    assert all(isinstance(u, User) for u in Project.fetch(cytomine.project).members(managers=True))
    with pytest.raises(TypeError):
        Project.fetch(cytomine.project).members(managers="yes")


# -- tables ---------------------------------------------------------------------------------------------
def test_dataframe_has_cytomine_columns_and_reads_term_names_once(cytomine, image, bundled):
    terms = TermCollection(project=cytomine.project).fetch()
    batch = AnnotationCollection([Annotation(geometry=box(300 + i, 300, 310 + i, 320), image=image.id,
                                             terms=[terms[i % 2].id]) for i in range(4)]).save()
    try:
        listed = AnnotationCollection(image=image.id, bbox=(299, 299, 320, 321)).fetch()
        before = bundled.sent("GET", r"/term\.json$")
        df = listed.to_dataframe()
        listed.to_dataframe()
        assert bundled.sent("GET", r"/term\.json$") - before == 1  # once per ontology, then cached
        assert {"id", "image", "project", "user", "username", "created", "area", "perimeter", "terms",
                "term_names"} <= set(df.columns)
        assert not {"name", "targets", "meta", "extra"} & set(df.columns)
        assert all(df[c].notna().any() for c in df.columns)  # no column always empty
        assert str(df["created"].dtype).startswith("datetime64") and df["area"].dtype == float
        names = {t.id: t.name for t in terms}
        assert [row.term_names for row in df.itertuples()] == [[names[t] for t in ts] for ts in df["terms"]]
        assert set(df["username"]) == {Project.current_user().username}
    finally:
        batch.delete()


# -- terms in few requests --------------------------------------------------------------------------------
def test_changing_the_term_uses_clear_before_when_the_server_has_it(cytomine, image, monkeypatch):
    terms = TermCollection(project=cytomine.project).fetch()
    batch = AnnotationCollection([Annotation(geometry=box(500 + i, 500, 510 + i, 520), image=image.id,
                                             terms=[terms[0].id]) for i in range(5)]).save()
    sent = []
    real = cytomine.transport.request

    def server_with_clear_before(method, path, **kw):
        sent.append((method, path))
        if path.endswith("/clearBefore.json"):  # what the Spring core answers: the new annotation-term
            aid, term = path.split("/")[3], path.split("/")[5]
            real("DELETE", f"/api/annotation/{aid}/term/{terms[0].id}.json")
            return real("POST", f"/api/annotation/{aid}/term/{term}.json", json=kw["json"])
        return real(method, path, **kw)

    monkeypatch.setattr(cytomine.transport, "request", server_with_clear_before)
    monkeypatch.setattr(resources.CytomineState.of(cytomine), "clear_before", None)
    for a in batch:
        a.terms = [terms[1].id]
    batch.save()
    assert [m for m, p in sent] == ["POST"] * 5 and all(p.endswith("clearBefore.json") for _, p in sent)
    monkeypatch.undo()
    assert [Annotation.fetch(a.id).terms for a in batch] == [[terms[1].id]] * 5
    batch.delete()


def test_without_clear_before_the_term_change_falls_back_once(cytomine, image, bundled):
    terms = TermCollection(project=cytomine.project).fetch()
    batch = AnnotationCollection([Annotation(geometry=box(600 + i, 600, 610 + i, 620), image=image.id,
                                             terms=[terms[0].id]) for i in range(6)]).save()
    bundled._app.clear_before = False  # serve as an older core, without the route
    try:
        resources.CytomineState.of(cytomine).clear_before = None
        tried = bundled.sent("POST", r"clearBefore\.json$")
        for a in batch:
            a.terms = [terms[1].id]
        with Connection(bundled.url, backend="cytomine", project=bundled.project, public_key=bundled.public_key,
                        private_key=bundled.private_key, max_workers=6, progress=False):
            batch.save()  # six in parallel: still one probe
        assert bundled.sent("POST", r"clearBefore\.json$") - tried == 1  # learnt once per connection
        assert [Annotation.fetch(a.id).terms for a in batch] == [[terms[1].id]] * 6
    finally:
        bundled._app.clear_before = True
        resources.CytomineState.of(cytomine).clear_before = None
        batch.delete()


# -- other backends ----------------------------------------------------------------------------------------
def test_other_backends_refuse_with_a_reason(tmp_path):
    (tmp_path / "x.txt").write_text("x")
    with serve("catmaid") as server:
        with Connection(server.url, backend="catmaid", project=server.project, token=server.token, progress=False):
            project = Project.fetch(server.project)
            # CATMAID lists its users (project.members()), but cannot say whose a token is.
            for call in (Project.current_user, lambda: project.members(managers=True), project.tags,
                         lambda: project.tag("x"), project.attachments, lambda: project.attach(tmp_path / "x.txt")):
                with pytest.raises(NotSupported, match="catmaid cannot"):
                    call()


def test_properties_that_fail_after_the_create_are_resent_without_a_second_annotation(cytomine, image, bundled):
    from neuromodels import PartialSaveError
    from neuromodels.testing import Fault

    bundled.add_fault(Fault("status", status=400, method="POST", path=r"/property\.json$"))
    batch = AnnotationCollection([Annotation(geometry=Point(801, 801), image=image.id, properties={"k": "v"})])
    with pytest.raises(PartialSaveError) as info:
        batch.save()
    assert len(info.value.failed) == 1 and batch[0].id is not None
    batch.save()  # only the properties are sent again
    assert Annotation.fetch(batch[0].id).properties == {"k": "v"}
    rows = bundled._app.db.read("SELECT id FROM annotation WHERE location = 'POINT (801 801)'")
    assert len(rows) == 1
    batch.delete()


def test_collections_tag_every_member(cytomine, image):
    name = unique("batch")
    batch = AnnotationCollection([Annotation(geometry=Point(900 + i, 900), image=image.id) for i in range(5)]).save()
    try:
        assert batch.tag(name) is batch
        assert all(name in Annotation.fetch(a.id).tags() for a in batch)
    finally:
        batch.delete()
    images = ImageInstanceCollection().fetch().tag(name)
    assert all(name in i.tags() for i in images)
    for i in images:
        i.untag(name)


def test_project_and_image_tables_have_no_always_empty_column(cytomine):
    from neuromodels import ProjectCollection

    for df in (ProjectCollection().fetch().to_dataframe(), ImageInstanceCollection().fetch().to_dataframe()):
        assert all(df[c].notna().any() for c in df.columns) and "created" in df.columns
    assert "description" not in ProjectCollection().fetch().to_dataframe().columns


def test_several_new_properties_go_in_one_request(cytomine, annotation, bundled):
    before = bundled.sent("POST", r"/property\.json$")
    annotation.properties = {"a": "1", "b": "2", "c": "3"}
    annotation.update()
    assert bundled.sent("POST", r"/property\.json$") - before == 1
    assert Annotation.fetch(annotation.id).properties == {"a": "1", "b": "2", "c": "3"}


def test_relabelling_200_fetched_annotations_is_one_request_each(bundled):
    """collection.save() updates fetched members; a term replaced is one clearBefore each."""
    with Connection(bundled.url, backend="cytomine", project=bundled.project, public_key=bundled.public_key,
                    private_key=bundled.private_key, progress=False):
        image = ImageInstanceCollection(project=bundled.project).fetch()[0]
        terms = TermCollection(project=bundled.project).fetch()
        made = AnnotationCollection([Annotation(geometry=box(5000 + i, 5000, 5004 + i, 5004), image=image.id,
                                                terms=[terms[0].id]) for i in range(200)]).save()
        mine = {a.id for a in made}
        try:
            fetched = AnnotationCollection([a for a in AnnotationCollection(image=image.id).fetch() if a.id in mine])
            assert len(fetched) == 200
            for a in fetched:
                a.terms = [terms[1].id]
            before = bundled.requests
            fetched.save()
            assert bundled.requests - before <= 201  # was 401: a probe, an add and a delete each
            again = [a for a in AnnotationCollection(image=image.id).fetch() if a.id in mine]
            assert {tuple(a.terms) for a in again} == {(terms[1].id,)}
        finally:
            made.delete()
