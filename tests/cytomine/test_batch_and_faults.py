"""Cytomine batch replies and faults, on the bundled server."""

import time

import pytest
from shapely.geometry import Point

from .conftest import connect_to
from neuromodels import Annotation, AnnotationCollection, BadRequest, PartialSaveError, Project, ServerError
from neuromodels.backends.cytomine import converter, resources
from neuromodels.testing import Fault


def stored(server, image):
    return server._app.db.read("SELECT location FROM annotation WHERE image = ?", (image,))


def test_partial_reply_maps_ids_and_errors(cytomine, image, bundled):
    before = len(stored(bundled, image.id))
    batch = AnnotationCollection([
        Annotation(geometry=Point(10, 10), image=image.id),
        Annotation(geometry=Point(11, 10), image=999999999),       # unknown image: refused
        Annotation(geometry=Point(12, 10), image=image.id),
    ])
    with pytest.raises(PartialSaveError) as info:
        batch.save()
    e = info.value
    assert [a.geometry.x for a in e.saved] == [10, 12] and all(a.id for a in e.saved)
    assert [(m.image, str(err)) for m, err in e.failed] == [(999999999, "ImageInstance with id 999999999")]
    assert Annotation.fetch(batch[2].id).geometry.equals(Point(12, 10))
    assert len(stored(bundled, image.id)) == before + 2


def test_all_failed_reply(cytomine, bundled):
    # Two items: the bulk request (a batch of one goes through the single-item request).
    batch = AnnotationCollection([Annotation(geometry=Point(1, 1), image=999999998),
                                  Annotation(geometry=Point(2, 2), image=999999998)])
    with pytest.raises(PartialSaveError) as info:
        batch.save()
    assert info.value.saved == [] and len(info.value.failed) == 2
    assert all(isinstance(error, BadRequest) for _, error in info.value.failed)


def test_ambiguous_reply_falls_back_without_duplicates(cytomine, image, bundled, monkeypatch):
    real = converter.batch_reply

    def drop_errors(body, status):  # a server whose errors list omits failures
        status, ids, errors, message = real(body, status)
        return status, ids, [], message

    monkeypatch.setattr(converter, "batch_reply", drop_errors)
    before = len(stored(bundled, image.id))
    batch = AnnotationCollection([
        Annotation(geometry=Point(20, 20), image=image.id),
        Annotation(geometry=Point(21, 20), image=999999997),
        Annotation(geometry=Point(22, 20), image=image.id),
    ])
    with pytest.raises(PartialSaveError) as info:
        batch.save()
    assert len(info.value.saved) == 2 and len(info.value.failed) == 1
    assert Annotation.fetch(batch[0].id).geometry.equals(Point(20, 20))
    assert Annotation.fetch(batch[2].id).geometry.equals(Point(22, 20))
    assert len(stored(bundled, image.id)) == before + 2  # the ambiguous chunk was undone and redone once


def test_lost_reply_is_unknown_then_settled(cytomine, image, bundled, monkeypatch):
    monkeypatch.setattr(resources.CytomineAnnotation, "batch_size", 10)
    bundled.add_fault(Fault("reset", method="POST", path=r"^/api/annotation\.json$", when="after", skip=1))
    batch = AnnotationCollection(Annotation(geometry=Point(300 + i, 300), image=image.id) for i in range(30))
    with connect_to({"url": bundled.url, "project": bundled.project, "public_key": bundled.public_key,
                     "private_key": bundled.private_key}, max_workers=1):
        with pytest.raises(PartialSaveError) as info:
            batch.save()
        assert (len(info.value.saved), len(info.value.unknown)) == (20, 10)
        batch.save()  # settles the ten by lookup: no duplicates
    points = [loc for (loc,) in stored(bundled, image.id) if loc.startswith("POINT (3") and loc.endswith(" 300)")]
    assert len(points) == 30 == len({a.id for a in batch})


def test_write_500_not_repeated(cytomine, bundled):
    base = Project.fetch(cytomine.project)
    bundled.add_fault(Fault("status", status=500, method="POST", path=r"^/api/project\.json$", when="after"))
    with pytest.raises(ServerError):
        Project(name="five hundred", ontology=base.ontology).save()
    rows = bundled._app.db.read("SELECT id FROM project WHERE name = 'five hundred'")
    assert len(rows) == 1
    Project().delete(id=rows[0][0])


