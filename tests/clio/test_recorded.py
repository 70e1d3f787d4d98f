"""A Clio scenario replayed from a cassette recorded against the bundled store
(re-record: ``pytest tests/clio/test_recorded.py --record-mode=rewrite``)."""

import pytest

from neuromodels import Annotation, AnnotationCollection

from .conftest import connect_to

pytestmark = pytest.mark.vcr


def test_write_query_delete(clio_target):
    with connect_to(clio_target, max_workers=1, retries=0):
        Annotation(id=990001, properties={"hemilineage": "07B", "status": "draft"}).save()
        assert 990001 in [a.id for a in AnnotationCollection(status="draft").fetch()]
        Annotation().delete(id=990001)


def test_versioned_listing_asks_for_that_version(clio_target):
    with connect_to(clio_target, max_workers=1, retries=0):
        at_head = AnnotationCollection(version="v0.3.33").fetch()
        assert at_head and all(a.targets == [a.id] for a in at_head)
        assert AnnotationCollection(version="v0.3.33").count() == len(at_head)
