"""The bundled CATMAID answers the history, provenance, statistics, sampler and landmark requests
of ../shared/reference/catmaid/pymaid-more in the recorded shapes: keys, row lengths, value
types, the 301 of slash-less URLs and the quirks pymaid relies on (repeated plain ``types``,
``with_annotations=True``, ``annotated_with`` without index, ``sub_annotated_with``)."""

import json
from pathlib import Path

import pytest
import requests

from neuromodels.testing import serve

CAPTURES = Path("/work/shared/reference/catmaid/pymaid-more")
for parent in Path(__file__).resolve().parents:
    if (parent / "shared" / "reference" / "catmaid" / "pymaid-more").is_dir():
        CAPTURES = parent / "shared" / "reference" / "catmaid" / "pymaid-more"
        break

pytestmark = pytest.mark.skipif(not CAPTURES.is_dir(), reason="the pymaid-more reference captures are not here")


def recorded(number):
    (path,) = CAPTURES.glob(f"{number:03d}-*.json")
    return json.loads(path.read_text())["response"]["body"]


def shape(value):
    """Keys and types, recursively (lists by their first item)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__


@pytest.fixture(scope="module")
def world():
    with serve("catmaid") as server:
        s = requests.Session()
        s.headers["X-Authorization"] = f"Token {server.token}"
        base = f"{server.url}/{server.project}"
        made = []
        for k, name in enumerate(("A", "B")):
            swc = "".join(f"{i} 3 {1000 * k + 10 * i} 0 0 5 {i - 1 if i > 1 else -1}\n" for i in range(1, 6))
            made.append(s.post(f"{base}/skeletons/import", files={"file": ("n.swc", swc.encode())},
                               data={"name": name, "annotations[0]": f"side {name}", "source_id": str(1000 + k),
                                     "source_url": "https://example.org/src", "source_project_id": "7"}).json())
        annotations = {a["name"]: a["id"] for a in s.get(f"{base}/annotations/").json()["annotations"]}
        s.post(f"{base}/annotations/add", data={"entity_ids[0]": annotations["side A"],
                                                "entity_ids[1]": annotations["side B"],
                                                "annotations[0]": "meta"}).raise_for_status()
        yield {"s": s, "base": base, "made": made, "url": server.url}


def test_query_targets_quirks(world):
    s, base = world["s"], world["base"]
    meta = {a["name"]: a["id"] for a in s.get(f"{base}/annotations/").json()["annotations"]}["meta"]
    plain = s.post(f"{base}/annotations/query-targets", data=f"annotated_with={meta}",
                   headers={"Content-Type": "application/x-www-form-urlencoded"}).json()
    assert sorted(e["name"] for e in plain["entities"]) == ["side A", "side B"]
    assert shape(plain) == shape(recorded(30))
    deep = s.post(f"{base}/annotations/query-targets", data={"annotated_with[0]": meta, "sub_annotated_with[0]": meta,
                                                              "with_annotations": "False"}).json()
    assert sorted(e["name"] for e in deep["entities"] if e["type"] == "neuron") == ["A", "B"]
    graph = s.post(f"{base}/annotations/query-targets", headers={"Content-Type": "application/x-www-form-urlencoded"},
                   data=f"types=neuron&types=annotation&with_annotations=True&annotated_with={meta}").json()
    assert {e["type"] for e in graph["entities"]} == {"annotation"} and graph["entities"][0]["annotations"]
    assert shape(graph["entities"][0]["annotations"]) == shape(recorded(33)["entities"][0]["annotations"])


def test_history_provenance_and_statistics_shapes(world):
    s, base, (a, b) = world["s"], world["base"], world["made"]
    change = s.get(f"{base}/skeletons/change-history", params={"skeleton_ids[0]": a["skeleton_id"]}).json()
    assert change == [[[a["skeleton_id"]], 5, -1, 5]] and shape(change) == shape(recorded(35))
    bad = s.get(f"{base}/skeletons/change-history", params={"skeleton_ids[0]": "xyz"})
    assert bad.status_code == 400 and bad.json()["type"] == "ValueError"
    transactions = s.get(f"{base}/transactions/", params={"range_start": 0, "range_length": 15}).json()
    assert shape(transactions) == shape(recorded(40)) and transactions["transactions"][0]["label"] == "annotations.add"
    origin = s.post(f"{base}/skeletons/origin", data={"skeleton_ids[0]": a["skeleton_id"]}).json()
    assert shape(origin)["origins"][str(a["skeleton_id"])] == shape(recorded(43))["origins"]["118"]
    assert list(origin["data_sources"].values()) == [{"name": None, "url": "https://example.org/src", "source_project_id": 7}]
    by_origin = s.post(f"{base}/skeletons/from-origin", data={"source_ids[0]": 1000, "source_ids[1]": 1001,
                                                               "source_url": "https://example.org/src/",
                                                               "source_project_id": 7}).json()
    assert by_origin == {"1000": a["skeleton_id"], "1001": b["skeleton_id"]}
    missing = s.post(f"{base}/skeletons/from-origin", data={"source_ids[0]": 1000})
    assert missing.status_code == 400 and missing.json()["error"] == "Need source_url for origin lookup"
    info = s.post(f"{base}/skeletons/import-info", data={"skeleton_ids[0]": a["skeleton_id"], "with_treenodes": "True"})
    assert shape(info.json()) == {str(a["skeleton_id"]): shape(recorded(46))["134"]}
    stats = s.post(f"{base}/skeleton/contributor_statistics_multiple", data={"skids[0]": a["skeleton_id"]}).json()
    assert set(stats) == set(recorded(48)) and stats["node_contributors"] == {"2": 5}
    skeletons = s.get(f"{base}/skeletons/", params={"nodecount_gt": 0, "created_by": 2}).json()
    assert sorted(skeletons) == sorted([a["skeleton_id"], b["skeleton_id"]])
    assert s.get(f"{base}/skeletons/", params={"nodecount_gt": 5}).json() == []
    assert s.get(f"{base}/skeletons/", params={"nodecount_gt": 0, "reviewed_by": 2}).json() == []


def test_samplers_and_landmarks_shapes_and_redirects(world):
    s, base, url, (a, _) = world["s"], world["base"], world["url"], world["made"]
    made = s.post(f"{base}/samplers/add", data={"skeleton_id": a["skeleton_id"], "interval_length": 2000,
                                                 "review_required": "true", "create_interval_boundaries": "true"}).json()
    moved = s.get(f"{base}/samplers", params={"skeleton_ids[0]": a["skeleton_id"]}, allow_redirects=False)
    assert moved.status_code == 301 and moved.headers["Location"].endswith(f"/1/samplers/?skeleton_ids%5B0%5D={a['skeleton_id']}")
    samplers = s.get(f"{base}/samplers", params={"skeleton_ids[0]": a["skeleton_id"]}).json()
    assert shape(samplers) == shape(recorded(53)) and samplers[0]["id"] == made["id"]
    assert s.get(f"{base}/samplers/999999/domains/").json() == []
    s.post(f"{base}/samplers/{made['id']}/domains/add", data={"domain_type": 1, "start_node_id": 1,
                                                              "end_node_ids[0]": 2}).raise_for_status()
    assert shape(s.get(f"{base}/samplers/{made['id']}/domains").json()) == shape(recorded(57))
    assert s.post(f"{base}/skeletons/sampler-count", data={"skeleton_ids[0]": a["skeleton_id"]}).json() == {
        str(a["skeleton_id"]): 1}
    landmark = s.put(f"{base}/landmarks/", data={"name": "LM"}).json()
    s.put(f"{base}/landmarks/{landmark['id']}/locations/", data={"x": 1, "y": 2, "z": 3}).raise_for_status()
    listed = s.get(f"{base}/landmarks", params={"with_locations": "true"})
    assert shape(listed.json()) == shape(recorded(60)) and listed.headers["Allow"] == "GET, PUT, DELETE, HEAD, OPTIONS"
    group = s.put(f"{base}/landmarks/groups/", data={"name": "G"}).json()
    s.post(f"{base}/landmarks/groups/{group['id']}/", data={"members[0]": landmark["id"]}).raise_for_status()
    point = listed.json()[0]["locations"][0]["id"]
    s.put(f"{base}/landmarks/groups/{group['id']}/locations/{point}/").raise_for_status()
    groups = s.get(f"{base}/landmarks/groups", params={"with_locations": "true", "with_members": "true"})
    assert shape(groups.json()) == shape(recorded(62)) and groups.json()[0]["members"] == [landmark["id"]]
    assert groups.json()[0]["creation_time"].endswith("Z") and url.startswith("http://127.0.0.1")
