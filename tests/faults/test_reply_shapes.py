"""Every reply the client reads, mutated (property-based, with hypothesis): a key dropped, null,
another type, a string for a number, a list for an object, nesting 600 deep, invalid WKT,
broken JSON. Only typed errors (``NeuromodelsError``) come out, never a raw exception; and a
create whose reply was mutated is never left NEW (it would be sent again while the server may
have stored it).

The examples per endpoint family are few in the suite; ``NEUROMODELS_HYPOTHESIS_EXAMPLES=5000``
runs thousands (``benchmarks/reply_shapes.py`` prints the figures).
"""

from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from neuromodels import (
    Annotation, AnnotationCollection, Connection, Connector, ConnectorCollection, ImageInstance,
    ImageInstanceCollection, Link, Neuron, NeuronCollection, NeuromodelsError, OntologyCollection, PartialSaveError,
    Project, ProjectCollection, Term, TermCollection, Volume, VolumeCollection,
)
from neuromodels.core.model import SaveState
from neuromodels.testing import connect, serve

from .replies import MUTATIONS, Recording, mutate, recording, replaying

EXAMPLES = int(os.environ.get("NEUROMODELS_HYPOTHESIS_EXAMPLES", "100"))
SWC = "1 1 0 0 0 5 -1\n2 3 10 0 0 5 1\n3 3 20 0 0 5 2\n"
BOX = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1], [1, 0, 1], [0, 1, 1], [1, 1, 1]], float)
FACES = np.array([[0, 2, 1], [1, 2, 3], [4, 5, 6], [5, 7, 6], [0, 1, 4], [1, 5, 4],
                  [2, 6, 3], [3, 6, 7], [0, 4, 2], [2, 4, 6], [1, 3, 5], [3, 7, 5]])

#: An operation: (name, function of the connection and what the setup found, creates it makes).
Op = tuple[str, Callable[[Connection, dict[str, Any]], Any], bool]


def _save(batch: Any) -> Any:
    try:
        batch.save()
    except PartialSaveError:
        pass
    return batch


def _renamed(neuron: Neuron) -> Neuron:
    neuron.name = "renamed for the shape test"
    return neuron


CATMAID: list[Op] = [
    ("ping", lambda c, x: c.ping(), False),
    ("projects", lambda c, x: ProjectCollection().fetch(), False),
    ("project", lambda c, x: Project.fetch(c.project), False),
    ("neuron", lambda c, x: Neuron.fetch(x["skid"]), False),
    ("neurons by annotation", lambda c, x: NeuronCollection(annotation="PN").fetch(), False),
    ("neurons by name", lambda c, x: NeuronCollection(name="PN").fetch(nodes=False), False),
    ("count", lambda c, x: NeuronCollection(annotation="PN").count(), False),
    ("annotations", lambda c, x: AnnotationCollection(neuron=x["skid"]).fetch(), False),
    ("connectors", lambda c, x: ConnectorCollection(neuron=x["skid"]).fetch(), False),
    ("volumes", lambda c, x: VolumeCollection().fetch(), False),
    ("stacks", lambda c, x: ImageInstanceCollection().fetch(), False),
    ("partners", lambda c, x: Neuron.fetch(x["skid"], nodes=False).partners(), False),
    ("adjacency", lambda c, x: NeuronCollection(annotation="PN").fetch(nodes=False).adjacency(), False),
    ("reviews", lambda c, x: Neuron.fetch(x["skid"], nodes=False).reviews(), False),
    ("connector fetch", lambda c, x: Connector.fetch(x["connector"]), False),
    ("volume fetch", lambda c, x: Volume.fetch(x["volume"]), False),
    ("annotation fetch", lambda c, x: Annotation.fetch(x["annotation"]), False),
    ("neurons in volume", lambda c, x: NeuronCollection(volume=x["volume"]).fetch(nodes=False), False),
    ("rename", lambda c, x: _save(NeuronCollection([_renamed(Neuron.fetch(x["skid"], nodes=False))])), False),
    ("import", lambda c, x: _save(NeuronCollection([Neuron.from_swc(SWC, name="shape test")])), True),
    ("connector", lambda c, x: _save(ConnectorCollection([Connector(x=1.0, y=2.0, z=3.0,
                                                                    links=[Link(x["node"], "presynaptic_to")])])), True),
    ("annotate", lambda c, x: _save(AnnotationCollection([Annotation(name="shape", targets=[x["skid"]])])), False),
    ("volume", lambda c, x: _save(VolumeCollection([Volume(name="shape", vertices=BOX, faces=FACES)])), True),
]

