"""Bad input gets a clear error before any request is sent (the server's request counter must
not move)."""

from __future__ import annotations

import base64
import json
import math
import time

import numpy as np
import pytest
from shapely.geometry import Point, Polygon

from neuromodels import (
    Annotation,
    AnnotationCollection,
    AuthenticationError,
    Connection,
    Connector,
    ConnectorCollection,
    ImageInstance,
    ImageInstanceCollection,
    Neuron,
    NeuronCollection,
    NotSupported,
    Project,
    Term,
    Volume,
)
from neuromodels.formats.swc import SWCError
from neuromodels.testing import serve

NAN = float("nan")
SWC = "1 1 0 0 0 5 -1\n2 3 10 0 0 1 1\n"
TWO_ROOTS = SWC + "3 1 5 5 5 1 -1\n"
TETRA = dict(vertices=[[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], faces=[[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
BOWTIE = Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])


def nan_nodes():
    n = Neuron.from_swc(SWC, name="nan")
    n.nodes.loc[1, "x"] = NAN
    return n


def expired_jwt():
    part = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{part({'alg': 'HS256'})}.{part({'email': 'a@b', 'exp': time.time() - 5})}.c2ln"


CASES = [
    # -- CATMAID ---------------------------------------------------------------------------------
    ("catmaid", "id as a string", lambda: Neuron.fetch("16"), TypeError),
    ("catmaid", "negative id", lambda: Neuron.fetch(-1), ValueError),
    ("catmaid", "float id", lambda: Neuron.fetch(1.5), TypeError),
    ("catmaid", "bool id", lambda: Neuron.fetch(True), TypeError),
    ("catmaid", "delete with a string id", lambda: Neuron().delete(id="7"), TypeError),
    ("catmaid", "two roots", lambda: Neuron.from_swc(TWO_ROOTS, name="two").save(), ValueError),
    ("catmaid", "| in a neuron name", lambda: Neuron.from_swc(SWC, name="a|b").save(), ValueError),
    ("catmaid", "over-long name", lambda: Neuron.from_swc(SWC, name="x" * 256).save(), ValueError),
    ("catmaid", "empty name", lambda: Neuron.from_swc(SWC, name=" ").save(), ValueError),
    ("catmaid", "name of the wrong type", lambda: Neuron.from_swc(SWC, name=5).save(), TypeError),
    ("catmaid", "NaN node coordinate", lambda: nan_nodes().save(), ValueError),
    ("catmaid", "neuron without nodes", lambda: Neuron(name="empty").save(), ValueError),
    ("catmaid", "tag with a comma", lambda: Neuron.from_swc(SWC, name="t", tags={"a,b": [1]}).save(), ValueError),
    ("catmaid", "empty annotation name on a neuron", lambda: Neuron.from_swc(SWC, name="t", annotations=[""]).save(), ValueError),
    ("catmaid", "annotation without name", lambda: Annotation(name="", targets=[1]).save(), ValueError),
    ("catmaid", "annotation without targets", lambda: Annotation(name="x", targets=[]).save(), ValueError),
    ("catmaid", "annotation target as a string", lambda: Annotation(name="x", targets=["1"]).save(), TypeError),
    ("catmaid", "NaN connector coordinate", lambda: Connector(x=NAN, y=0.0, z=0.0).save(), ValueError),
    ("catmaid", "connector coordinate as a string", lambda: Connector(x="1", y=0.0, z=0.0).save(), TypeError),
    ("catmaid", "infinite connector coordinate", lambda: Connector(x=math.inf, y=0.0, z=0.0).save(), ValueError),
    ("catmaid", "connector confidence 9", lambda: Connector(x=0.0, y=0.0, z=0.0, confidence=9).save(), ValueError),
    ("catmaid", "unknown link relation", lambda: Connector(x=0.0, y=0.0, z=0.0, links=[(1, "touches")]).save(), ValueError),
    ("catmaid", "link node as a string", lambda: Connector(x=0.0, y=0.0, z=0.0, links=[("1", "presynaptic_to")]).save(), TypeError),
    ("catmaid", "malformed link", lambda: Connector(x=0.0, y=0.0, z=0.0, links=[5]), TypeError),
    ("catmaid", "volume vertices N x 2", lambda: Volume(name="v", vertices=[[0, 0], [1, 0], [0, 1]], faces=[[0, 1, 2]]).save(), ValueError),
    ("catmaid", "volume face out of range", lambda: Volume(name="v", vertices=TETRA["vertices"], faces=[[0, 1, 9]]).save(), ValueError),
    ("catmaid", "NaN volume vertex", lambda: Volume(name="v", vertices=[[NAN, 0, 0], [1, 0, 0], [0, 1, 0]], faces=[[0, 1, 2]]).save(), ValueError),
    ("catmaid", "volume without faces", lambda: Volume(name="v", vertices=TETRA["vertices"], faces=np.zeros((0, 3))).save(), ValueError),
    ("catmaid", "volume without a name", lambda: Volume(**TETRA).save(), TypeError),
    ("catmaid", "unknown filter", lambda: NeuronCollection(colour=1).fetch(), ValueError),
    ("catmaid", "ids as strings", lambda: NeuronCollection(ids=["1"]).fetch(), TypeError),
    ("catmaid", "empty id list", lambda: NeuronCollection(ids=[]).fetch(), ValueError),
    ("catmaid", "annotation filter of the wrong type", lambda: NeuronCollection(annotation=1.5).fetch(), TypeError),
    ("catmaid", "name filter of the wrong type", lambda: NeuronCollection(name=5).fetch(), TypeError),
    ("catmaid", "negative limit", lambda: NeuronCollection().fetch(limit=-1), ValueError),
    ("catmaid", "relation filter of the wrong type", lambda: ConnectorCollection(relation=5).fetch(), TypeError),
    ("catmaid", "project filter as a string", lambda: ImageInstanceCollection(project="1").fetch(), TypeError),
    ("catmaid", "projects are read-only", lambda: Project(name="x").save(), NotSupported),
    ("catmaid", "unknown field in update", lambda: Neuron(id=5).update(nmae="x"), TypeError),
    ("catmaid", "connection= of the wrong type", lambda: Neuron.fetch(16, connection="x"), TypeError),
    ("catmaid", "unknown fetch option", lambda: NeuronCollection(ids=[1]).fetch(colour=True), TypeError),
    ("catmaid", "misspelt fetch option", lambda: Neuron.fetch(104, node=False), TypeError),
    ("catmaid", "NUL in a neuron name", lambda: Neuron.from_swc(SWC, name="a\x00b").save(), ValueError),
    ("catmaid", "NUL in an annotation name", lambda: Annotation(name="PN\x00", targets=[1]).save(), ValueError),
    ("catmaid", "id beyond int64", lambda: Neuron.fetch(2**63), ValueError),
    ("catmaid", "ids beyond int64", lambda: NeuronCollection(ids=[1, 2**64]).fetch(), ValueError),
    ("catmaid", "empty numpy id array", lambda: NeuronCollection(ids=np.array([], dtype=int)).fetch(), ValueError),
    ("catmaid", "typo in a field", lambda: setattr(Neuron(), "nmae", "x"), AttributeError),
    # -- Cytomine --------------------------------------------------------------------------------
    ("cytomine", "self-intersecting polygon", lambda: Annotation(geometry=BOWTIE, image=1).save(), ValueError),
    ("cytomine", "empty geometry", lambda: Annotation(geometry=Polygon(), image=1).save(), ValueError),
    ("cytomine", "text that is not WKT", lambda: Annotation(geometry="POINT (1", image=1).save(), ValueError),
    ("cytomine", "NaN coordinate", lambda: Annotation(geometry=Point(NAN, 1), image=1).save(), ValueError),
    ("cytomine", "image id as a string", lambda: Annotation(geometry=Point(1, 1), image="12").save(), TypeError),
    ("cytomine", "no image", lambda: Annotation(geometry=Point(1, 1)).save(), TypeError),
    ("cytomine", "term id as a float", lambda: Annotation(geometry=Point(1, 1), image=1, terms=[5.0]).save(), TypeError),
    ("cytomine", "bbox with three numbers", lambda: AnnotationCollection(bbox=(1, 2, 3)).fetch(), ValueError),
    ("cytomine", "bbox with NaN", lambda: AnnotationCollection(bbox=(NAN, 2, 3, 4)).fetch(), ValueError),
    ("cytomine", "show flag as a string", lambda: AnnotationCollection(showWKT="yes").fetch(), TypeError),
    ("cytomine", "term filter as a float", lambda: AnnotationCollection(term=5.0).fetch(), TypeError),
    ("cytomine", "unknown annotation filter", lambda: AnnotationCollection(colour="red").fetch(), ValueError),
    ("cytomine", "empty project name", lambda: Project(name="").save(), ValueError),
    ("cytomine", "term without ontology", lambda: Term(name="x").save(), TypeError),
    ("cytomine", "term colour not #RRGGBB", lambda: Term(name="x", ontology=1, color="red").save(), ValueError),
    ("cytomine", "thumbnail size 0", lambda: ImageInstance(id=1).thumbnail(max_size=0), ValueError),
    ("cytomine", "a batch with one bad annotation", lambda: AnnotationCollection([Annotation(geometry=Point(1, 1), image=1), Annotation(geometry=BOWTIE, image=1)]).save(), ValueError),
    ("cytomine", "neurons do not exist here", lambda: Neuron.fetch(1), NotSupported),
    # -- NeuroMorpho -----------------------------------------------------------------------------
    ("neuromorpho", "unknown neuron field", lambda: NeuronCollection(colour="blue").fetch(), ValueError),
    ("neuromorpho", "empty name", lambda: Neuron.fetch(name=""), ValueError),
    ("neuromorpho", "name with a slash", lambda: Neuron.fetch(name="a/b"), ValueError),
    ("neuromorpho", "field value of the wrong type", lambda: NeuronCollection(species=object()).fetch(), TypeError),
    ("neuromorpho", "sort of the wrong type", lambda: NeuronCollection(sort=1).fetch(), TypeError),
    ("neuromorpho", "read-only", lambda: Neuron(name="x").save(), NotSupported),
    # -- Clio ------------------------------------------------------------------------------------
    ("clio", "body id 0", lambda: Annotation(id=0, properties={}).save(), ValueError),
    ("clio", "body id as a string", lambda: Annotation(id="5", properties={}).save(), TypeError),
    ("clio", "no body id", lambda: Annotation(properties={"a": 1}).save(), ValueError),
    ("clio", "bodyid inside properties", lambda: Annotation(id=5, properties={"bodyid": 6}).save(), ValueError),
    ("clio", "NaN property", lambda: Annotation(id=5, properties={"x": NAN}).save(), ValueError),
    ("clio", "empty property name", lambda: Annotation(id=5, properties={"": 1}).save(), TypeError),
    ("clio", "target other than the body", lambda: Annotation(id=5, targets=[6], properties={}).save(), ValueError),
    ("clio", "property that is not JSON", lambda: Annotation(id=5, properties={"x": object()}).save(), TypeError),
    ("clio", "version of the wrong type", lambda: AnnotationCollection(version=3).fetch(), TypeError),
    ("clio", "field value of the wrong type", lambda: AnnotationCollection(hemilineage=object()).fetch(), TypeError),
    ("clio", "dataset name with a slash", lambda: Project.fetch("a/b"), ValueError),
    ("clio", "dataset id of the wrong type", lambda: Project.fetch(5), TypeError),
    # -- CAVE ------------------------------------------------------------------------------------
    ("cave", "row id as a string", lambda: Annotation.fetch("5", table="cell_types"), TypeError),
    ("cave", "rows without a table", lambda: AnnotationCollection().fetch(), ValueError),
    ("cave", "misspelt column", lambda: AnnotationCollection(table="cell_types", cell_tpye="x").fetch(), ValueError),
    ("cave", "column value of the wrong type", lambda: AnnotationCollection(table="cell_types", id__gt="4").fetch(),
     TypeError),
    ("cave", "a version and a timestamp", lambda: AnnotationCollection(table="cell_types", version=1,
                                                                      timestamp="2026-01-05T00:00:00").fetch(), ValueError),
    ("cave", "timestamp that is no time", lambda: AnnotationCollection(table="cell_types", timestamp="yesterday").fetch(),
     ValueError),
    ("cave", "a computed column written", lambda: Annotation(properties={"pt_root_id": 1},
                                                             extra={"table": "cell_types"}).save(), ValueError),
    ("cave", "a position of two numbers", lambda: Annotation(properties={"pt_position": [1, 2]},
                                                             extra={"table": "cell_types"}).save(), ValueError),
    ("cave", "NaN in a row", lambda: Annotation(properties={"size": NAN}, extra={"table": "cell_types"}).save(), ValueError),
    ("cave", "a misspelt field in a row", lambda: Annotation(properties={"pt_position": [1, 2, 3], "cell_typ": "x",
                                                                         "classification_system": "y"},
                                                             extra={"table": "cell_types"}).save(), ValueError),
    ("cave", "every root", lambda: NeuronCollection().fetch(), ValueError),
    ("cave", "root id as a string", lambda: Neuron.fetch("7"), TypeError),
    ("cave", "a misspelt relation", lambda: ConnectorCollection(relation="pre").fetch(), ValueError),
    ("cave", "datastack with a slash", lambda: Project.fetch("a/b"), ValueError),
    # -- files -----------------------------------------------------------------------------------
    (None, "SWC with six columns", lambda: Neuron.from_swc("1 1 0 0 0 -1\n"), SWCError),
    (None, "SWC cycle", lambda: Neuron.from_swc("1 1 0 0 0 1 2\n2 1 0 0 0 1 1\n"), SWCError),
    (None, "SWC missing parent", lambda: Neuron.from_swc("1 1 0 0 0 1 -1\n2 1 0 0 0 1 9\n"), SWCError),
]


@pytest.fixture(scope="module")
def servers():
    started = {name: serve(name).start() for name in ("catmaid", "cytomine", "neuromorpho", "clio", "cave")}
    try:
        yield started
    finally:
        for server in started.values():
            server.stop()


def connection(server):
    return Connection(server.url, backend=server.backend, project=server.project, token=server.token,
                      public_key=server.public_key, private_key=server.private_key, timeout=5, progress=False)


@pytest.mark.parametrize("backend,what,call,error", CASES, ids=[c[1] for c in CASES])
def test_refused_before_any_request(servers, backend, what, call, error):
    if backend is None:
        with pytest.raises(error):
            call()
        return
    server = servers[backend]
    with connection(server) as conn:
        # Servers that list their own fields are asked once; that read is not part of the case.
        for prime in ({"neuromorpho": lambda: NeuronCollection().filters(), "clio": lambda: AnnotationCollection().filters(),
                       "cave": lambda: AnnotationCollection(table="cell_types", id=1).fetch()}
                      .get(backend, lambda: None),):
            prime()
        before = server.requests
        with pytest.raises(error) as info:
            call()
        assert str(info.value), "the error says what is wrong"
        assert server.requests == before, f"{what}: a request was sent"
        del conn


def test_expired_clio_token_refused_before_sending(servers):
    server = servers["clio"]
    before = server.requests
    with Connection(server.url, backend="clio", project=server.project, token=expired_jwt()):
        with pytest.raises(AuthenticationError, match="expired"):
            Annotation.fetch(10000)
    assert server.requests == before


@pytest.mark.parametrize("kwargs", [
    {"timeout": 0}, {"timeout": -1}, {"retries": -1}, {"max_workers": 0}, {"verify": 3},
    {"signature": "5.x", "backend": "cytomine", "public_key": "a", "private_key": "b"},
    {"public_key": "only-one", "backend": "cytomine"},
])
def test_bad_connection_options(kwargs):
    options = {"backend": "catmaid", **kwargs}
    with pytest.raises((ValueError, TypeError)):
        Connection("http://127.0.0.1:9", **options)


def test_numpy_arrays_and_series_are_id_lists(servers):
    import pandas as pd

    server = servers["catmaid"]
    with connection(server):
        made = NeuronCollection(Neuron.from_swc(SWC, name=f"array {i}") for i in range(3)).save()
        ids = [n.id for n in made]
        for given in (np.array(ids), pd.Series(ids), np.array(ids, dtype=np.int32)):
            fetched = NeuronCollection(ids=given).fetch(nodes=False)
            assert [n.id for n in fetched] == ids and all(type(n.id) is int for n in fetched)
        assert Neuron.fetch(np.int64(ids[0])).id == ids[0]


def test_matrix_has_at_least_fifty_cases():
    assert len(CASES) + 1 + 7 >= 50
