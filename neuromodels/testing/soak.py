"""A random-fault soak of the write contract: many new objects saved through a
:class:`~neuromodels.testing.chaos.ChaosProxy` in front of a bundled server, ``save()`` repeated
until it returns, then every object counted on the server through a direct connection.

>>> result = soak("catmaid neurons", n=4, seed=1)
>>> result.duplicates, result.missing, result.converged
(0, 0, True)

The figures of one run (:class:`SoakResult`): objects stored for the objects asked, how many
were stored twice or not at all, the rounds of ``save()`` it took, the time and the fates the
proxy drew. ``benchmarks/random_faults.py`` runs every scenario with several seeds.
"""

from __future__ import annotations

import collections
import os
import time
from typing import Any, Callable, Counter, Hashable, Sequence

import attrs
import numpy as np

from ..core.collection import Collection
from ..connection import Connection
from ..core.errors import NeuromodelsError, PartialSaveError
from ..models import (
    Annotation, AnnotationCollection, Connector, Link, ConnectorCollection, ImageInstanceCollection, Neuron,
    NeuronCollection, Ontology, Term, TermCollection, Volume, VolumeCollection,
)
from . import connect, serve
from .chaos import ChaosProxy

SWC = "1 1 0 0 0 5 -1\n2 3 10 0 0 5 1\n3 3 20 0 0 5 2\n"


@attrs.define
class SoakResult:
    scenario: str
    seed: int
    items: int
    stored: int
    duplicates: int
    missing: int
    rounds: int
    converged: bool
    seconds: float
    fates: dict[str, int]
    #: The last error of a round that raised something other than PartialSaveError.
    errors: list[str] = attrs.Factory(list)


@attrs.define
class Scenario:
    """One writable resource: the bundled server, the objects to save (made with a direct
    connection for what they need), and how to count what the server holds, by key."""

    backend: str
    make: Callable[[Connection, int, str], Collection[Any]]
    key: Callable[[Any], Hashable]
    count: Callable[[Connection, Sequence[Any], str], Counter[Hashable]]
    #: Created many per request (so a soak needs more of them for as many faults).
    bulk: bool = False


# -- the scenarios --------------------------------------------------------------------------------------
def _linked_neuron(conn: Connection, tag: str) -> tuple[int, int]:
    neuron = Neuron.from_swc(SWC, name=f"{tag} anchor").save(connection=conn)
    assert neuron.nodes is not None
    return int(neuron.id), int(neuron.nodes.node_id.iloc[0])


def _neurons(conn: Connection, n: int, tag: str) -> Collection[Any]:
    return NeuronCollection(Neuron.from_swc(SWC, name=f"{tag} {i}") for i in range(n))


def _neuron_count(conn: Connection, items: Sequence[Any], tag: str) -> Counter[Hashable]:
    found = NeuronCollection(name=tag).fetch(nodes=False, connection=conn)
    return collections.Counter(m.name for m in found if m.name != f"{tag} anchor")


def _connectors(conn: Connection, n: int, tag: str) -> Collection[Any]:
    _, node = _linked_neuron(conn, tag)
    return ConnectorCollection(Connector(x=10.0 * i, y=5.0, z=0.0, links=[Link(node, "presynaptic_to")])
                               for i in range(n))


def _connector_count(conn: Connection, items: Sequence[Any], tag: str) -> Counter[Hashable]:
    skid = NeuronCollection(name=f"{tag} anchor").fetch(nodes=False, connection=conn)[0].id
    found = ConnectorCollection(neuron=skid).fetch(connection=conn)
    return collections.Counter((c.x, c.y, c.z) for c in found)


def _catmaid_annotations(conn: Connection, n: int, tag: str) -> Collection[Any]:
    skid, _ = _linked_neuron(conn, tag)
    return AnnotationCollection(Annotation(name=f"{tag} {i}", targets=[skid]) for i in range(n))


def _catmaid_annotation_count(conn: Connection, items: Sequence[Any], tag: str) -> Counter[Hashable]:
    skid = NeuronCollection(name=f"{tag} anchor").fetch(nodes=False, connection=conn)[0].id
    return collections.Counter(a.name for a in AnnotationCollection(neuron=skid).fetch(connection=conn))


_BOX = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1], [1, 0, 1], [0, 1, 1], [1, 1, 1]], float)
_FACES = np.array([[0, 2, 1], [1, 2, 3], [4, 5, 6], [5, 7, 6], [0, 1, 4], [1, 5, 4],
                   [2, 6, 3], [3, 6, 7], [0, 4, 2], [2, 4, 6], [1, 3, 5], [3, 7, 5]])


def _volumes(conn: Connection, n: int, tag: str) -> Collection[Any]:
    return VolumeCollection(Volume(name=f"{tag} {i}", vertices=_BOX * 100 + i, faces=_FACES) for i in range(n))


def _volume_count(conn: Connection, items: Sequence[Any], tag: str) -> Counter[Hashable]:
    return collections.Counter(v.name for v in VolumeCollection().fetch(connection=conn)
                               if (v.name or "").startswith(f"{tag} "))


