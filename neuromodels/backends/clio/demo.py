"""The Clio part of ``neuromodels demo``, on the bundled server."""

from __future__ import annotations

import pandas as pd

from ...core.errors import NotFound
from ...demo import Printer, _table, _title
from ...models import Annotation, AnnotationCollection, Project
from ...testing import connect, serve


def demo(print_: Printer = print) -> None:
    """Body annotations written at one version of a dataset and read back at two."""
    with serve("clio") as server:
        with connect(server, progress=False):
            _title(print_, f"Clio  (bundled server at {server.url}, dataset {server.project}, Bearer token)")
            dataset = Project.fetch(server.project)
            tags = [v["version"] for v in dataset.extra.get("versions", [])]
            default = dataset.extra.get("tag")
            print_(f"Dataset {dataset.id!r}: versions {', '.join(tags)}; the dataset's own is {default}")
            existing = AnnotationCollection(hemilineage="07B").fetch(3)
        head = tags[-1]
        body = existing[0].id
        with connect(server, progress=False, version=head):
            upsert = AnnotationCollection([
                Annotation(id=body, properties={"status": "Roughly traced", "soma_side": "RHS"}),
                Annotation(id=990001, properties={"hemilineage": "07B", "status": "Anchor"}),
                Annotation(id=990002, properties={"hemilineage": "08A", "status": "Anchor"}),
            ])
            upsert.save()
            print_(f"Upserted {len(upsert)} body annotations at version {head} in one batch: "
                   f"body {body} changed, bodies 990001 and 990002 new")
            back = AnnotationCollection(ids=[body, 990001, 990002]).fetch()
            print_(f"Read back at version {head}:")
            _table(print_, pd.DataFrame({
                "body": [a.id for a in back],
                "hemilineage": [(a.properties or {}).get("hemilineage") for a in back],
                "status": [(a.properties or {}).get("status") for a in back],
                "soma_side": [(a.properties or {}).get("soma_side") for a in back],
            }).fillna(""))
        with connect(server, progress=False):
            before = Annotation.fetch(body)
            try:
                AnnotationCollection(ids=[990001]).fetch()
                seen = "sees it too"
            except NotFound:
                seen = "does not have it (NotFound)"
            print_(f"At the dataset's own version {default}: body {body} still says status "
                   f"{(before.properties or {}).get('status')!r}; body 990001 {seen}")
