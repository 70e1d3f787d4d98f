"""A Cytomine scenario replayed from a cassette recorded against the bundled server
(re-record: ``pytest tests/cytomine/test_recorded.py --record-mode=rewrite``)."""

import pytest
from shapely.geometry import box

from .conftest import connect_to
from neuromodels import Annotation, AnnotationCollection, ImageInstanceCollection, Project

pytestmark = pytest.mark.vcr


def test_annotation_scenario(cytomine_target):
    with connect_to(cytomine_target, max_workers=1, retries=0, signature="4.x"):
        project = Project.fetch(cytomine_target["project"])
        assert project.name == "Demo project"
        image = sorted(ImageInstanceCollection().fetch(), key=lambda i: i.id)[0]
        a = Annotation(geometry=box(10, 10, 50, 50), image=image.id).save()
        assert Annotation.fetch(a.id).geometry.equals(box(10, 10, 50, 50))
        listed = AnnotationCollection(image=image.id).fetch()
        assert a.id in [x.id for x in listed]
        a.delete()
