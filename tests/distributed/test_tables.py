"""to_dask(table=...): the long tables (CATMAID nodes and connectors, Cytomine geometries) built
by the partitions, equal to the tables of fetch(); bad table names refused before any request.
Computed with dask's synchronous scheduler after a pickle round trip of every task (as worker
processes receive them); the LocalCluster itself is exercised in test_to_dask.py."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest
import shapely

from neuromodels import Annotation, AnnotationCollection, ImageInstanceCollection, Neuron, NeuronCollection
from neuromodels.errors import NotSupported
from neuromodels.testing import connect, serve

dd = pytest.importorskip("dask.dataframe")

SWC = "1 1 5040 6010 900 12.5 -1\n2 3 5080 6020 900 4 1\n3 3 5120 6030 909 4 2\n"


@pytest.fixture(scope="module")
def catmaid():
    with serve("catmaid") as server:
        with connect(server, progress=False):
            NeuronCollection([Neuron.from_swc(SWC, name=f"T {i}", annotations=["tables"]) for i in range(7)]).save()
        yield server


def computed(ddf):
    """Every partition's task pickled and unpickled (as a worker process gets it), then run."""
    graph = dict(ddf.__dask_graph__())
    assert all(pickle.loads(pickle.dumps(task)) is not None for task in graph.values())
    return ddf.compute(scheduler="sync").reset_index(drop=True)


def test_the_node_table_is_the_fetched_nodes_with_their_skeleton(catmaid):
    with connect(catmaid, progress=False):
        neurons = NeuronCollection(annotation="tables").fetch()
        expected = pd.concat([n.nodes.assign(skeleton_id=n.id) for n in neurons], ignore_index=True)
        ddf = NeuronCollection(annotation="tables").to_dask(table="nodes", partition_size=3)
        assert ddf.npartitions == 3 and list(ddf.columns)[:2] == ["skeleton_id", "node_id"]
        frame = computed(ddf)
    key = ["skeleton_id", "node_id"]
    pd.testing.assert_frame_equal(frame.sort_values(key).reset_index(drop=True),
                                  expected[frame.columns].sort_values(key).reset_index(drop=True))


def test_the_connector_table_has_the_connector_columns(catmaid):
    with connect(catmaid, progress=False):
        frame = computed(NeuronCollection(annotation="tables").to_dask(table="connectors"))
        columns = NeuronCollection(annotation="tables").fetch()[0].connectors.columns
    assert list(frame.columns) == ["skeleton_id", *columns] and frame.empty  # these neurons have no synapses


def test_a_misspelt_table_is_refused_before_any_request(catmaid):
    with connect(catmaid, progress=False):
        before = catmaid.requests
        with pytest.raises(ValueError, match=r"did you mean 'nodes'"):
            NeuronCollection(annotation="tables").to_dask(table="node")
        with pytest.raises(ValueError, match=r"needs nodes=True"):
            NeuronCollection(annotation="tables").to_dask(table="nodes", nodes=False)
        assert catmaid.requests == before


def test_cytomine_geometries_table():
    with serve("cytomine") as server, connect(server, progress=False):
        image = sorted(ImageInstanceCollection().fetch(), key=lambda i: i.id)[0]
        saved = AnnotationCollection(Annotation(geometry=shapely.box(10 + i, 10, 20 + i, 20), image=image.id)
                                     for i in range(5)).save()
        frame = computed(AnnotationCollection(image=image.id).to_dask(table="geometries"))
        assert list(frame.columns) == ["id", "image", "project", "geometry"]
        by_id = {a.id: a.geometry for a in saved}
        assert sorted(frame["id"]) == sorted(by_id)
        assert all(g.equals(by_id[i]) for i, g in zip(frame["id"], frame["geometry"]))
        with pytest.raises(ValueError, match=r"tables: geometries"):
            AnnotationCollection(image=image.id).to_dask(table="nodes")


def test_a_model_without_long_tables_says_so():
    from neuromodels import Annotation
    from neuromodels.connection import load_backend
    from neuromodels.distributed_tables import table_builder

    with pytest.raises(NotSupported, match=r"no long table"):
        table_builder(load_backend("clio").resource(Annotation), "nodes", {})
