"""Clio scenarios on bodies they create and remove again."""

import base64
import json
import time

import pytest

from neuromodels import (
    Annotation,
    AnnotationCollection,
    AuthenticationError,
    BadRequest,
    Neuron,
    NotFound,
    NotSupported,
    PartialSaveError,
    Project,
    ProjectCollection,
)
from neuromodels.backends.clio import token_expiry

from .conftest import connect_to

BASE = 880000


def fake_jwt(exp):
    part = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{part({'alg': 'HS256'})}.{part({'email': 'a@b', 'exp': exp})}.c2lnbmF0dXJl"


def test_datasets(clio):
    datasets = ProjectCollection().fetch()
    assert clio.project in [d.id for d in datasets]
    assert Project.fetch(clio.project).extra.get("uuid")


def test_expired_token_refused_before_sending(clio_target, bundled):
    before = bundled.requests
    with connect_to(clio_target, token=fake_jwt(time.time() - 60)):
        with pytest.raises(AuthenticationError, match="expired"):
            Annotation.fetch(10000)
    assert bundled.requests == before
    assert token_expiry(fake_jwt(123)) == 123 and token_expiry("opaque-token") is None


def test_bad_token_is_authentication_error(clio_target):
    with connect_to(clio_target, token="not-a-token", retries=0):
        with pytest.raises(AuthenticationError, match="Could not validate credentials"):
            Annotation.fetch(10000)


def test_annotation_lifecycle(clio):
    body = BASE + 1
    Annotation(id=body, properties={"hemilineage": "07B", "soma_side": "LHS"}).save()
    try:
        a = Annotation.fetch(body)
        assert a.targets == [body] and a.properties["hemilineage"] == "07B"
        a.properties["soma_side"] = "RHS"
        del a.properties["hemilineage"]
        a.update()
        again = Annotation.fetch(body)
        assert again.properties["soma_side"] == "RHS" and "hemilineage" not in again.properties
        assert body in [x.id for x in AnnotationCollection(soma_side="RHS").fetch()]
    finally:
        Annotation().delete(id=body)
    with pytest.raises(NotFound):
        Annotation.fetch(body)


def test_filters_lists_and_ids(clio):
    some = AnnotationCollection(hemilineage="07B").fetch()
    either = AnnotationCollection(hemilineage=["07B", "08A"]).fetch()
    assert some and {a.id for a in some} < {a.id for a in either}
    assert AnnotationCollection(hemilineage=["07B", "08A"]).count() == len(either)
    ids = [a.id for a in either[:3]][::-1]
    assert [a.id for a in AnnotationCollection(ids=ids).fetch()] == ids
    with pytest.raises(NotFound) as info:
        AnnotationCollection(ids=[ids[0], 123456789]).fetch()
    assert info.value.missing == [123456789]
    with pytest.raises(ValueError, match="unknown filter 'colour'"):
        AnnotationCollection(colour="blue").fetch()


def test_bad_input_refused_before_sending(clio):
    for bad in (Annotation(properties={"a": 1}), Annotation(id=0, properties={}), Annotation(id="5", properties={}),
                Annotation(id=5, properties={"bodyid": 6}), Annotation(id=5, properties={"x": float("nan")}),
                Annotation(id=5, properties={"": 1}), Annotation(id=5, targets=[6], properties={})):
        with pytest.raises((ValueError, TypeError)):
            bad.save()


def test_neurons_not_supported(clio):
    with pytest.raises(NotSupported, match="body annotations"):
        Neuron.fetch(1)


def test_version_goes_out_on_writes_and_reads(clio_target, bundled):
    body = BASE + 2
    with connect_to(clio_target, version="v0.3.33"):
        Annotation(id=body, properties={"status": "draft"}).save()
        assert Annotation.fetch(body).properties["status"] == "draft"
        with pytest.raises(NotSupported, match="default version"):
            Annotation().delete(id=body)
    with connect_to(clio_target):  # the dataset's default node never saw it
        with pytest.raises(NotFound):
            Annotation.fetch(body)
        assert AnnotationCollection(ids=[body], version="v0.3.33").fetch()[0].properties["status"] == "draft"
        batch = AnnotationCollection([Annotation(id=BASE + 3, properties={"x": 1})], version="v0.3.33").save()
        assert len(batch) == 1
        with pytest.raises(NotFound):
            Annotation.fetch(BASE + 3)
    rows = bundled._app.db.read("SELECT uuid FROM record WHERE bodyid IN (?, ?)", (body, BASE + 3))
    assert {r[0] for r in rows} == {"9c1d77"}


def test_locked_version_refuses_writes(clio_target):
    with connect_to(clio_target, version="v0.3.31"):
        with pytest.raises(BadRequest, match="locked"):
            Annotation(id=BASE + 4, properties={"x": 1}).save()


def test_non_atomic_batch_reports_each_record(clio, bundled):
    records = [Annotation(id=BASE + 10 + i, properties={"type": f"T{i}"}) for i in range(6)]
    records[3].id = -1
    with pytest.raises(ValueError):  # refused before anything is sent
        AnnotationCollection(records).save()
    records[3].id = BASE + 13
    from neuromodels.testing import Fault

    # A 400 before anything was written: reading back shows nothing landed, so the first record
    # takes the error and the others, never tried, are sent one at a time.
    bundled.add_fault(Fault("status", status=400, method="POST", path=r"/neurons$", times=1))
    batch = AnnotationCollection(records)
    with pytest.raises(PartialSaveError) as info:
        batch.save()
    assert [m.id for m, _ in info.value.failed] == [BASE + 10] and len(info.value.saved) == 5
    batch.save()
    stored = AnnotationCollection(ids=[r.id for r in records]).fetch()
    assert [a.properties["type"] for a in stored] == [f"T{i}" for i in range(6)]
    AnnotationCollection(stored).delete()


def test_batch_stopping_midway_is_settled_by_reading_back(clio, bundled, monkeypatch):
    from neuromodels.backends.clio import resources

    monkeypatch.setattr(resources.ClioAnnotation, "batch_size", 10)
    app = bundled._app
    real_write = app.write
    calls = []

    def stop_after_three(request, user, dataset):  # a DVID that fails on the 4th record of a list
        body = json.loads(request.get_data())
        if isinstance(body, list) and len(body) > 3 and not calls:
            calls.append(1)
            from werkzeug.test import EnvironBuilder
            from werkzeug.wrappers import Request

            first = EnvironBuilder(method="POST", path=request.path, query_string=request.query_string,
                                   json=body[:3], headers=dict(request.headers)).get_environ()
            real_write(Request(first), user, dataset)
            from neuromodels.testing.clio.app import ClioError

            raise ClioError(400, "Error in writing bodyid <built-in function id>, status 400: b'injected'")
        return real_write(request, user, dataset)

    monkeypatch.setattr(app, "write", stop_after_three)
    records = AnnotationCollection(Annotation(id=BASE + 30 + i, properties={"type": f"M{i}"}) for i in range(8))
    with pytest.raises(PartialSaveError) as info:
        records.save()
    e = info.value
    assert [a.id for a in e.saved] == [BASE + 30 + i for i in (0, 1, 2, 4, 5, 6, 7)]
    assert [m.id for m, _ in e.failed] == [BASE + 33] and "injected" in str(e.failed[0][1])
    records.save()  # the failed one alone
    assert {a.properties["type"] for a in AnnotationCollection(ids=[BASE + 30 + i for i in range(8)]).fetch()} == {f"M{i}" for i in range(8)}
