"""The history, provenance, statistics, sampler and landmark calls against the answers of a real
CATMAID (../shared/reference/catmaid/pymaid-more, recorded from pymaid 2.4.3): a loopback server
replays each recorded body for the request that matches it best. No bundled server runs here."""

import datetime as dt
import json
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from neuromodels import (
    AnnotationCollection,
    Connection,
    Landmark,
    LandmarkGroup,
    Neuron,
    NeuronCollection,
    Project,
    Sampler,
    SamplerCollection,
)

CAPTURES = Path(__file__).resolve().parents[3] / "shared" / "reference" / "catmaid" / "pymaid-more"
if not CAPTURES.is_dir():  # a worktree under /work/wt/<name>
    CAPTURES = Path("/work/shared/reference/catmaid/pymaid-more")

pytestmark = pytest.mark.skipif(not CAPTURES.is_dir(), reason="the pymaid-more reference captures are not here")


def _pairs(values):
    return {(k, str(v).lower()) for k, v in values.items()}


class Replay:
    """Answers each request with the recorded 200 response of the same method and path whose
    parameters match it best (most equal pairs, then fewest others)."""

    def __init__(self):
        self.by_path = {}
        for path in sorted(CAPTURES.glob("0*.json")):
            record = json.loads(path.read_text())
            if record["response"]["status"] != 200:
                continue
            request = record["request"]
            params = request.get("query") or request.get("form") or {}
            key = (request["method"], request["path"])
            self.by_path.setdefault(key, []).append((params, record["response"]["body"]))

    def __call__(self, environ, start_response):
        request = Request(environ)
        candidates = self.by_path.get((request.method, request.path), [])
        if not candidates:
            return Response("no capture", status=404)(environ, start_response)
        asked = _pairs({**request.args.to_dict(), **request.form.to_dict()})
        params, body = max(candidates, key=lambda c: (len(asked & _pairs(c[0])), -len(c[0])))
        return Response(json.dumps(body), content_type="application/json")(environ, start_response)


@pytest.fixture(scope="module")
def real():
    server = make_server("127.0.0.1", 0, Replay())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with Connection(f"http://127.0.0.1:{server.server_port}", backend="catmaid", project=1, token="recorded",
                        retries=0, progress=False) as conn:
            yield conn
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_change_history_of_a_split_and_a_join(real):
    rows = NeuronCollection([Neuron(id=s) for s in (139, 129, 237, 134)]).history().values.tolist()
    assert rows == [[[129], 110, False, 110], [[139], 30, False, 30], [[134], 25, False, 25],
                    [[139, 231], 20, True, 20], [[129, 237], 10, True, 10]]


def test_time_machine_before_and_after_a_join(real):
    joined = Neuron(id=139, name="capmore KC E")
    now = joined.at(dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc))
    before_join = joined.at("2026-12-06T08:52:30+00:00")
    before_import = joined.at("2026-12-06T08:00:00+00:00")
    # The fragment (imported 08:52:32.127 as skeleton 231) joined at 08:52:32.184: not part of it before.
    fragment_alone = joined.at("2026-12-06T08:52:32.150+00:00")
    assert len(now.nodes) == 50 and len(before_join.nodes) == 30 and before_import.nodes.empty
    assert len(fragment_alone.nodes) == 30
    assert (before_join.nodes.parent_id == -1).sum() == 1
    assert before_join.tags["soma"] == [19189] and "soma" not in before_import.tags
    assert set(now.connectors.relation) <= {"presynaptic_to", "postsynaptic_to"} and len(now.connectors) == 3


def test_origins_and_import_info(real):
    origins = NeuronCollection([Neuron(id=s) for s in (118, 124, 129, 134, 139, 144)]).origins()
    assert origins.source_id.tolist() == [1000, 1001, 1002, 1003, 1004, 1005]
    assert set(origins.source_url) == {"https://example.org/capmore-source"} and set(origins.source_project) == {7}
    info = NeuronCollection([Neuron(id=118), Neuron(id=124)]).import_info()
    assert info.values.tolist() == [[118, 40], [124, 60]]
    nodes = NeuronCollection([Neuron(id=134)]).import_info(nodes=True)
    assert nodes.imported_nodes[0].tolist() == list(range(19164, 19189))


def test_logs_transactions_and_user_history(real):
    project = Project(id=1)
    logs = project.logs(limit=20)
    assert len(logs) == 20 and logs.operation[0] == "rename_neuron" and logs.user[0] == "admin"
    assert str(logs.time.dtype) == "datetime64[ns, UTC]" and logs.time.is_monotonic_decreasing
    assert logs.text[2].startswith("Joined skeleton with ID 231")
    transactions = project.transactions(limit=15)
    assert transactions.label[0] == "skeletons.split" and transactions.transaction_id[0] == 1286
    assert transactions.time[0] == dt.datetime(2026, 12, 6, 8, 52, 33, 478692, tzinfo=dt.timezone.utc)
    history = project.user_history("2026-12-04", "2026-12-07")
    assert history[["user_id", "new_nodes", "new_reviewed_nodes", "new_import_nodes"]].values.tolist() == [
        [2, 375.0, 43.0, 19315.0]]


def test_statistics_annotations_and_users(real):
    stats = NeuronCollection([Neuron(id=118)]).contributors()
    assert stats.values.tolist() == [[2, 40, 3, 0, 14]]
    used = AnnotationCollection(user=2).fetch()
    assert [a.name for a in used][:2] == ["capmore_all", "capmore_left"] and used[0].extra["uses"] == 7
    assert used[0].extra["last_used"] == dt.datetime(2026, 12, 6, 8, 52, 27, 328680, tzinfo=dt.timezone.utc)
    graph = Project(id=1).entity_graph()
    assert ["capmore PN A", "capmore_left"] in graph[["entity_name", "annotation"]].values.tolist()
    assert graph.loc[graph.entity_name == "capmore PN A", "skeleton_ids"].iloc[0] == [118]
    assert [u.username for u in Project(id=1).members()] == ["AnonymousUser", "admin"]


def test_samplers_and_landmarks(real):
    (sampler,) = SamplerCollection(neuron=124).fetch()
    assert (sampler.id, sampler.neuron, sampler.interval_length, sampler.sampler_state) == (1, 124, 2000.0, 1)
    domains = Sampler(id=1).domains()
    assert domains[["domain_id", "start_node_id", "end_node_ids"]].values.tolist() == [[1, 18984, [19043]]]
    assert NeuronCollection([Neuron(id=s) for s in (118, 124, 129)]).sampler_counts().tolist() == [0, 1, 0]
    landmark = Landmark.fetch(243)
    assert landmark.name == "capmore LM 1" and [(p.id, p.x, p.y) for p in landmark.locations] == [(19333, 10000.0, 10000.0)]
    group = LandmarkGroup.fetch(245)
    assert group.members == [243, 244] and [p.id for p in group.locations] == [19333, 19334]