def test_only_writable_fields_are_put(cytomine, bundled, monkeypatch):
    sent = []
    original = cytomine.transport.request

    def spy(method, path, **kw):
        if method == "PUT":
            sent.append(kw.get("json"))
        return original(method, path, **kw)

    p = Project(name="put check", ontology=Project.fetch(cytomine.project).ontology).save()
    monkeypatch.setattr(cytomine.transport, "request", spy)
    p.update(name="put check 2")
    assert set(sent[0]) <= set(converter.WRITABLE["project"]) and sent[0]["id"] == p.id
    assert "numberOfImages" not in sent[0] and "class" not in sent[0] and "created" not in sent[0]
    monkeypatch.undo()
    p.delete()


# -- writes whose reply cannot be read, and settling them ----------------------------------------------------
def own_connection(server, **options):
    return connect_to({"url": server.url, "project": server.project, "public_key": server.public_key,
                       "private_key": server.private_key}, **options)


def test_a_stored_batch_whose_reply_names_no_ids_is_unknown_then_settled_once(image, bundled, monkeypatch):
    """A 200 that cannot say which id went to which input: unknown, never failed (a failed item
    would be sent again and stored twice)."""
    real = converter.batch_reply
    monkeypatch.setattr(converter, "batch_reply", lambda body, status: (*real(body, status)[:1], [], *real(body, status)[2:]))
    batch = AnnotationCollection(Annotation(geometry=Point(700 + i, 700), image=image.id) for i in range(6))
    with own_connection(bundled, max_workers=2):
        with pytest.raises(PartialSaveError) as info:
            batch.save()
        assert info.value.failed == [] and len(info.value.unknown) == 6
        monkeypatch.undo()
        batch.save()  # settled by lookup: found, not sent again
    rows = [loc for (loc,) in stored(bundled, image.id) if loc.startswith("POINT (7") and loc.endswith(" 700)")]
    assert len(rows) == 6 and len({a.id for a in batch}) == 6
    batch.delete()


def test_a_truncated_create_reply_is_unknown_not_failed(image, bundled):
    bundled.add_fault(Fault("truncate", method="POST", path=r"^/api/annotation\.json$", when="after"))
    batch = AnnotationCollection([Annotation(geometry=Point(720, 720), image=image.id)])
    with own_connection(bundled, retries=0):
        with pytest.raises(PartialSaveError) as info:
            batch.save()
        assert info.value.failed == [] and info.value.unknown == [batch[0]]
        batch.save()
    assert len([1 for (loc,) in stored(bundled, image.id) if loc == "POINT (720 720)"]) == 1
    batch.delete()


def add_user(server):
    """Another account on the bundled server, with its own keys."""
    with own_connection(server) as admin:
        name = f"other{len(server.log)}"
        created = admin.transport.request("POST", "/api/user.json", json={
            "username": name, "firstname": "Other", "lastname": "User", "email": f"{name}@localhost", "password": "x"})
        uid = created["user"]["id"]
        admin.transport.request("POST", f"/api/project/{server.project}/user/{uid}.json")
        keys = admin.transport.request("GET", f"/api/user/{uid}/keys.json")
    return {"url": server.url, "project": server.project, "public_key": keys["publicKey"],
            "private_key": keys["privateKey"]}


def test_settling_never_adopts_another_users_annotation(image, bundled):
    spot = Point(740, 740)
    with connect_to(add_user(bundled)):
        theirs = Annotation(geometry=spot, image=image.id).save()
    # My create never reaches the view (the connection drops first): not stored, reply lost.
    bundled.add_fault(Fault("reset", method="POST", path=r"^/api/annotation\.json$", when="before"))
    mine = AnnotationCollection([Annotation(geometry=spot, image=image.id)])
    with own_connection(bundled, retries=0):
        with pytest.raises(PartialSaveError) as info:
            mine.save()
        assert info.value.unknown == [mine[0]]
        mine.save()  # looked up: theirs does not count, so mine is sent again
        assert mine[0].id != theirs.id
        assert Annotation.fetch(theirs.id).geometry.equals(spot)  # theirs untouched
        mine.delete()
        assert Annotation.fetch(theirs.id).id == theirs.id
    Annotation().delete(id=theirs.id, connection=own_connection(bundled))


