"""Clio as API.md says: targets key a new annotation, ``version`` holds on every read, a rejected
batch keeps the server's reason, dataset names stay in their path segment, numpy values are
plain JSON, and tables have the properties as columns (bundled store)."""

import json

import numpy as np
import pandas as pd
import pytest

from neuromodels import Annotation, AnnotationCollection, BadRequest, NotFound, NotSupported, PartialSaveError
from neuromodels.backends.clio import resources

from .conftest import connect_to

BASE = 881000
HEAD = "v0.3.33"  # not the dataset's default version (v0.3.32)


def stored(server, body, uuid=None):
    """The record of ``body`` as the store keeps it, by DVID node (uuid -> data)."""
    rows = server._app.db.read("SELECT uuid, data FROM record WHERE bodyid = ?", (body,))
    return {u: json.loads(d) for u, d in rows if uuid is None or u == uuid}


def test_targets_alone_key_a_new_annotation(clio, bundled):
    a = Annotation(targets=[BASE + 1], properties={"type": "IN99X001"}).save()
    try:
        assert a.id == BASE + 1 and a.targets == [BASE + 1] and a.project == clio.project
        assert Annotation.fetch(BASE + 1).properties["type"] == "IN99X001"
        batch = AnnotationCollection(Annotation(targets=[np.int64(BASE + 2 + i)], properties={"type": f"B{i}"})
                                     for i in range(3)).save()
        assert [m.id for m in batch] == [BASE + 2, BASE + 3, BASE + 4]
        assert all(type(m.id) is int for m in batch)
        assert [stored(bundled, BASE + 2 + i, "74ea83")["74ea83"]["type"] for i in range(3)] == ["B0", "B1", "B2"]
    finally:
        AnnotationCollection(ids=[BASE + i for i in range(1, 5)]).fetch().delete()


def test_version_holds_on_unfiltered_listings(clio_target, bundled):
    body = BASE + 10
    with connect_to(clio_target, version=HEAD):
        Annotation(id=body, properties={"status": "head only"}).save()
    assert set(stored(bundled, body)) == {"9c1d77"}
    with connect_to(clio_target):
        default = AnnotationCollection().fetch()
        assert body not in [a.id for a in default]
        head = AnnotationCollection(version=HEAD).fetch()
        assert body in [a.id for a in head] and len(head) == len(default) + 1
        assert AnnotationCollection(version=HEAD).count() == len(head)
        assert AnnotationCollection().count() == len(default)
        assert [a.id for a in AnnotationCollection(status="head only", version=HEAD).fetch()] == [body]
        assert AnnotationCollection(status="head only").count() == 0
        with pytest.raises(BadRequest, match="Bad version v9 used for dataset"):
            AnnotationCollection(version="v9").fetch()
        with pytest.raises(BadRequest, match="Bad version v9"):
            AnnotationCollection(version="v9").count()
        with pytest.raises(BadRequest, match="Bad version v9"):
            AnnotationCollection(ids=[10000], version="v9").fetch()
    with connect_to(clio_target, version=HEAD):  # the connection's version, too
        assert body in [a.id for a in AnnotationCollection().fetch()]
    with connect_to(clio_target, version="v9"):
        with pytest.raises(BadRequest, match="Bad version v9"):
            AnnotationCollection().fetch()


@pytest.mark.parametrize("batch_size", [50, 2])
def test_batch_refused_for_its_version_keeps_the_servers_reason(clio, bundled, monkeypatch, batch_size):
    monkeypatch.setattr(resources.ClioAnnotation, "batch_size", batch_size)
    records = [Annotation(id=BASE + 20 + i, properties={"x": i}) for i in range(5)]
    with pytest.raises(PartialSaveError) as info:
        AnnotationCollection(records, version="v9").save()
    e = info.value
    assert e.saved == [] and e.unknown == []
    assert [m.id for m, _ in e.failed] == [r.id for r in records]
    for _, error in e.failed:
        assert isinstance(error, BadRequest) and error.status == 400
        assert error.server_message == "Bad version v9 used for dataset VNC"
    assert all(not stored(bundled, r.id) for r in records)
    with connect_to({"url": bundled.url, "token": bundled.token, "project": bundled.project}, version="v9"):
        with pytest.raises(BadRequest, match="Bad version v9"):
            Annotation(id=BASE + 29, properties={"x": 1}).save()
    assert not stored(bundled, BASE + 29)


@pytest.mark.parametrize("name", ["VNC#x", "VNC?version=v0.3.31", "VNC?x=1", "VNC x", "VNC%2Fall", "VNC%2F..", "VNC;x",
                                  "VNC&x=1"])
def test_dataset_names_stay_in_their_path_segment(clio_target, bundled, name):
    before = len(bundled.log)
    with connect_to(clio_target, project=name, retries=0):
        with pytest.raises(NotFound, match="not found"):
            AnnotationCollection().fetch()
        with pytest.raises(NotFound):
            Annotation.fetch(10000)
        with pytest.raises(NotFound):
            Annotation(id=BASE + 30, properties={"x": 1}).save()
    # (/v2/datasets: the look at what the server holds that names the datasets in the error)
    paths = [p for _, p in list(bundled.log)[before:] if p != "/v2/datasets"]
    prefix = "/v2/json-annotations/" + name + "/neurons/"
    # (no filter given: the fields are not read; the listing itself finds no such dataset)
    assert paths == [prefix + "all", prefix + "id-number/10000", prefix[:-1]]
    assert not stored(bundled, BASE + 30)


