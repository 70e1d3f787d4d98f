"""CATMAID error shapes and fault handling, on the bundled server (which can inject faults)."""

import pytest

from .conftest import SWC
from neuromodels import (
    AuthenticationError,
    Conflict,
    Connection,
    Connector,
    Neuron,
    NeuronCollection,
    NotFound,
    PartialSaveError,
    PermissionDenied,
    ProtocolError,
    ServerError,
)
from neuromodels.testing import Fault


def conn_for(server, **kw):
    options = dict(backend="catmaid", project=server.project, token=server.token, timeout=5, retries=2,
                   backoff=0.01, progress=False)
    options.update(kw)
    return Connection(server.url, **options)


def count_skeletons(server, name):
    return server._app.db.read("SELECT COUNT(*) FROM class_instance WHERE kind = 'neuron' AND name = ?", (name,))[0][0]


def test_bad_token_drf_view_is_authentication_error(bundled):
    with conn_for(bundled, token="not-the-token"):
        with pytest.raises(AuthenticationError, match="Invalid token") as info:
            Neuron.fetch(1)
    assert info.value.status == 401


def test_bad_token_plain_view_is_anonymous_permission_denied(bundled):
    with conn_for(bundled, token="not-the-token") as conn:
        with pytest.raises(PermissionDenied, match="AnonymousUser"):
            conn.transport.request("GET", f"/{bundled.project}/skeleton/1/neuronname")


def test_anonymous_write_gets_csrf_page(bundled):
    with conn_for(bundled, token=None) as conn:
        with pytest.raises(PermissionDenied, match="403 Forbidden"):
            conn.transport.request("POST", f"/{bundled.project}/annotations/add", data={"annotations[0]": "x"})


def test_missing_trailing_slash_on_write_is_not_followed(bundled):
    with conn_for(bundled) as conn:
        with pytest.raises(ProtocolError, match="trailing slash"):
            conn.transport.request("POST", f"/{bundled.project}/volumes/1", data={"title": "x"})


def test_unknown_project_500_is_not_found_and_not_retried(bundled):
    before = bundled.requests
    with conn_for(bundled, project=999):
        with pytest.raises(NotFound, match="Project matching query does not exist"):
            Neuron.fetch(1)
    assert bundled.requests - before <= 5  # one per parallel task, one look at the projects, no retries


def test_rename_missing_neuron_is_not_found(bundled):
    with conn_for(bundled):
        n = Neuron(id=123456, neuron_id=123457, name="a")
        n.mark_clean()
        with pytest.raises(NotFound, match="Could not find neuron"):
            n.update(name="b")


def test_stale_state_is_conflict(bundled):
    with conn_for(bundled):
        n = Neuron.from_swc(SWC, name="state test").save()
        c = Connector(x=1.0, y=2.0, z=3.0, links=[(int(n.nodes.node_id.iloc[0]), "presynaptic_to")]).save()
        c.extra["edition_time"] = "2001-01-01T00:00:00.000Z"
        with pytest.raises(Conflict, match="differs from the database state"):
            c.update(x=4.0)
        with pytest.raises(Conflict):
            c.delete()  # the same stale time guards the delete
        Connector.fetch(c.id).delete()
        n.delete()


def test_read_retried_through_injected_faults(bundled):
    with conn_for(bundled):
        n = Neuron.from_swc(SWC, name="fault read").save()
        bundled.add_fault(Fault("status", status=502, path="compact-detail", times=1))
        bundled.add_fault(Fault("html", path="neuronnames", times=1))
        bundled.add_fault(Fault("truncate", path="forskeletons", when="after", times=1))
        assert len(Neuron.fetch(n.id).nodes) == 6
        n.delete()


def test_write_500_is_unknown_and_not_repeated(bundled):
    name = "not repeated"
    bundled.add_fault(Fault("status", status=500, path="skeletons/import", when="after"))
    with conn_for(bundled):
        with pytest.raises(ServerError):
            Neuron.from_swc(SWC, name=name).save()
    assert count_skeletons(bundled, name) == 1  # the server stored it once; no blind retry


def test_batch_save_partial_failure_then_resume_without_duplicates(bundled):
    names = [f"batch item {i}" for i in range(12)]
    batch = NeuronCollection(Neuron.from_swc(SWC, name=n) for n in names)
    bundled.add_fault(Fault("status", status=400, path="skeletons/import", skip=2))          # refused
    bundled.add_fault(Fault("reset", path="skeletons/import", when="after", skip=5))         # reply lost
    with conn_for(bundled, max_workers=1):
        with pytest.raises(PartialSaveError) as info:
            batch.save()
        e = info.value
        assert (len(e.saved), len(e.failed), len(e.unknown)) == (10, 1, 1)
        batch.save()  # resends the refused one, settles the lost reply by lookup
    assert all(n.id is not None for n in batch)
    assert len({n.id for n in batch}) == 12
    assert [count_skeletons(bundled, n) for n in names] == [1] * 12


def test_bulk_fetch_makes_few_requests_not_one_per_neuron(bundled):
    with conn_for(bundled, max_workers=4):
        batch = NeuronCollection(Neuron.from_swc(SWC, name=f"n+1 check {i}") for i in range(40)).save()
        before = bundled.requests
        fetched = NeuronCollection(ids=[n.id for n in batch]).fetch()
        used = bundled.requests - before
        assert len(fetched) == 40 and all(len(n.nodes) == 6 for n in fetched)
        assert used <= 4 + 3  # compact-detail chunks (one per worker) + names, neuron ids, annotations
        for n in fetched:
            n.name = n.name + " renamed"
        before = bundled.requests
        fetched.save()
        assert bundled.requests - before == 1  # one bulk neurons/rename
        assert {n.name for n in NeuronCollection(ids=[n.id for n in batch]).fetch(nodes=False)} == {
            f"n+1 check {i} renamed" for i in range(40)}
        batch.delete()


def test_connector_delete_sends_held_state(bundled):
    with conn_for(bundled):
        n = Neuron.from_swc(SWC, name="held state").save()
        c = Connector(x=1.0, y=2.0, z=3.0, links=[(int(n.nodes.node_id.iloc[0]), "presynaptic_to")]).save()
        assert c.extra["link_state"] and c.extra["edition_time"]
        c.extra["edition_time"] = "2001-01-01T00:00:00.000Z"  # stale: the server must refuse
        with pytest.raises(Conflict):
            c.delete()
        Connector.fetch(c.id).delete()  # fetched: no held state, nocheck
        n.delete()


def test_lost_import_settled_per_neuron(bundled):
    with conn_for(bundled, max_workers=1):
        # A different neuron already has the name: it must not be mistaken for the lost import.
        Neuron.from_swc(SWC + "7 3 1 1 1 1 6\n", name="settle twin").save()
        bundled.add_fault(Fault("reset", path="skeletons/import", when="after"))          # stored, reply lost
        bundled.add_fault(Fault("reset", path="skeletons/import", when="before", skip=1))  # never stored
        # Sent in order: "settle other" is stored but its reply lost; "settle twin" never arrives.
        batch = NeuronCollection([Neuron.from_swc(SWC, name="settle other"), Neuron.from_swc(SWC, name="settle twin")])
        with pytest.raises(PartialSaveError) as info:
            batch.save()
        assert len(info.value.unknown) == 2
        batch.save()  # the first is found, the second resent although a neuron of its name exists
    assert count_skeletons(bundled, "settle twin") == 2 and count_skeletons(bundled, "settle other") == 1
    assert all(n.id for n in batch)