def _image(conn: Connection) -> int:
    return int(max(ImageInstanceCollection().fetch(connection=conn), key=lambda i: (i.width or 0) * (i.height or 0)).id)


def _cytomine_annotations(conn: Connection, n: int, tag: str) -> Collection[Any]:
    from shapely.geometry import Point

    image, row = _image(conn), 100 + int(tag.rsplit("-", 1)[-1]) % 1000
    return AnnotationCollection(Annotation(geometry=Point(i % 1000 + 1, row + i // 1000), image=image)
                                for i in range(n))


def _cytomine_annotation_count(conn: Connection, items: Sequence[Any], tag: str) -> Counter[Hashable]:
    wanted = {m.geometry.wkt for m in items}
    found = AnnotationCollection(image=_image(conn)).fetch(connection=conn)
    return collections.Counter(a.geometry.wkt for a in found if a.geometry is not None and a.geometry.wkt in wanted)


def _terms(conn: Connection, n: int, tag: str) -> Collection[Any]:
    ontology = Ontology(name=f"{tag} ontology").save(connection=conn)
    return TermCollection(Term(name=f"{tag} {i}", ontology=ontology.id, color="#336699") for i in range(n))


def _term_count(conn: Connection, items: Sequence[Any], tag: str) -> Counter[Hashable]:
    return collections.Counter(t.name for t in TermCollection(ontology=items[0].ontology).fetch(connection=conn))


def _clio_annotations(conn: Connection, n: int, tag: str) -> Collection[Any]:
    base = 10_000_000 + 100_000 * (int(tag.rsplit("-", 1)[-1]) % 100)
    return AnnotationCollection(Annotation(id=base + i, properties={"soma_side": "LHS", "comment": f"{tag} {i}"})
                                for i in range(n))


def _clio_annotation_count(conn: Connection, items: Sequence[Any], tag: str) -> Counter[Hashable]:
    # Clio writes are keyed by body id, so "twice" cannot happen: what is counted is whether
    # each body holds what was sent.
    found = AnnotationCollection(ids=[m.id for m in items]).fetch(connection=conn)
    return collections.Counter(a.id for a in found if (a.properties or {}).get("comment", "").startswith(f"{tag} "))


SCENARIOS: dict[str, Scenario] = {
    "catmaid neurons": Scenario("catmaid", _neurons, lambda m: m.name, _neuron_count),
    "catmaid connectors": Scenario("catmaid", _connectors, lambda m: (m.x, m.y, m.z), _connector_count),
    "catmaid annotations": Scenario("catmaid", _catmaid_annotations, lambda m: m.name, _catmaid_annotation_count),
    "catmaid volumes": Scenario("catmaid", _volumes, lambda m: m.name, _volume_count),
    "cytomine annotations": Scenario("cytomine", _cytomine_annotations, lambda m: m.geometry.wkt,
                                     _cytomine_annotation_count, bulk=True),
    "cytomine terms": Scenario("cytomine", _terms, lambda m: m.name, _term_count),
    "clio annotations": Scenario("clio", _clio_annotations, lambda m: m.id, _clio_annotation_count, bulk=True),
}


def soak(scenario: str, *, n: int, seed: int, refuse: float = 0.15, lose: float = 0.15, slow: float = 0.04,
         delay: float = 0.3, max_rounds: int = 12, max_seconds: float = 600.0, timeout: float = 20.0,
         retries: int = 3, max_workers: int = 8) -> SoakResult:
    """Save ``n`` new objects of ``scenario`` through a chaos proxy until ``save()`` returns
    (at most ``max_rounds`` rounds and ``max_seconds``), then count them on the server."""
    spec = SCENARIOS[scenario]
    tag = f"soak-{seed}"
    with serve(spec.backend) as server, ChaosProxy(server.url, seed=seed, refuse=refuse, lose=lose, slow=slow,
                                                  delay=delay) as proxy:
        direct = connect(server, progress=False, timeout=timeout)
        items = spec.make(direct, n, tag)
        faulty = Connection(proxy.url, backend=server.backend, project=server.project, token=server.token,
                            public_key=server.public_key, private_key=server.private_key, progress=False,
                            timeout=timeout, retries=retries, backoff=0.02, max_workers=max_workers)
        started = time.monotonic()
        rounds, converged, errors = 0, False, []
        while rounds < max_rounds and time.monotonic() - started < max_seconds:
            rounds += 1
            try:
                items.save(connection=faulty)
                converged = True
                break
            except PartialSaveError:
                continue
            except NeuromodelsError as e:  # a read before any write (a lookup of the whole batch)
                errors.append(f"{type(e).__name__}: {e}")
        seconds = time.monotonic() - started
        held = spec.count(direct, list(items), tag)
        wanted = {spec.key(m) for m in items}
        faulty.close()
        direct.close()
        return SoakResult(
            scenario=scenario, seed=seed, items=n, stored=sum(held[k] for k in wanted),
            duplicates=sum(held[k] - 1 for k in wanted if held[k] > 1),
            missing=sum(1 for k in wanted if held[k] == 0), rounds=rounds, converged=converged,
            seconds=seconds, fates=dict(proxy.fates), errors=errors[-3:])


def load_average() -> str:
    try:
        return " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "?"
