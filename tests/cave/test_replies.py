"""Whatever a CAVE service answers, the backend gives models or a typed error — never a raw
exception (property-based: hypothesis writes the replies)."""

import pytest

from neuromodels import AnnotationCollection, NeuromodelsError, NeuronCollection, ProtocolError
from neuromodels.testing import serve
from neuromodels.testing.cave.base import reply

from .conftest import A, connect_to

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

SCALARS = st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | st.floats(allow_nan=True) | st.text(max_size=6)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                    max_leaves=8)
COLUMNS = st.sampled_from(["id", "created", "valid", "pt_position", "pt_position_x", "pt_root_id", "pt_supervoxel_id",
                           "cell_type"])
ROWS = st.lists(st.dictionaries(COLUMNS, JSON, max_size=6), max_size=3)
NODE_LINK = st.fixed_dictionaries({"nodes": st.lists(st.dictionaries(st.sampled_from(["id", "timestamp"]), JSON), max_size=3),
                                   "links": st.lists(st.dictionaries(st.sampled_from(["source", "target"]), JSON), max_size=3)})
CHECK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def hostile():
    with serve("cave") as server:
        yield server


def answered(server, view, body, status, call):
    """Run ``call`` while ``view`` answers ``body`` with ``status``; the outcome's type."""
    app = server._app
    setattr(app, view, lambda request, user, **kw: reply(body, status))
    try:
        with connect_to(server, retries=0):
            return type(call())
    except NeuromodelsError as e:
        return type(e)
    finally:
        delattr(app, view)


@CHECK
@given(body=JSON | ROWS, status=st.sampled_from([200, 200, 400, 404, 500]))
def test_any_query_reply_gives_rows_or_a_typed_error(hostile, body, status, monkeypatch):
    monkeypatch.setattr("neuromodels.backends.cave.services._has_arrow", lambda: False)
    outcome = answered(hostile, "live_query", body, status, lambda: AnnotationCollection(table="cell_types").fetch())
    assert outcome is AnnotationCollection or issubclass(outcome, NeuromodelsError)
    if status == 200 and not isinstance(body, list):
        assert issubclass(outcome, (ProtocolError, NeuromodelsError)) and outcome is not AnnotationCollection


@CHECK
@given(body=JSON | NODE_LINK)
def test_any_lineage_reply_gives_neurons_or_a_protocol_error(hostile, body):
    outcome = answered(hostile, "lineage", body, 200, lambda: NeuronCollection(latest_of=A).fetch())
    assert outcome is NeuronCollection or issubclass(outcome, NeuromodelsError)


@CHECK
@given(body=JSON)
def test_any_datastack_reply_gives_a_project_or_a_protocol_error(hostile, body):
    from neuromodels import Project

    outcome = answered(hostile, "datastack", body, 200, lambda: Project.fetch("local_v1"))
    assert outcome is Project or issubclass(outcome, ProtocolError)
