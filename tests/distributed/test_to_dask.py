"""to_dask on a dask.distributed LocalCluster with worker processes, against bundled servers."""

from __future__ import annotations

import pytest
import shapely

from neuromodels import Annotation, AnnotationCollection, ImageInstanceCollection, Neuron, NeuronCollection
from neuromodels.distributed import ConnectionRecipe
from neuromodels.testing import connect, serve

SWC = "1 1 5040 6010 900 12.5 -1\n2 3 5080 6020 900 4 1\n3 3 5120 6030 909 4 2\n"


dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  host="127.0.0.1", silence_logs=40) as c, distributed.Client(c) as client:
        yield client


@pytest.fixture(scope="module")
def catmaid():
    with serve("catmaid") as server:
        with connect(server, progress=False):
            NeuronCollection([Neuron.from_swc(SWC, name=f"PN {i}", annotations=["PN"]) for i in range(25)]).save()
        yield server


def test_neurons_are_fetched_by_the_workers(cluster, catmaid):
    with connect(catmaid, progress=False) as conn:
        expected = NeuronCollection(annotation="PN").fetch(nodes=False).to_dataframe()
        catmaid.log.clear()
        ddf = NeuronCollection(annotation="PN").to_dask(partition_size=10, nodes=False)
        assert ddf.npartitions == 3
        before = len(catmaid.log)
        frame = ddf.compute().sort_values("id").reset_index(drop=True)
    assert list(frame.columns) == list(expected.columns)
    assert frame["id"].tolist() == sorted(expected["id"]) and len(frame) == 25
    assert sorted(frame["name"]) == sorted(expected["name"])
    # Lists and dicts stay Python objects (dask would make strings of them by default).
    assert all(a == ["PN"] for a in frame["annotations"]) and not any(isinstance(a, str) for a in frame["annotations"])
    # The partitions were fetched after to_dask returned, in bulk (the requests of fetch() per
    # partition, not one per neuron).
    assert 0 < len(catmaid.log) - before <= 6 * ddf.npartitions < 25
    workers = cluster.run(lambda: sorted(ConnectionRecipe._made))
    assert any(workers.values())  # the workers opened their own connections


def test_task_names_never_show_credentials(cluster, catmaid):
    with connect(catmaid, progress=False):
        ids = [n.id for n in NeuronCollection(annotation="PN").fetch(nodes=False)][:3]
        ddf = NeuronCollection(ids=ids).to_dask(nodes=False)
    graph = dict(ddf.__dask_graph__())
    assert graph and all(catmaid.token not in str(key) for key in graph)
    names = {str(key[0] if isinstance(key, tuple) else key) for key in graph}
    assert any(name.startswith("neuromodels-fetch-") for name in names)
    assert all(catmaid.token not in repr(task) for task in graph.values())


def test_known_ids_send_nothing_until_compute(catmaid):
    with connect(catmaid, progress=False):
        ids = [n.id for n in NeuronCollection(annotation="PN").fetch(nodes=False)][:5]
        meta = NeuronCollection(ids=ids[:1]).fetch(nodes=False).to_dataframe().iloc[:0]
        catmaid.log.clear()
        ddf = NeuronCollection(ids=ids).to_dask(partition_size=2, nodes=False, meta=meta)
        at_build = len(catmaid.log)
        frame = ddf.compute(scheduler="threads")
    assert at_build == 0 and frame["id"].tolist() == ids and ddf.npartitions == 3


def test_cytomine_annotations(cluster):
    with serve("cytomine") as server, connect(server, progress=False):
        image = ImageInstanceCollection(project=server.project).fetch()[0]
        AnnotationCollection([Annotation(geometry=shapely.box(i, i, i + 10, i + 10), image=image.id, project=server.project)
                              for i in range(0, 300, 10)]).save()
        expected = AnnotationCollection(project=server.project).fetch().to_dataframe()
        ddf = AnnotationCollection(project=server.project).to_dask()
        frame = ddf.compute()
    # Cytomine cannot fetch annotations by ids: one partition per image of the project.
    assert ddf.npartitions == 2
    assert len(frame) == 30 and sorted(frame["id"]) == sorted(expected["id"])


def test_a_rate_limited_server_is_waited_for(cluster):
    from neuromodels.testing import Fault

    fault = Fault(kind="status", status=429, retry_after=0.2, path=r"/skeleton/neuronnames", times=2, skip=1)
    with serve("catmaid", faults=[fault]) as server, connect(server, progress=False):
        NeuronCollection([Neuron.from_swc(SWC, name=f"RL {i}", annotations=["RL"]) for i in range(6)]).save()
        frame = NeuronCollection(annotation="RL").to_dask(partition_size=2, nodes=False).compute()
    # The workers' transports honoured Retry-After and retried: nothing lost, nothing doubled.
    assert fault.fired == 2 and sorted(frame["name"]) == [f"RL {i}" for i in range(6)]


def test_the_columns_come_from_a_partition_that_has_rows():
    """A first partition without rows (an image without annotations) says nothing of the
    backend's columns: the columns come from one that has rows, and no column is dropped."""
    with serve("cytomine") as server, connect(server, progress=False) as conn:
        resource = conn.backend.resource(Annotation)
        order = resource.partition_by.values(conn, {"project": server.project})
        assert len(order) == 2
        AnnotationCollection([Annotation(geometry=shapely.box(i, i, i + 10, i + 10), image=order[-1],
                                         project=server.project) for i in range(0, 50, 10)]).save()
        expected = AnnotationCollection(project=server.project).fetch().to_dataframe()
        ddf = AnnotationCollection(project=server.project).to_dask()
        frame = ddf.compute(scheduler="synchronous")
    assert list(ddf.columns) == list(expected.columns) == list(frame.columns)
    assert sorted(frame["id"]) == sorted(expected["id"]) and "terms" in frame.columns
