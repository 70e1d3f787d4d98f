"""The Cytomine part of ``neuromodels demo``, on the bundled server."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...demo import Printer, _table, _title
from ...models import Annotation, AnnotationCollection, ImageInstanceCollection, Project, TermCollection
from ...testing import connect, serve


def demo(print_: Printer = print) -> None:
    """Annotations with terms on an image: a batch upload with ids, a term change, a query by term."""
    from shapely.geometry import Point

    with serve("cytomine") as server, connect(server, progress=False):
        _title(print_, f"Cytomine  (bundled server at {server.url}, keys from the server)")
        project = Project.fetch(server.project)
        image = ImageInstanceCollection(project=project.id).fetch()[0]
        terms = TermCollection(project=project.id).fetch()
        term_names = {t.id: str(t.name) for t in terms}
        print_(f"Project {project.name!r} ({project.id}); image {image.name!r} {image.width} x {image.height} px; "
               f"terms: {', '.join(f'{t.name} ({t.id})' for t in terms)}")

        rng = np.random.default_rng(1)
        width, height = int(image.width or 0), int(image.height or 0)
        centres = rng.uniform([500, 500], [width - 500, height - 500], size=(24, 2))
        batch = AnnotationCollection(
            Annotation(geometry=Point(x, y).buffer(float(rng.uniform(40, 120)), quad_segs=4), image=image.id,
                       terms=[terms[i % len(terms)].id])
            for i, (x, y) in enumerate(centres)
        )
        requests_before = server.requests
        batch.save()
        print_(f"Uploaded {len(batch)} annotations in {server.requests - requests_before} request(s); their ids: "
               + ", ".join(str(a.id) for a in batch[:8]) + ", ...")

        first = batch[0]
        first.terms = [terms[-1].id]
        first.update()
        print_(f"Changed the term of annotation {first.id} to {term_names[terms[-1].id]!r}")

        wanted = terms[-1]
        tagged = AnnotationCollection(image=image.id, term=wanted.id).fetch()
        print_(f"\nAnnotations of image {image.id} with term {wanted.name!r}: {len(tagged)}")
        _table(print_, pd.DataFrame({
            "id": [a.id for a in tagged],
            "terms": [", ".join(term_names.get(t, str(t)) for t in a.terms or []) for a in tagged],
            "area (px²)": [round(a.geometry.area) for a in tagged],
            "centroid": [f"({a.geometry.centroid.x:.0f}, {a.geometry.centroid.y:.0f})" for a in tagged],
        }).head(6))
        print_("  (Cytomine's origin is the image's bottom-left corner: "
               "neuromodels.backends.cytomine.to_cytomine / from_cytomine convert)")
