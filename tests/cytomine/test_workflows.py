"""Images in, slices, tracks and groups, review, people, names and raw requests on Cytomine.

Wire shapes come from the Cytomine CE core's controllers and domain classes, except where noted
"inferred": the upload server's reply and the dataset import (read by the Python client, not in
the core), and saved annotation filters (the legacy core's routes, which the client still calls).
"""

import io
import os

import numpy as np
import pytest
from PIL import Image

from neuromodels import (
    AbstractImage, AbstractSlice, Annotation, AnnotationCollection, AnnotationFilter, AnnotationFilterCollection,
    AnnotationGroup, AnnotationLink, AnnotationLinkCollection, AnnotationTrack, AnnotationTrackCollection,
    BadRequest, Description, ImageGroup, ImageInstance, ImageInstanceCollection, NotFound, NotSupported, Project,
    Property, PropertyCollection, SliceInstance, Storage, Tag, TagCollection, TermCollection, TermRelation,
    TermRelationCollection, Track, TrackCollection, UploadedFile, UserAccount,
)


@pytest.fixture
def tumor(cytomine):
    return {t.name: t.id for t in TermCollection(project=cytomine.project).fetch()}


def slide(tmp_path):
    path = tmp_path / "scan.tif"
    path.write_bytes(b"II*\x00" + bytes(60))
    return str(path)


def test_upload_places_image_in_project_with_properties(cytomine, bundled, tmp_path):
    store = Storage(name="scans").save()
    sent = bundled.sent("POST", r"^/upload$")
    done = UploadedFile.upload(slide(tmp_path), storage=store.id, project=cytomine.project, properties={"stain": "HE"})
    assert bundled.sent("POST", r"^/upload$") == sent + 1
    assert (done.name, done.storage, done.projects) == ("scan.tif", store.id, [cytomine.project])
    (instance,) = done.instances
    assert instance.project == cytomine.project and instance.id in [i.id for i in ImageInstanceCollection().fetch()]
    assert {p.key: p.value for p in PropertyCollection(image=instance.id).fetch()} == {"stain": "HE"}
    assert done.images[0].uploaded_file == done.id


def test_upload_refuses_before_sending(cytomine, bundled, tmp_path):
    sent = bundled.sent("POST", r"^/upload$")
    with pytest.raises(FileNotFoundError):
        UploadedFile.upload(str(tmp_path / "missing.tif"), storage=1)
    with pytest.raises(ValueError, match="commas"):
        UploadedFile.upload(slide(tmp_path), storage=1, properties={"a,b": "x"})
    with pytest.raises(TypeError):
        UploadedFile.upload(slide(tmp_path), storage="1")
    assert bundled.sent("POST", r"^/upload$") == sent


def test_image_instance_lifecycle_and_planes(cytomine, tmp_path):
    store = Storage(name="planes").save()
    done = UploadedFile.upload(slide(tmp_path), storage=store.id)
    abstract = done.images[0]
    second = AbstractSlice(image=abstract.id, uploaded_file=done.id, mime="image/tiff", channel=1, z=2, time=0).save()
    instance = abstract.place(cytomine.project, name="stack.tif")  # one slice instance per abstract slice
    assert ImageInstance.fetch(instance.id).name == "stack.tif"
    assert sorted((s.channel, s.z) for s in instance.slices()) == [(0, 0), (1, 2)]
    [s for s in instance.slices() if s.z == 2][0].delete()
    other = SliceInstance(image=instance.id, project=cytomine.project, base_slice=second.id).save()
    assert (other.channel, other.z) == (1, 2)
    assert instance.reference_slice().z == 0
    first = instance.read_region(0, 0, 8, 8)
    plane = instance.read_region(0, 0, 8, 8, z=2, channel=1)
    assert first.shape == plane.shape == (8, 8, 3) and not np.array_equal(first, plane)
    assert np.array_equal(plane, SliceInstance.fetch(other.id).read_region(0, 0, 8, 8))
    with pytest.raises(NotFound, match="no slice at channel 0, z 5"):
        instance.read_region(0, 0, 8, 8, z=5)
    with pytest.raises(ValueError, match="channel"):
        instance.read_region(0, 0, 8, 8, channel=-1)
    instance.name = "renamed.tif"
    instance.update()
    assert ImageInstance.fetch(instance.id).name == "renamed.tif"
    instance.delete()
    with pytest.raises(NotFound):
        ImageInstance.fetch(instance.id)
    with pytest.raises(ValueError, match="upload"):
        ImageInstance(project=cytomine.project).save()


def test_terms_by_name_and_wkt(cytomine, image, tumor):
    a = Annotation(geometry="POLYGON ((100 100, 200 100, 200 200, 100 100))", image=image.id, terms=["Tumor"]).save()
    assert Annotation.fetch(a.id).terms == [tumor["Tumor"]]
    assert a.id in [x.id for x in AnnotationCollection(term="Tumor").fetch()]
    assert a.id not in [x.id for x in AnnotationCollection(terms=["Stroma"]).fetch()]
    with pytest.raises(ValueError, match="did you mean 'Tumor'"):
        AnnotationCollection(term="Tumr").fetch()
    with pytest.raises(ValueError, match="did you mean 'Stroma'"):
        Annotation(geometry="POINT (5 5)", image=image.id, terms=["Strom"]).save()
    a.terms = ["Stroma"]
    a.update()
    assert Annotation.fetch(a.id).terms == [tumor["Stroma"]]


