"""The CATMAID part of ``neuromodels demo``, on the bundled server."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...core.errors import NotSupported
from ...demo import Printer, _nodes, _table, _title, cable_lengths, synthetic_neuron
from ...models import Annotation, AnnotationCollection, Connector, ConnectorCollection, Link, Neuron, NeuronCollection, Volume, VolumeCollection
from ...testing import connect, serve


def demo(print_: Printer = print) -> None:
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