def test_settling_never_adopts_an_annotation_made_before_the_create(image, bundled, monkeypatch):
    spot = Point(760, 760)
    with own_connection(bundled, retries=0) as conn:
        older = Annotation(geometry=spot, image=image.id).save()
        resources.current_user(conn)
        resources.CytomineState.of(conn).clock_offset = 0.0  # the bundled server shares this machine's clock
        from neuromodels.backends.cytomine import annotation_settling

        monkeypatch.setattr(annotation_settling, "CLOCK_SLACK", 0.2)
        time.sleep(0.5)
        bundled.add_fault(Fault("reset", method="POST", path=r"^/api/annotation\.json$", when="before"))
        mine = AnnotationCollection([Annotation(geometry=spot, image=image.id)])
        with pytest.raises(PartialSaveError):
            mine.save()
        mine.save()
        assert mine[0].id not in (None, older.id)
        assert len([1 for (loc,) in stored(bundled, image.id) if loc == "POINT (760 760)"]) == 2
        mine.delete()
        older.delete()


def test_settling_never_adopts_an_id_another_model_holds(image, bundled):
    spot = Point(780, 780)
    with own_connection(bundled, retries=0):
        first = AnnotationCollection([Annotation(geometry=spot, image=image.id)]).save()
        bundled.add_fault(Fault("reset", method="POST", path=r"^/api/annotation\.json$", when="before"))
        second = AnnotationCollection([Annotation(geometry=spot, image=image.id)])
        with pytest.raises(PartialSaveError):
            second.save()
        second.save()
        assert second[0].id != first[0].id
        AnnotationCollection([*first, *second]).delete()


def test_an_update_whose_reply_was_lost_is_settled_by_looking_never_created_again(image, bundled):
    with own_connection(bundled, retries=0):
        batch = AnnotationCollection([Annotation(geometry=Point(820 + i, 820), image=image.id) for i in range(3)]).save()
        before = len(stored(bundled, image.id))
        for a in batch:
            a.properties = {"checked": "yes"}
        bundled.add_fault(Fault("reset", method="POST", path=r"/property\.json$", when="after"))
        with pytest.raises(PartialSaveError) as info:
            batch.save()
        assert len(info.value.unknown) == 1
        batch.save()  # the server holds what the model says: settled, nothing created
        assert all(a.state.value == "stored" for a in batch)
        assert [Annotation.fetch(a.id).properties for a in batch] == [{"checked": "yes"}] * 3
        assert len(stored(bundled, image.id)) == before
        batch.delete()


def test_an_update_that_never_arrived_is_looked_up_then_sent_again_once(image, bundled):
    with own_connection(bundled, retries=0):
        batch = AnnotationCollection([Annotation(geometry=Point(840, 840), image=image.id)]).save()
        a = batch[0]
        a.properties = {"checked": "yes"}
        bundled.add_fault(Fault("reset", method="POST", path=r"/property\.json$", when="before"))
        with pytest.raises(PartialSaveError):
            batch.save()
        assert a.changes() == {"properties": {"checked": "yes"}}  # never marked saved
        writes = bundled.sent("POST", r"/property\.json$")
        batch.save()  # looked up: the server holds none of it, so it is sent again
        assert bundled.sent("POST", r"/property\.json$") == writes + 1 and a.changes() == {}
        assert Annotation.fetch(a.id).properties == {"checked": "yes"}
        assert len([1 for (loc,) in stored(bundled, image.id) if loc == "POINT (840 840)"]) == 1
        batch.delete()


def test_a_lost_create_settled_later_still_gets_its_properties(image, bundled):
    bundled.add_fault(Fault("reset", method="POST", path=r"^/api/annotation\.json$", when="after"))
    batch = AnnotationCollection([Annotation(geometry=Point(860, 860), image=image.id, properties={"k": "v"})])
    with own_connection(bundled, retries=0):
        with pytest.raises(PartialSaveError):
            batch.save()
        batch.save()
        assert Annotation.fetch(batch[0].id).properties == {"k": "v"}
        assert len([1 for (loc,) in stored(bundled, image.id) if loc == "POINT (860 860)"]) == 1
        batch.delete()