def test_collection_of_missing_project_is_not_found(cytomine):
    with pytest.raises(NotFound, match="999"):
        AnnotationCollection(project=999).fetch()


def test_tracks_groups_and_their_filters(cytomine, image):
    a = Annotation(geometry="POINT (30 30)", image=image.id).save()
    b = Annotation(geometry="POINT (40 40)", image=image.id).save()
    track = Track(name="path", image=image.id, color="#123456").save()
    assert track.project == cytomine.project and track.id in [t.id for t in TrackCollection().fetch()]
    on_track = AnnotationTrack(annotation=a.id, track=track.id).save()
    assert [x.id for x in AnnotationCollection(track=track.id).fetch()] == [a.id]
    assert [t.annotation for t in AnnotationTrackCollection(track=track.id).fetch()] == [a.id]
    on_track.delete()
    assert AnnotationCollection(track=track.id).fetch().to_dataframe().empty
    views = ImageGroup(name="views", project=cytomine.project).save()
    keep, merged = (AnnotationGroup(project=cytomine.project, image_group=views.id).save() for _ in range(2))
    AnnotationLink(annotation=a.id, group=keep.id).save()
    AnnotationLink(annotation=b.id, group=merged.id).save()
    keep.merge(merged)
    assert sorted(link.annotation for link in AnnotationLinkCollection(group=keep.id).fetch()) == sorted([a.id, b.id])
    assert sorted(x.id for x in AnnotationCollection(group=keep.id).fetch()) == sorted([a.id, b.id])
    with pytest.raises(NotFound):
        AnnotationGroup.fetch(merged.id)
    near = AnnotationCollection(baseAnnotation=a.id, maxDistanceBaseAnnotation=15, image=image.id).fetch()
    assert sorted(x.id for x in near) == sorted([a.id, b.id])
    assert [x.id for x in AnnotationCollection(baseAnnotation=a.id, image=image.id).fetch()] == [a.id]
    # No retrieval runs on the bundled server: no annotation has a suggested term.
    assert len(AnnotationCollection(suggestedTerm="Tumor").fetch()) == 0


def test_saved_filters_inferred_routes(cytomine, bundled, tumor):
    # Inferred: the legacy core's /api/annotationfilter.json?project= (no controller in the CE core).
    saved = AnnotationFilter(name="tumours", project=cytomine.project, users=[], terms=[tumor["Tumor"]]).save()
    assert bundled.sent("GET", r"^/api/annotationfilter\.json$") == 0
    assert [f.terms for f in AnnotationFilterCollection().fetch()] == [[tumor["Tumor"]]]
    assert bundled.sent("GET", r"^/api/annotationfilter\.json$") == 1
    saved.delete()


def test_review_workflow(cytomine, image, tumor):
    a = Annotation(geometry="POINT (60 60)", image=image.id, terms=["Tumor"]).save()
    with pytest.raises(BadRequest, match="review mode"):
        a.review()
    image.start_review()
    a.review(terms=["Stroma"])
    (reviewed,) = AnnotationCollection(image=image.id, reviewed=True).fetch()
    assert reviewed.extra["parentIdent"] == a.id and reviewed.terms == [tumor["Stroma"]]
    a.unreview()
    assert len(AnnotationCollection(image=image.id, reviewed=True).fetch()) == 0
    image.stop_review()


def test_membership_keys_and_roles(cytomine):
    project = Project.fetch(cytomine.project)
    grace = UserAccount(username="grace", firstname="Grace", lastname="H", email="g@example.org", password="pw").save()
    assert grace.password is None  # sent once, never kept
    project.add_member(grace, manager=True)
    assert grace.id in [u.id for u in project.members(managers=True)]
    project.remove_member(grace, manager=True)
    assert grace.id not in [u.id for u in project.members(managers=True)]
    assert grace.id in [u.id for u in project.members()]
    project.remove_member(grace.id)
    assert grace.id not in [u.id for u in project.members()]
    grace.add_role("ROLE_ADMIN")
    assert "ROLE_ADMIN" in grace.roles()
    with pytest.raises(ValueError, match="did you mean 'ROLE_ADMIN'"):
        grace.add_role("ROLE_ADMN")
    keys = UserAccount.current().keys()
    assert keys.private_key == cytomine.keys[1] and keys.private_key not in repr(keys)
    assert "privateKey" not in UserAccount.current().extra