@pytest.mark.parametrize("name", ["..", ".", "VNC/../x", "a\x00b"])
def test_dataset_names_that_cannot_be_one_segment_are_refused_unsent(clio_target, bundled, name):
    before = bundled.requests
    with pytest.raises(ValueError):  # when the connection is made (the rule of Clio's dataset names)
        with connect_to(clio_target, project=name):
            Annotation.fetch(10000)
    assert bundled.requests == before


def test_numpy_values_go_out_as_plain_json(clio, bundled):
    body = BASE + 40
    props = {"n": np.int64(3), "f": np.float32(1.5), "ok": np.bool_(True), "pos": np.array([1, 2, 3]),
             "nested": {"k": [np.float64(0.25)]}, "name": np.str_("x")}
    a = Annotation(id=body, properties=props).save()
    try:
        kept = stored(bundled, body, "74ea83")["74ea83"]
        assert {k: kept[k] for k in props} == {"n": 3, "f": 1.5, "ok": True, "pos": [1, 2, 3],
                                               "nested": {"k": [0.25]}, "name": "x"}
        back = Annotation.fetch(body)
        assert back.properties["pos"] == [1, 2, 3] and type(back.properties["n"]) is int
        back.properties["n"] = np.int64(4)
        back.update()
        assert stored(bundled, body, "74ea83")["74ea83"]["n"] == 4
    finally:
        a.delete()
    for bad in ({"x": np.float32("nan")}, {"x": [1.0, float("inf")]}, {"x": {"y": np.float64("nan")}}, {"x": object()}):
        with pytest.raises((ValueError, TypeError)):
            Annotation(id=body, properties=bad).save()
    assert not stored(bundled, body)


def test_table_has_the_properties_as_columns(clio):
    some = AnnotationCollection(hemilineage="07B").fetch()
    df = some.to_dataframe()
    assert df.columns[0] == "id" and list(df["id"]) == [a.id for a in some]
    assert {"hemilineage", "soma_side", "class", "type", "status"} <= set(df.columns)
    assert (df["hemilineage"] == "07B").all()
    assert not set(df.columns) & {"name", "geometry", "image", "terms", "targets", "meta", "project", "extra",
                                  "properties"}
    mixed = AnnotationCollection([Annotation(id=1, properties={"a": 1, "id": "own"}),
                                  Annotation(id=2, properties={"b": "x"})]).to_dataframe()
    assert list(mixed.columns) == ["id", "a", "properties.id", "b"]
    assert pd.isna(mixed.loc[1, "a"]) and mixed.loc[0, "a"] == 1 and mixed.loc[0, "properties.id"] == "own"


def test_replies_are_read_through_the_converter(clio):
    from neuromodels.backends.clio import converter as cv

    a = cv.converter.structure({"bodyid": 5, "type": "X"}, Annotation)
    assert (a.id, a.targets, a.properties) == (5, [5], {"type": "X"})
    for bad in ({"type": "X"}, {"bodyid": "5"}, {"bodyid": True}, [5]):
        with pytest.raises((KeyError, TypeError)):
            cv.converter.structure(bad, Annotation)
    assert cv.write_record(np.int64(7), {"v": np.float64(2.0)}) == {"bodyid": 7, "v": 2.0}


def test_an_annotation_read_at_a_version_is_written_back_there(clio, bundled):
    body = BASE + 50
    with connect_to({"url": bundled.url, "token": bundled.token, "project": bundled.project}, version=HEAD):
        Annotation(id=body, properties={"status": "v1"}).save()
    a = Annotation.fetch(body, version=HEAD)  # the connection in use has no version
    assert a.properties["status"] == "v1" and a.extra["version"] == HEAD
    a.properties["status"] = "v2"
    a.update()
    assert set(stored(bundled, body)) == {"9c1d77"} and stored(bundled, body)["9c1d77"]["status"] == "v2"
    listed = AnnotationCollection(ids=[body], version=HEAD).fetch()[0]
    with pytest.raises(NotFound):
        Annotation.fetch(body)  # not at the default version
    with pytest.raises(NotSupported, match="default version.*v0.3.33"):
        listed.delete()
    assert set(stored(bundled, body)) == {"9c1d77"}
    # One collection, two versions: each annotation goes to its own, in one request per version.
    other = Annotation(id=BASE + 51, properties={"status": "default"})
    listed.properties["status"] = "v3"
    before = len(bundled.log)
    AnnotationCollection([listed, other]).save()
    assert sum(1 for m, p in list(bundled.log)[before:] if m == "POST" and p.endswith("/neurons")) == 2
    assert stored(bundled, body)["9c1d77"]["status"] == "v3" and set(stored(bundled, BASE + 51)) == {"74ea83"}
    plain = Annotation.fetch(BASE + 51)
    assert "version" not in plain.extra
    plain.delete()
    assert not stored(bundled, BASE + 51)


def test_count_with_ids_counts_those_bodies(clio):
    assert AnnotationCollection(ids=[10000, 10003, 123456789]).count() == 2  # the third does not exist
    assert AnnotationCollection(ids=[10000, 10003], hemilineage="07B").count() == 1
    assert AnnotationCollection(ids=[10000, 10003], version=HEAD).count() == 2
    assert AnnotationCollection(ids=np.array([10000]), soma_side="LHS", version=HEAD).count() == 1