CYTOMINE: list[Op] = [
    ("projects", lambda c, x: ProjectCollection().fetch(), False),
    ("images", lambda c, x: ImageInstanceCollection().fetch(), False),
    ("annotations", lambda c, x: AnnotationCollection(image=x["image"]).fetch(), False),
    ("annotation", lambda c, x: Annotation.fetch(x["annotation"]), False),
    ("count", lambda c, x: AnnotationCollection(image=x["image"]).count(), False),
    ("terms", lambda c, x: TermCollection(project=c.project).fetch(), False),
    ("ontologies", lambda c, x: OntologyCollection().fetch(), False),
    ("image", lambda c, x: ImageInstance.fetch(x["image"]), False),
    ("annotations with properties", lambda c, x: AnnotationCollection(image=x["image"]).fetch(properties=True), False),
    ("create annotations", lambda c, x: _save(AnnotationCollection(
        [Annotation(geometry=Point(5, 5), image=x["image"]), Annotation(geometry=Point(6, 5), image=x["image"])])), True),
    ("create term", lambda c, x: _save(TermCollection([Term(name="shape", ontology=x["ontology"], color="#112233")])),
     True),
]

CLIO: list[Op] = [
    ("datasets", lambda c, x: ProjectCollection().fetch(), False),
    ("annotation", lambda c, x: Annotation.fetch(10000), False),
    ("by ids", lambda c, x: AnnotationCollection(ids=[10003, 10000]).fetch(), False),
    ("query", lambda c, x: AnnotationCollection(hemilineage="07B", soma_side="LHS").fetch(), False),
    ("count", lambda c, x: AnnotationCollection(hemilineage="07B").count(), False),
    ("dataset", lambda c, x: Project.fetch(c.project), False),
    ("upsert", lambda c, x: _save(AnnotationCollection([Annotation(id=990001, properties={"hemilineage": "07B"})])),
     False),
]

NEUROMORPHO: list[Op] = [
    ("neuron", lambda c, x: Neuron.fetch(x["neuron"]), False),
    ("listing", lambda c, x: NeuronCollection().fetch(limit=5, nodes=False), False),
    ("morphometry", lambda c, x: Neuron.fetch(x["neuron"], nodes=False).morphometry(), False),
    ("count", lambda c, x: NeuronCollection().count(), False),
]


def _catmaid_setup(conn: Connection) -> dict[str, Any]:
    batch = NeuronCollection([Neuron.from_swc(SWC, name="PN VA6 right", annotations=["PN"]),
                              Neuron.from_swc(SWC, name="PN VA6 left", annotations=["PN"])]).save()
    n = batch[0]
    node = int(n.nodes.node_id.iloc[0])
    connector = Connector(x=0.0, y=10.0, z=0.0, links=[Link(node, "presynaptic_to"),
                                                       Link(int(batch[1].nodes.node_id.iloc[1]), "postsynaptic_to")]).save()
    volume = Volume(name="box", vertices=BOX * 100, faces=FACES).save()
    annotation = AnnotationCollection(neuron=n.id).fetch()[0]
    return {"skid": n.id, "node": node, "connector": connector.id, "volume": volume.id, "annotation": annotation.id}


def _cytomine_setup(conn: Connection) -> dict[str, Any]:
    from neuromodels import Ontology

    image = max(ImageInstanceCollection().fetch(), key=lambda i: (i.width or 0) * (i.height or 0)).id
    first = Annotation(geometry=Point(3, 3), image=image).save()
    return {"image": image, "annotation": first.id, "ontology": Ontology(name="shapes").save().id}


def _neuromorpho_setup(conn: Connection) -> dict[str, Any]:
    return {"neuron": NeuronCollection().fetch(limit=1, nodes=False)[0].id}


FAMILIES: dict[str, tuple[str, list[Op], Callable[[Connection], dict[str, Any]]]] = {
    "catmaid": ("catmaid", CATMAID, _catmaid_setup),
    "cytomine": ("cytomine", CYTOMINE, _cytomine_setup),
    "clio": ("clio", CLIO, lambda conn: {}),
    "neuromorpho": ("neuromorpho", NEUROMORPHO, _neuromorpho_setup),
}
WRITES = ("POST", "PUT", "DELETE", "PATCH")
READ_POSTS = ("compact-detail", "query-targets", "neuronnames", "from-models", "forskeletons", "/query",
              "user-info", "/connectors/", "in-bounding-box", "connectivity")


