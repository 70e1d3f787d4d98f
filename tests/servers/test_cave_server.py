"""The bundled CAVE on the wire, where the client does not look: tokens, the engine's refusals,
JSON replies with split positions, and data kept across a restart."""

import requests

from neuromodels.testing import serve

AV = "/annotation/api/v2/aligned_volume/local_volume/table"
QUERY = "/materialize/api/v2/datastack/local_v1/version/2/table/cell_types/query"


def test_tokens_header_cookie_or_parameter(tmp_path):
    with serve("cave") as server:
        url = server.url + "/auth/api/v1/user/cache"
        assert requests.get(url, timeout=5).status_code == 401
        bad = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=5)
        assert bad.status_code == 401 and "Invalid" in bad.json()["message"]
        assert requests.get(url, cookies={"middle_auth_token": server.token}, timeout=5).json()["id"] == 1
        assert requests.get(url, params={"middle_auth_token": server.token}, timeout=5).status_code == 200
        assert requests.get(server.url + "/info/version", timeout=5).json() == "4.5.0"  # public


def test_engine_refusals_and_json_queries(tmp_path):
    db = str(tmp_path / "cave.sqlite")
    with serve("cave", db=db) as server:
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {server.token}"
        row = {"pt": {"position": [1000, 4000, 130]}, "cell_type": "x", "classification_system": "y"}
        assert s.post(server.url + AV + "/cell_types/annotations", json={"annotations": [{**row, "extra": 1}]},
                      timeout=5).status_code == 422
        assert s.post(server.url + AV, json={"table_name": "Bad Name", "schema_type": "bound_tag",
                                              "metadata": {"description": "d"}}, timeout=5).status_code == 400
        assert s.post(server.url + AV, json={"table_name": "tags", "schema_type": "bound_tag",
                                              "metadata": {"description": "d"}}, timeout=5).text == "tags"
        (new,) = s.post(server.url + AV + "/cell_types/annotations", json={"annotations": [row]}, timeout=5).json()
        first = s.put(server.url + AV + "/cell_types/annotations", json={"annotations": [{"id": new, **row}]}, timeout=5)
        again = s.put(server.url + AV + "/cell_types/annotations", json={"annotations": [{"id": new, **row}]}, timeout=5)
        assert first.json() == {str(new): new + 1} and again.status_code == 409
        rows = s.post(server.url + QUERY, json={"filter_in_dict": {"cell_types": {"id": [1, 2]}}}, timeout=5,
                      params={"return_pyarrow": "false", "split_positions": "true"}).json()
        assert [r["pt_position_y"] for r in rows] == [1000, 2000] and rows[0]["created"] == 1767225600000
        unknown = s.post(server.url + QUERY, json={"filter_equal_dict": {"cell_types": {"nope": 1}}}, timeout=5)
        assert unknown.status_code == 400 and "nope" in unknown.json()["message"]
    with serve("cave", db=db) as again_server:  # the same database: same token, rows and tables kept
        assert again_server.token == server.token
        tables = requests.get(again_server.url + AV, headers={"Authorization": f"Bearer {server.token}"}, timeout=5)
        assert tables.json() == ["cell_types", "synapses", "tags"]
