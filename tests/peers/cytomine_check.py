"""Runs the Cytomine Python client (4.x) against a bundled Cytomine server.

    python tests/peers/cytomine_check.py URL PUBLIC_KEY PRIVATE_KEY PROJECT

Prints one line per call and exits non-zero on the first mismatch. Uses the Cytomine client
only: this file never imports neuromodels.
"""

import logging
import sys


def main(url: str, public_key: str, private_key: str, project_id: int) -> int:
    from cytomine import Cytomine
    from cytomine.models import (
        Annotation,
        AnnotationCollection,
        CurrentUser,
        ImageInstanceCollection,
        Project,
        ProjectCollection,
        TermCollection,
    )

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
    print(f"{checks} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
