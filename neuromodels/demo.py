"""``neuromodels demo``: the everyday jobs end to end on the bundled local servers.

Each backend's part starts its bundled server on 127.0.0.1 (SQLite in a temporary folder), works
on it through the public API only, prints what it did and stops the server: no network, no
account, a few seconds in all.

>>> from neuromodels.demo import run
>>> lines = []
>>> run(["clio"], print_=lines.append)
>>> any("version v0.3.33" in line for line in lines)
True
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from .core.errors import NotFound, NotSupported
from .models import (
    Annotation,
    AnnotationCollection,
    Connector,
    ConnectorCollection,
    ImageInstanceCollection,
    Link,
    Neuron,
    NeuronCollection,
    Project,
    TermCollection,
    Volume,
    VolumeCollection,
)
from .testing import connect, serve

Printer = Callable[[str], None]


def synthetic_neuron(seed: int, n_nodes: int = 300, name: str | None = None) -> Neuron:
    """A deterministic random-walk arbor: a soma and branching, slightly wandering neurites."""
    rng = np.random.default_rng(seed)
    soma = rng.uniform(2000, 14000, size=3) * np.array([1.0, 1.0, 0.25])
    positions = [soma]
    parents = [-1]
    direction = [rng.normal(size=3)]
    for i in range(1, n_nodes):
        # Mostly extend the newest tip; sometimes branch from an earlier node.
        parent = i - 1 if rng.random() > 0.06 else int(rng.integers(0, i))
        step = direction[parent] + rng.normal(scale=0.35, size=3)
        step = step / np.linalg.norm(step)
        positions.append(positions[parent] + step * rng.uniform(60.0, 180.0))
        parents.append(parent)
        direction.append(step)
    xyz = np.round(np.array(positions), 1)
    nodes = pd.DataFrame({
        "node_id": np.arange(1, n_nodes + 1),
        "parent_id": [p + 1 if p >= 0 else -1 for p in parents],
        "x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2],
        "radius": np.r_[400.0, np.full(n_nodes - 1, 40.0)],
        "type": np.r_[1, np.full(n_nodes - 1, 3)],
    })
    return Neuron(name=name or f"synthetic {seed}", nodes=nodes)


def cable_length(nodes: pd.DataFrame) -> float:
    """Total length of the edges between each node and its parent, in the nodes' unit.

    >>> nodes = pd.DataFrame({"node_id": [1, 2, 3], "parent_id": [-1, 1, 2],
    ...                       "x": [0.0, 3.0, 3.0], "y": [0.0, 4.0, 4.0], "z": [0.0, 0.0, 2.0]})
    >>> cable_length(nodes)
    7.0
    """
    xyz = nodes.set_index("node_id")[["x", "y", "z"]]
    children = nodes[nodes.parent_id >= 0]
    steps = children[["x", "y", "z"]].to_numpy(float) - xyz.loc[children.parent_id].to_numpy(float)
    return float(np.linalg.norm(steps, axis=1).sum())


def cable_lengths(neurons: NeuronCollection) -> dict[Any, float]:
    """Cable length per neuron id: the collection's own ``cable_length()`` where this version of
    the library has it, else computed from the node tables."""
    own = getattr(neurons, "cable_length", None)
    if callable(own):
        result = own()
        if isinstance(result, pd.Series):
            return {k: float(v) for k, v in result.items()}
        if isinstance(result, Mapping):
            return {k: float(v) for k, v in result.items()}
    return {n.id: cable_length(n.nodes) for n in neurons}


def _nodes(neuron: Neuron) -> pd.DataFrame:
    if neuron.nodes is None:
        raise ValueError(f"neuron {neuron.id} has no nodes loaded")
    nodes: pd.DataFrame = neuron.nodes
    return nodes


def _title(print_: Printer, text: str) -> None:
    print_(f"\n== {text} " + "=" * max(0, 76 - len(text)))


def _table(print_: Printer, frame: pd.DataFrame) -> None:
    for line in frame.to_string(index=False, max_colwidth=48).splitlines():
        print_("  " + line)


# -- CATMAID ---------------------------------------------------------------------------------------------
def catmaid(print_: Printer = print) -> None:
    """Neurons, annotations, a connector and a volume: create, query back, rename, measure."""
    with serve("catmaid") as server, connect(server, progress=False):
        _title(print_, f"CATMAID  (bundled server at {server.url}, project {server.project})")
        cells = [("PN", "left"), ("PN", "right"), ("PN", "left"), ("LN", "left"), ("LN", "right"), ("KC", "left")]
        batch = NeuronCollection(
            synthetic_neuron(seed, n_nodes=200 + 60 * seed, name=f"{kind} {side} #{seed}")
            for seed, (kind, side) in enumerate(cells)
        )
        for neuron, (kind, side) in zip(batch, cells):
            neuron.annotations = [kind, side]
        batch.save()
        print_(f"Created {len(batch)} neurons ({sum(len(_nodes(n)) for n in batch):,} nodes) in one batch: "
               + ", ".join(f"{n.name} -> skeleton {n.id}" for n in batch))

        olfactory = Annotation(name="olfactory", targets=[n.id for n in batch[:3]], meta=["cell class"]).save()
        print_(f"Annotated {len(olfactory.targets or [])} neurons with {olfactory.name!r} "
               f"(annotation {olfactory.id}, meta-annotated {olfactory.meta})")

        synapses = []
        for pre, post in [(batch[0], batch[3]), (batch[0], batch[4]), (batch[1], batch[3])]:
            tip = _nodes(pre).iloc[-1]
            synapses.append(Connector(
                x=float(tip.x), y=float(tip.y), z=float(tip.z),
                links=[Link(int(tip.node_id), "presynaptic_to"), Link(int(_nodes(post).node_id.iloc[-1]), "postsynaptic_to")],
            ).save())
            print_(f"Linked {pre.name} -> {post.name} through connector {synapses[-1].id}")

        all_nodes = pd.concat([_nodes(n) for n in batch])
        lo = all_nodes[["x", "y", "z"]].min().to_numpy() - 500
        hi = all_nodes[["x", "y", "z"]].max().to_numpy() + 500
        corners = np.array([[(lo, hi)[(i >> k) & 1][k] for k in range(3)] for i in range(8)])
        faces = [[0, 2, 1], [1, 2, 3], [4, 5, 6], [5, 7, 6], [0, 1, 4], [1, 5, 4],
                 [2, 6, 3], [3, 6, 7], [0, 4, 2], [2, 4, 6], [1, 3, 5], [3, 7, 5]]
        box = Volume(name="neuropil bounding box", comment="made by neuromodels demo", vertices=corners,
                     faces=np.array(faces)).save()
        print_(f"Uploaded volume {box.id} ({len(corners)} vertices, {len(faces)} faces)")

        print_("\nQuerying back:")
        pns = NeuronCollection(annotation=["PN", "olfactory"]).fetch()
        print_(f"  neurons annotated PN and olfactory: {sorted(str(n.name) for n in pns)}")
        renamed = Neuron.fetch(batch[-1].id).update(name="KC left (renamed)")
        print_(f"  renamed skeleton {renamed.id}: the server now calls it {Neuron.fetch(renamed.id).name!r}")
        fetched = NeuronCollection(NeuronCollection(ids=[n.id for n in batch]).fetch())
        lengths = cable_lengths(fetched)
        table = pd.DataFrame({
            "skeleton": [n.id for n in fetched], "name": [n.name for n in fetched],
            "nodes": [len(_nodes(n)) for n in fetched], "cable (µm)": [round(lengths[n.id] / 1000, 1) for n in fetched],
            "connectors": [0 if n.connectors is None else len(n.connectors) for n in fetched],
            "annotations": [", ".join(sorted(n.annotations or [])) for n in fetched],
        })
        _table(print_, table)
        for c in ConnectorCollection(neuron=batch[0].id).fetch():
            print_(f"  connector {c.id} at ({c.x:.0f}, {c.y:.0f}, {c.z:.0f}): "
                   + ", ".join(f"skeleton {link.skeleton_id} {link.relation}" for link in c.links or []))
        partners_of = getattr(Neuron.fetch(batch[0].id), "partners", None)  # where the client has it
        if callable(partners_of):
            try:
                partners = partners_of()
            except NotSupported:
                pass
            else:
                print_(f"  synaptic partners of {batch[0].name}:")
                _table(print_, partners)
        on_pre = AnnotationCollection(neuron=batch[0].id).fetch()
        print_(f"  annotations on {batch[0].name}: {sorted(str(a.name) for a in on_pre)}")
        volume = Volume.fetch(VolumeCollection(name="neuropil bounding box").fetch()[0].id)
        mesh = (len(volume.vertices) if volume.vertices is not None else 0, len(volume.faces) if volume.faces is not None else 0)
        print_(f"  volume {volume.name!r}: mesh of {mesh[0]} vertices, {mesh[1]} faces")


# -- Cytomine --------------------------------------------------------------------------------------------
def cytomine(print_: Printer = print) -> None:
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


# -- NeuroMorpho.org -------------------------------------------------------------------------------------
def neuromorpho(print_: Printer = print) -> None:
    """A metadata query with the server's own fields, then one neuron's SWC nodes."""
    with serve("neuromorpho") as server, connect(server, progress=False):
        _title(print_, f"NeuroMorpho.org  (bundled server at {server.url}, read-only, no account)")
        query = NeuronCollection(species="rat", brain_region="hippocampus")
        found = query.fetch()
        print_(f"NeuronCollection(species='rat', brain_region='hippocampus'): {len(found)} neurons "
               f"(the server counts {query.count()}; every page followed)")
        _table(print_, pd.DataFrame({
            "neuron_id": [n.id for n in found], "name": [n.name for n in found],
            "archive": [n.extra.get("archive") for n in found],
            "cell type": [", ".join(n.extra.get("cell_type") or []) for n in found],
        }).head(5))
        neuron = Neuron.fetch(found[0].id)
        print_(f"\nNeuron.fetch({neuron.id}) -> {neuron.name!r}: {len(_nodes(neuron))} SWC nodes, first rows:")
        _table(print_, _nodes(neuron).head(4))


# -- Clio ------------------------------------------------------------------------------------------------
def clio(print_: Printer = print) -> None:
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


# -- CAVE ------------------------------------------------------------------------------------------------
def cave(print_: Printer = print) -> None:
    """Cell types read at a materialization version and live, rows written in one batch, a root's
    edit history and skeleton."""
    with serve("cave") as server, connect(server, progress=False):
        _title(print_, f"CAVE  (bundled deployment at {server.url}, datastack {server.project}, Bearer token)")
        then = AnnotationCollection(table="cell_types", version=1).fetch()
        live = AnnotationCollection(table="cell_types").fetch()
        print_(f"Table cell_types: {len(then)} rows at materialization version 1, {len(live)} live")
        basket = next(a for a in then if (a.properties or {}).get("cell_type") == "basket")
        moved = next(a for a in live if a.id == basket.id)
        history = NeuronCollection(lineage_of=(basket.targets or [0])[0]).fetch()
        print_(f"The basket cell (row {basket.id}) was on root {(basket.targets or [0])[0]} at version 1 and is on "
               f"{(moved.targets or [0])[0]} now: its lineage has {len(history)} roots (a split)")
        batch = AnnotationCollection([Annotation(properties={"pt_position": [1200 + 200 * j, 4000, 130],
                                                             "cell_type": f"bouton {j}", "classification_system": "demo"})
                                      for j in range(3)], table="cell_types").save()
        print_(f"Posted {len(batch)} rows in one request: ids {[a.id for a in batch]}")
        back = AnnotationCollection(table="cell_types", classification_system="demo").fetch()
        _table(print_, pd.DataFrame({"id": [a.id for a in back], "cell_type": [(a.properties or {}).get("cell_type") for a in back],
                                     "root": [(a.targets or [None])[0] for a in back]}))
        neuron = Neuron.fetch((back[0].targets or [0])[0])
        synapses = ConnectorCollection(neuron=neuron.id).fetch()
        print_(f"Neuron.fetch({neuron.id}): a skeleton of {len(_nodes(neuron))} nodes (nm); {len(synapses)} synapses")
        back.delete()


#: The demo's parts, in the order they are shown.
PARTS: dict[str, Callable[[Printer], None]] = {
    "catmaid": catmaid, "cytomine": cytomine, "neuromorpho": neuromorpho, "clio": clio, "cave": cave,
}


def run(backends: Iterable[str] = tuple(PARTS), print_: Printer = print) -> None:
    """Show the everyday jobs on each of ``backends`` (all five by default), each on its own
    bundled server, printing through ``print_``."""
    started = time.perf_counter()
    chosen = list(backends)
    unknown = [b for b in chosen if b not in PARTS]
    if unknown:
        raise ValueError(f"no demo for {', '.join(map(repr, unknown))}; choose from {', '.join(PARTS)}")
    for name in chosen:
        PARTS[name](print_)
    print_(f"\nDone in {time.perf_counter() - started:.2f} s, on 127.0.0.1 only; the servers have stopped.")