def test_properties_descriptions_tags_relations(cytomine, image, tumor):
    project = Project.fetch(cytomine.project)
    prop = Property.on(project, "stain", 5).save()
    assert prop.value == "5"
    prop.value = "IHC"
    prop.update()
    assert {p.key: p.value for p in PropertyCollection(project=project.id).fetch()} == {"stain": "IHC"}
    prop.delete()
    with pytest.raises(ValueError, match="exactly one"):
        PropertyCollection(project=project.id, image=image.id).fetch()
    with pytest.raises(NotFound):
        Description.of(image)
    Description.on(image, "<b>H&E</b>").save()
    described = Description.of(image)
    described.data = "<b>IHC</b>"
    described.update()
    assert Description.of(image).data == "<b>IHC</b>"
    image.tag("scanned")
    assert "scanned" in [t.name for t in TagCollection().fetch()]
    relation = TermRelation(parent=tumor["Tumor"], child=tumor["Stroma"]).save()
    assert [(r.parent, r.child) for r in TermRelationCollection(child=tumor["Stroma"]).fetch()] == [
        (tumor["Tumor"], tumor["Stroma"])]
    relation.delete()
    assert len(TermRelationCollection().fetch()) == 0
    Tag(name="x").save().delete()


def test_dump_alpha_mask_and_collection_crops(cytomine, image, tmp_path):
    a = Annotation(geometry="POLYGON ((10 10, 50 10, 50 40, 10 10))", image=image.id).save()
    path = a.dump(str(tmp_path / "a.png"), mask=True, alpha=True, margin=1.5, max_size=40)
    with Image.open(path) as crop:
        assert crop.mode == "RGBA" and max(crop.size) <= 40
        alpha = np.asarray(crop)[..., 3]
    assert alpha.min() == 0 and alpha.max() == 255  # outside transparent, inside opaque
    with pytest.raises(ValueError, match="mask=True"):
        a.dump(str(tmp_path / "b.png"), alpha=True)
    with pytest.raises(ValueError, match="margin"):
        a.dump(str(tmp_path / "b.png"), margin=0.5)
    paths = AnnotationCollection(image=image.id).fetch(limit=3).dump_crops(str(tmp_path / "crops"), pattern="{id}.jpg")
    assert len(paths) == 3 and all(open(p, "rb").read(2) == b"\xff\xd8" for p in paths)


def test_raw_requests(cytomine, bundled):
    assert cytomine.get("project.json")["collection"][0]["id"] == cytomine.project
    assert cytomine.get(f"/api/project/{cytomine.project}.json")["name"] == "Demo project"
    assert cytomine.get(f"imageinstance/{ImageInstanceCollection().fetch()[0].id}/thumb.png")[:4] == b"\x89PNG"
    created = cytomine.post("tag.json", data={"name": "raw-tag"})
    assert created["tag"]["name"] == "raw-tag"
    assert cytomine.delete(f"tag/{created['tag']['id']}.json")["tag"]["name"] == "raw-tag"
    with pytest.raises(NotFound):
        cytomine.get("project/999.json")
    assert cytomine.put(f"tag/{cytomine.post('tag.json', data={'name': 'a'})['tag']['id']}.json",
                        data={"name": "b"})["tag"]["name"] == "b"
    with pytest.raises(ValueError, match="not a whole URL"):
        cytomine.get(bundled.url + "/api/project.json")


def test_cytomine_only_models_elsewhere_not_supported(tmp_path):
    from neuromodels import Connection

    with Connection("http://127.0.0.1:9", backend="catmaid", project=1, token="t"):
        with pytest.raises(NotSupported, match="catmaid has no Storage"):
            Storage(name="x").save()
        with pytest.raises(NotSupported):
            Project(id=1).add_member(5)


def test_activity(cytomine, image):
    from neuromodels import (AnnotationAction, AnnotationActionCollection, ImageConsultation,
                             ImageConsultationCollection, Position, PositionCollection, ProjectConnection,
                             ProjectConnectionCollection)

    a = Annotation(geometry="POINT (70 70)", image=image.id).save()
    seen = Position(image=image.id, location="POLYGON ((0 0, 100 0, 100 50, 0 50, 0 0))", zoom=3).save()
    assert (seen.x, seen.y, seen.zoom) == (50, 25, 3)
    assert Position(image=image.id, x=7, y=9).save().location.startswith("POLYGON")
    assert [p.zoom for p in PositionCollection(image=image.id, showDetails=True).fetch()][-2] == 3
    with pytest.raises(ValueError, match="location"):
        Position(image=image.id, zoom=1).save()
    assert AnnotationAction(annotation=a.id, action="select").save().image == image.id
    assert "select" in [x.action for x in AnnotationActionCollection(image=image.id).fetch()]
    ProjectConnection(project=cytomine.project, os="Linux", browser="Firefox").save()
    assert [c.os for c in ProjectConnectionCollection().fetch()][-1] == "Linux"
    ImageConsultation(image=image.id, mode="Explore").save()
    assert [c.mode for c in ImageConsultationCollection().fetch()][-1] == "Explore"
    with pytest.raises(NotSupported, match="record"):
        Position(id=1).delete()
