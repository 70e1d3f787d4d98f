"""``neuromodels demo``: the main job end to end on the bundled CATMAID server."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import pandas as pd

from .resources import (
    Annotation,
    AnnotationCollection,
    Connector,
    ConnectorCollection,
    Neuron,
    NeuronCollection,
    Volume,
    VolumeCollection,
)
from .testing import connect, serve


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
        positions.append(positions[parent] + step * 120.0)
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


def run(print_: Callable[[str], None] = print) -> None:
    started = time.perf_counter()
    with serve("catmaid") as server:
        print_(f"Bundled CATMAID server at {server.url} (project {server.project}, SQLite {server.db_path})")
        with connect(server, progress=False):
            cells = [("PN", "left"), ("PN", "right"), ("PN", "left"), ("LN", "left"), ("LN", "right"), ("KC", "left")]
            batch = NeuronCollection(
                synthetic_neuron(seed, name=f"{kind} {side} #{seed}") for seed, (kind, side) in enumerate(cells)
            )
            for neuron, (kind, side) in zip(batch, cells):
                neuron.annotations = [kind, side]
            batch.save()
            print_(f"Created {len(batch)} neurons ({sum(n.n_nodes for n in batch):,} nodes): "
                   + ", ".join(f"{n.name} -> skeleton {n.id}" for n in batch))

            olfactory = Annotation(name="olfactory", targets=[n.id for n in batch[:3]], meta=["cell class"]).save()
            print_(f"Annotated {len(olfactory.targets)} neurons with {olfactory.name!r} (annotation {olfactory.id}, meta {olfactory.meta})")

            pre, post = batch[0], batch[3]
            synapse = Connector(
                x=float(pre.nodes.x.iloc[-1]), y=float(pre.nodes.y.iloc[-1]), z=float(pre.nodes.z.iloc[-1]),
                links=[(int(pre.nodes.node_id.iloc[-1]), "presynaptic_to"),
                       (int(post.nodes.node_id.iloc[-1]), "postsynaptic_to")],
            ).save()
            print_(f"Linked {pre.name} -> {post.name} through connector {synapse.id}")

            all_nodes = pd.concat([n.nodes for n in batch])
            lo = all_nodes[["x", "y", "z"]].min().to_numpy() - 500
            hi = all_nodes[["x", "y", "z"]].max().to_numpy() + 500
            corners = np.array([[(lo, hi)[(i >> k) & 1][k] for k in range(3)] for i in range(8)])
            faces = [[0, 2, 1], [1, 2, 3], [4, 5, 6], [5, 7, 6], [0, 1, 4], [1, 5, 4],
                     [2, 6, 3], [3, 6, 7], [0, 4, 2], [2, 4, 6], [1, 3, 5], [3, 7, 5]]
            box = Volume(name="neuropil bounding box", comment="made by neuromodels demo", vertices=corners, faces=faces).save()
            print_(f"Uploaded volume {box.id} ({len(box.vertices)} vertices, {len(box.faces)} faces)")

            print_("\nQuerying back:")
            pns = NeuronCollection(annotation=["PN", "olfactory"]).fetch()
            print_(f"  neurons annotated PN and olfactory: {[n.name for n in pns]}")
            table = NeuronCollection(ids=[n.id for n in batch]).fetch().to_dataframe()
            print_(table[["id", "name", "n_nodes", "n_connectors", "annotations"]].to_string(index=False))
            links = ConnectorCollection(neuron=pre.id).fetch()
            for c in links:
                print_(f"  connector {c.id} at ({c.x:.0f}, {c.y:.0f}, {c.z:.0f}): "
                       + ", ".join(f"skeleton {l.skeleton_id} {l.relation}" for l in c.links))
            on_pre = AnnotationCollection(neuron=pre.id).fetch()
            print_(f"  annotations on {pre.name}: {sorted(a.name for a in on_pre)}")
            volume = Volume.fetch(VolumeCollection(name="neuropil bounding box").fetch()[0].id)
            print_(f"  volume {volume.name!r}: mesh of {len(volume.vertices)} vertices, {len(volume.faces)} faces")

            renamed = Neuron.fetch(batch[-1].id).update(name="KC left (renamed)")
            print_(f"  renamed skeleton {renamed.id} to {Neuron.fetch(renamed.id).name!r}")
    print_(f"\nDone in {time.perf_counter() - started:.2f} s; the server has stopped.")
