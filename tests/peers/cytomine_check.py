"""Runs the Cytomine Python client (4.x) against a bundled Cytomine server.

    python tests/peers/cytomine_check.py URL PUBLIC_KEY PRIVATE_KEY PROJECT

Prints one line per call and exits non-zero on the first mismatch. Uses the Cytomine client
only: this file never imports neuromodels.
"""

import logging
import sys


def main(url: str, public_key: str, private_key: str, project_id: int) -> int:
    import json
    import os
    import tempfile
    import uuid

    from cytomine import Cytomine
    # Not exported by cytomine.models in 4.3: read from their modules.
    from cytomine.models.annotation import AnnotationFilterCollection
    from cytomine.models.social import ImageConsultationCollection, ProjectConnectionCollection
    from cytomine.models import (
        AnnotationGroup,
        AnnotationLink,
        AnnotationLinkCollection,
        AnnotationTrack,
        ImageGroup,
        SliceInstance,
        TrackCollection,
        UserCollection,
        AbstractImage,
        AbstractSlice,
        AbstractSliceCollection,
        Annotation,
        AnnotationCollection,
        AnnotationTerm,
        AttachedFile,
        AttachedFileCollection,
        CurrentUser,
        Description,
        ImageInstance,
        ImageInstanceCollection,
        Ontology,
        OntologyCollection,
        Project,
        ProjectCollection,
        Property,
        PropertyCollection,
        RelationTerm,
        RoleCollection,
        SliceInstanceCollection,
        Storage,
        Tag,
        TagDomainAssociation,
        TagDomainAssociationCollection,
        TermCollection,
        Track,
        UploadedFile,
        User,
        UserRole,
    )

    def unique(prefix):
        return f"{prefix}-{uuid.uuid4().hex[:8]}"

    checks = 0

    def ok(what, condition):
        nonlocal checks
        checks += 1
        if not condition:
            raise AssertionError(what)
        print(f"ok  {what}")

    with Cytomine(url, public_key, private_key, verbose=logging.ERROR) as cytomine:
        user = CurrentUser().fetch()
        ok("current user", user and user.username == "admin")
        projects = ProjectCollection().fetch()
        ok("projects", project_id in [p.id for p in projects])
        project = Project().fetch(project_id)
        ok("project fetch", project.name == "Demo project")
        images = ImageInstanceCollection().fetch_with_filter("project", project_id)
        ok("images by project", len(images) == 2 and all(i.width for i in images))
        terms = TermCollection().fetch_with_filter("project", project_id)
        ok("terms of the project", {t.name for t in terms} == {"Tumor", "Stroma"})
        image = images[0]

        single = Annotation(location="POLYGON((100 100,300 100,300 300,100 300,100 100))",
                            id_image=image.id, id_terms=[terms[0].id]).save()
        ok("annotation save returns the object with an id", single and single.id)
        fetched = Annotation().fetch(single.id)
        ok("annotation fetch", fetched.location.startswith("POLYGON ((100 100") and fetched.term == [terms[0].id])

        batch = AnnotationCollection()
        for i in range(40):
            batch.append(Annotation(location=f"POINT ({500 + i} 500)", id_image=image.id, id_project=project_id))
        ok("AnnotationCollection.save()", batch.save(chunk=15) is not False)
        listed = AnnotationCollection(showWKT=True, showTerm=True)
        listed.image = image.id
        listed = listed.fetch()
        ok("filtered fetch sees every annotation", len(listed) == 41)
        with_term = AnnotationCollection(project=project_id, term=terms[0].id, showWKT=True).fetch()
        ok("term filter", [a.id for a in with_term] == [single.id])

        created = Project("made by the Cytomine client", id_ontology=project.ontology).save()
        ok("project create", created and created.id)
        ok("project fetch after create", Project().fetch(created.id).name == "made by the Cytomine client")
        ok("project delete", Project().delete(created.id) is not False)
        ok("deleted project is gone", Project().fetch(created.id) is False)

        # Users, keys and roles.
        me = CurrentUser().fetch()
        ok("current user carries its keys", me.keys()["privateKey"] == me.privateKey == private_key)
        ok("signature", me.signature()["publicKey"] == public_key)
        someone = User(unique("user"), "Ada", "Lovelace", "ada@example.org", "pw").save()
        ok("user create", someone and someone.id)
        ok("projects of a new user", len(ProjectCollection().fetch_with_filter("user", someone.id)) == 0)
        roles = RoleCollection().fetch()
        admin = [r for r in roles if r.authority == "ROLE_ADMIN"][0]
        ok("user role add", UserRole(someone.id, admin.id).save().authority == "ROLE_ADMIN")
        ok("user role fetch", UserRole().fetch(someone.id, admin.id).role == admin.id)
        ok("user delete", User().delete(someone.id) and User().fetch(someone.id) is False)

        # From a storage to an image instance, and back.
        storage = Storage(unique("storage"), me.id).save()
        upload = UploadedFile("slide.tif", unique("slide"), 1, "tif", "image/tiff", project_id, storage.id, me.id).save()
        ok("uploaded file", upload and upload.projects == [project_id])
        abstract = AbstractImage("slide.tif", upload.id, width=64, height=48).save()
        ok("abstract image", abstract and abstract.uploadedFile == upload.id)
        base_slice = AbstractSlice(abstract.id, upload.id, 0, 0, 0, mime="image/tiff").save()
        ok("abstract slice by image", [s.id for s in AbstractSliceCollection().fetch_with_filter("abstractimage", abstract.id)]
           == [base_slice.id])
        instance = ImageInstance(abstract.id, project_id).save()
        ok("image instance create", instance and instance.width == 64)
        ok("its slice instance", [s.baseSlice for s in SliceInstanceCollection().fetch_with_filter("imageinstance", instance.id)]
           == [base_slice.id])
        instance.instanceFilename = "renamed.tif"
        instance.update()
        ok("image instance update persists", ImageInstance().fetch(instance.id).instanceFilename == "renamed.tif")
        track = Track(unique("track"), instance.id, "#FF0000").save()
        ok("track", track and track.project == project_id)
        ok("image instance delete", instance.delete() and ImageInstance().fetch(instance.id) is False)

        # Ontologies in a batch, term relations, terms of an annotation.
        batch = OntologyCollection()
        batch.append(Ontology(unique("ontology")))
        batch.append(Ontology(unique("ontology")))
        ok("ontology list POST", batch.save() is not False)
        relation = RelationTerm(terms[0].id, terms[1].id).save()
        ok("relation term", relation and RelationTerm().fetch(terms[0].id, terms[1].id).term2 == terms[1].id)
        ok("relation term delete", relation.delete() and RelationTerm().fetch(terms[0].id, terms[1].id) is False)
        ok("annotation term fetch", AnnotationTerm().fetch(single.id, terms[0].id).term == terms[0].id)
        ok("terms of an annotation", [t.id for t in TermCollection().fetch_with_filter("annotation", single.id)] == [terms[0].id])

        # Properties, descriptions, attached files, tags.
        prop = Property(project, "stain", "H&E").save()
        ok("property create", prop and prop.value == "H&E")
        ok("property by key", Property(project).fetch(key="stain").id == prop.id)
        prop.value = "IHC"
        prop.update()
        ok("property update", PropertyCollection(project).fetch().as_dict()["stain"].value == "IHC")
        ok("property delete", prop.delete() and Property(project).fetch(prop.id) is False)
        annotation_prop = Property(single, "cell", "T").save()
        ok("annotation property", PropertyCollection(single).fetch().as_dict()["cell"].id == annotation_prop.id)
        description = Description(project, "<p>about</p>").save()
        ok("description", Description(project).fetch().data == "<p>about</p>" and description.delete())
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "notes.txt")
            with open(path, "w") as f:
                f.write("attached\n")
            attached = AttachedFile(project, path).save()
            ok("attached file upload", attached and attached.filename == "notes.txt")
            ok("attached files of the project", attached.id in [a.id for a in AttachedFileCollection(project).fetch()])
            target = os.path.join(folder, "back.txt")
            ok("attached file download", attached.download(target) and open(target).read() == "attached\n")
        ok("tag without a name is refused", Tag().save() is False)
        tag = Tag(unique("tag")).save()
        association = TagDomainAssociation(project, tag.id).save()
        ok("tag association", association and association.id and association.tag == tag.id)
        ok("tag associations of the project", association.id in [a.id for a in TagDomainAssociationCollection(project).fetch()])
        ok("tag delete takes its associations", tag.delete() and TagDomainAssociation(project).fetch(association.id) is False)

        # Images in through the upload server, and their slices.
        upload_storage = Storage(unique("uploads"), me.id).save()
        with tempfile.TemporaryDirectory() as folder:
            slide = os.path.join(folder, "scan.tif")
            with open(slide, "wb") as f:
                f.write(b"II*\x00" + bytes(60))
            uploaded = cytomine.upload_image(slide, upload_storage.id, id_project=project_id, properties={"stain": "HE"})
            ok("upload_image", uploaded and uploaded.originalFilename == "scan.tif" and uploaded.images)
            placed = uploaded.images[0]["imageInstances"][0]
            ok("uploaded image is in the project",
               placed.id in [i.id for i in ImageInstanceCollection().fetch_with_filter("project", project_id)])
            ok("upload properties", PropertyCollection(placed).fetch().as_dict()["stain"].value == "HE")
            notes = os.path.join(folder, "notes.txt")
            with open(notes, "w") as f:
                f.write("notes\n")
            sent = cytomine.upload_file(AttachedFile(project), notes, uri="attachedfile.json",
                                        query_parameters={"domainClassName": "be.cytomine.domain.project.Project",
                                                          "domainIdent": project.id, "filename": "notes.txt"})
            ok("upload_file", sent and sent.filename == "notes.txt")
            reference = placed.reference_slice()
            ok("reference slice", isinstance(reference, SliceInstance) and reference.image == placed.id)
            ok("slice instances", [s.id for s in SliceInstanceCollection().fetch_with_filter("imageinstance", placed.id)]
               == [reference.id])
            ok("slice window", reference.window(0, 0, 16, 16, dest_pattern=os.path.join(folder, "{id}.png")))
            ok("image window", placed.window(0, 0, 16, 16, dest_pattern=os.path.join(folder, "image-{id}.png")))
            ok("annotation dump with alpha mask", fetched.dump(os.path.join(folder, "{id}.png"), mask=True, alpha=True,
                                                               increase_area=1.5, max_size=64))

        # Tracks, annotation groups and links, saved filters.
        annotation_class = "be.cytomine.domain.ontology.UserAnnotation"
        track2 = Track(unique("track"), image.id, "#00FF00").save()
        # AnnotationTrack.save() posts to the show route (annotationtrack/{a}/{t}.json), which the
        # core answers 405: add it through the collection route as the web client does.
        added = cytomine.post("annotationtrack.json", json.dumps(
            {"annotationClassName": annotation_class, "annotationIdent": single.id, "track": track2.id}))
        ok("annotation track add", added and added["annotationtrack"]["track"] == track2.id)
        on_track = AnnotationTrack().fetch(single.id, track2.id)
        ok("annotation track", on_track and on_track.track == track2.id)
        ok("track filter", [a.id for a in AnnotationCollection(project=project_id, track=track2.id).fetch()] == [single.id])
        ok("tracks of the project", track2.id in [t.id for t in TrackCollection().fetch_with_filter("project", project_id)])
        ok("annotation track delete", on_track.delete())
        views = ImageGroup(unique("views"), project_id).save()
        first = AnnotationGroup(project_id, views.id).save()
        second = AnnotationGroup(project_id, views.id).save()
        ok("annotation link", AnnotationLink(annotation_class, single.id, second.id).save())
        ok("annotation group merge", first.merge(second.id) is not False)
        ok("links after the merge", [link.annotationIdent for link in
                                     AnnotationLinkCollection().fetch_with_filter("annotationgroup", first.id)] == [single.id])
        ok("group filter", [a.id for a in AnnotationCollection(project=project_id, group=first.id).fetch()] == [single.id])
        ok("saved annotation filters", len(AnnotationFilterCollection(project=project_id).fetch()) == 0)

        # Review.
        ok("image review start", cytomine.put(f"imageinstance/{image.id}/review.json") is not False)
        ok("annotation review", single.review(id_terms=[terms[1].id]) is not False)
        reviewed = AnnotationCollection(project=project_id, reviewed=True, showTerm=True).fetch()
        ok("reviewed annotations", [a.parentIdent for a in reviewed] == [single.id] and reviewed[0].term == [terms[1].id])
        ok("annotation unreview", cytomine.delete(f"annotation/{single.id}/review.json"))
        ok("image review stop", cytomine.delete(f"imageinstance/{image.id}/review.json"))

        # Membership and activity.
        member = User(unique("member"), "Grace", "Hopper", "grace@example.org", "pw").save()
        ok("add user to project", project.add_user(member.id) is not False)
        ok("project members", member.id in [u.id for u in UserCollection().fetch_with_filter("project", project_id)])
        ok("add manager", project.add_user(member.id, admin=True) is not False)
        ok("project managers", member.id in [u.id for u in UserCollection(admin=True).fetch_with_filter("project", project_id)])
        ok("remove manager", project.delete_user(member.id, admin=True))
        ok("remove user", project.delete_user(member.id)
           and member.id not in [u.id for u in UserCollection().fetch_with_filter("project", project_id)])
        ok("project connections", len(ProjectConnectionCollection(project_id, me.id).fetch()) == 0)
        ok("image consultations", len(ImageConsultationCollection(project_id, me.id).fetch()) == 0)
    print(f"{checks} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