class Family:
    """A bundled server, a connection to it, and each operation's recorded replies."""

    def __init__(self, name: str) -> None:
        backend, self.ops, setup = FAMILIES[name]
        self.server = serve(backend).start()
        self.conn = connect(self.server, retries=0, timeout=5, progress=False, max_workers=2)
        self.recorded: dict[str, Recording] = {}
        with self.conn:
            self.context = setup(self.conn)
            for op_name, op, _ in self.ops:
                with recording() as record:
                    op(self.conn, self.context)
                self.recorded[op_name] = record

    def run(self, op: Callable[[Connection, dict[str, Any]], Any]) -> Any:
        with self.conn:
            return op(self.conn, self.context)

    def close(self) -> None:
        self.conn.close()
        self.server.stop()


@pytest.fixture(scope="module", params=sorted(FAMILIES))
def family(request: Any) -> Any:
    made = Family(request.param)
    yield made
    made.close()


def is_write(key: tuple[str, str, str, str]) -> bool:
    return key[0] in WRITES and not any(part in key[1] for part in READ_POSTS)


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_mutated_reply_is_a_typed_error_and_never_resent(family: Family, data: Any) -> None:
    name, op, creates = data.draw(st.sampled_from(family.ops), label="operation")
    record = family.recorded[name]
    target = data.draw(st.sampled_from(record.keys), label="reply")
    kind = data.draw(st.sampled_from(MUTATIONS), label="mutation")
    pick = data.draw(st.integers(0, 10_000), label="place")
    result: Any = None
    with replaying(record, target, lambda content: mutate(content, kind, pick)) as asked:
        try:
            result = family.run(op)
        except NeuromodelsError:
            pass
        except Exception as e:  # noqa: BLE001 - what this test exists to catch
            pytest.fail(f"{name}: {kind} of {target[0]} {target[1]} escaped as {type(e).__name__}: {e}")
    undone = any(key[0] == "DELETE" for key in asked)  # the client undid an ambiguous batch first
    if creates and is_write(target) and result is not None and not undone:
        # The server stored the create (its reply is recorded): never left to be sent again.
        left_new = [m for m in result if m.state is SaveState.NEW and m.id is None]
        assert not left_new, f"{name}: {kind} of the create's reply left {len(left_new)} item(s) to be resent"


# -- the malformed replies seen in the field, one by one --------------------------------------------------
def deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


def envelope(rows: list[Any], size: Any = None) -> dict[str, Any]:
    return {"collection": rows, "offset": 0, "perPage": 10, "size": len(rows) if size is None else size,
            "totalPages": 1}


CYTOMINE_ROW = {"id": 5, "class": "be.cytomine.domain.ontology.UserAnnotation", "location": "BOGUS (1 2)",
                "image": 1, "project": 1, "user": 1, "term": [], "created": "1700000000000"}
LISTED: list[tuple[str, str, str, Any]] = [
    ("catmaid", "projects", "/projects/", {"a": 1}),
    ("catmaid", "projects", "/projects/", [{"id": "x"}]),
    ("catmaid", "projects", "/projects/", [None]),
    ("catmaid", "neuron", "/neurons/from-models", {"1": "abc"}),
    ("catmaid", "neuron", "/skeletons/compact-detail", {"skeletons": []}),
    ("catmaid", "neurons by annotation", "/annotations/query-targets", {"totalRecords": "many", "entities": []}),
    ("catmaid", "stacks", "/stack/1/info", {"stitle": "no sid", "pid": 1}),
    ("cytomine", "annotations", "/api/annotation.json", envelope([CYTOMINE_ROW])),
    ("cytomine", "annotations", "/api/annotation.json", envelope([], size="x")),
    ("clio", "datasets", "/v2/datasets", {"VNC": "just a string"}),
    ("clio", "annotation", "/id-number/10000", [{"bodyid": 10000, "status": deep(600)}]),
]


@pytest.fixture(scope="module")
def families() -> Any:
    made = {name: Family(name) for name in ("catmaid", "cytomine", "clio")}
    yield made
    for family in made.values():
        family.close()


@pytest.mark.parametrize("backend, op_name, path, body", LISTED,
                         ids=[f"{b}-{p}-{str(body)[:20]}" for b, _, p, body in LISTED])
def test_a_malformed_reply_is_a_protocol_error_naming_the_request(families: Any, backend: str, op_name: str,
                                                                   path: str, body: Any) -> None:
    import json

    from neuromodels import ProtocolError

    family = families[backend]
    record = family.recorded[op_name]
    target = next(key for key in record.keys if path in key[1])
    op = next(op for name, op, _ in family.ops if name == op_name)
    with replaying(record, target, lambda content: json.dumps(body).encode()):
        with pytest.raises(ProtocolError) as info:
            family.run(op)
    assert info.value.method == target[0] and path in (info.value.path or "")
    assert info.value.path in str(info.value)
