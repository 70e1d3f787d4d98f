"""Runs CAVEclient (the field's CAVE client) against a bundled CAVE deployment.

Run with CAVEclient's own Python (with cloud-volume, which ``skeleton.get_skeleton`` needs):

    python tests/peers/caveclient_check.py URL DATASTACK TOKEN

Prints one line per check and exits non-zero on the first mismatch. Standard library plus
CAVEclient only: this file never imports neuromodels. The ids are the bundled deployment's
(layer in the top byte: roots are layer 10, supervoxels layer 1).
"""

import datetime as dt
import sys

ROOT, SV = 10 << 56, 1 << 56
A, AB, C, C1, C2, D = ROOT + 1000, ROOT + 2000, ROOT + 1002, ROOT + 2001, ROOT + 2002, ROOT + 1003


def sv(k, j=0):
    return SV + 100 * (k + 1) + j


def main(url: str, datastack: str, token: str) -> int:
    from caveclient import CAVEclient

    client = CAVEclient(datastack, server_address=url, auth_token=token, write_server_cache=False)
    checks = 0

    def ok(what, condition):
        nonlocal checks
        checks += 1
        if not condition:
            raise AssertionError(what)
        print(f"ok  {what}")

    info = client.info.get_datastack_info()
    ok("info.get_datastack_info names the synapse table and the local server",
       info["synapse_table"] == "synapses" and info["local_server"] == url)
    ok("info: aligned volume", client.info.aligned_volume_name == "local_volume")
    ok("materialize.get_versions", sorted(client.materialize.get_versions()) == [1, 2])
    ok("materialize.get_tables", sorted(client.materialize.get_tables()) == ["cell_types", "synapses"])
    ok("materialize.get_table_metadata", client.materialize.get_table_metadata("cell_types")["schema_type"] == "cell_type_local")

    df = client.materialize.query_table("cell_types")
    ok("query_table: every row, positions joined", len(df) == 6 and list(df.pt_position.iloc[0]) == [1000, 1000, 100])
    df = client.materialize.query_table("cell_types", filter_equal_dict={"cell_type": "basket"})
    ok("query_table with filter_equal_dict", df.id.tolist() == [3] and df.pt_root_id.tolist() == [C])
    df = client.materialize.query_table("cell_types", filter_in_dict={"pt_root_id": [AB]}, materialization_version=2)
    ok("query_table with filter_in_dict at version 2 (the merged root)", sorted(df.id.tolist()) == [1, 2])
    df = client.materialize.query_table("cell_types", materialization_version=1)
    ok("query_table at version 1 (before the sixth row and the merge)", len(df) == 5 and df.pt_root_id.iloc[0] == A)
    df = client.materialize.query_table("synapses", filter_in_dict={"pre_pt_root_id": [D]}, select_columns=["id", "pre_pt_root_id", "size"])
    ok("query_table with select_columns", list(df.columns) == ["id", "pre_pt_root_id", "size"] and len(df) == 1)

    now = dt.datetime.now(dt.timezone.utc)
    live = client.materialize.live_query("cell_types", now)
    ok("materialize.live_query now: the split root", live.set_index("id").pt_root_id[3] == C1)
    past = client.materialize.live_query("cell_types", dt.datetime(2026, 1, 25, tzinfo=dt.timezone.utc),
                                         filter_equal_dict={"cell_type": "basket"})
    ok("materialize.live_query before the split", past.pt_root_id.tolist() == [C])

    ids = client.annotation.post_annotation("cell_types", [
        {"pt": {"position": [1000, 4000, 130]}, "cell_type": "peer", "classification_system": "caveclient"},
        {"pt": {"position": [1200, 4000, 130]}, "cell_type": "peer 2", "classification_system": "caveclient"}])
    ok("annotation.post_annotation returns the new ids", len(ids) == 2 and ids[1] == ids[0] + 1)
    got = client.annotation.get_annotation("cell_types", ids)
    ok("annotation.get_annotation", [g["cell_type"] for g in got] == ["peer", "peer 2"] and got[0]["valid"])
    mapping = client.annotation.update_annotation("cell_types", {
        "id": ids[0], "pt": {"position": [1000, 4000, 130]}, "cell_type": "peer, corrected", "classification_system": "caveclient"})
    new = mapping[str(ids[0])]
    ok("annotation.update_annotation maps the old id to a new one", new not in ids)
    old = client.annotation.get_annotation("cell_types", ids[0])[0]
    ok("the old row is superseded", old["superceded_id"] == new and not old["valid"])
    # live_query reads the last version and updates its roots; live_live_query reads the live table
    live = client.materialize.live_live_query("cell_types", dt.datetime.now(dt.timezone.utc),
                                              filter_equal_dict={"cell_types": {"classification_system": "caveclient"}})
    ok("materialize.live_live_query sees the writes, bound to the root under the point",
       sorted(live.cell_type) == ["peer 2", "peer, corrected"] and set(live.pt_root_id) == {D})
    ok("annotation.delete_annotation", sorted(client.annotation.delete_annotation("cell_types", [new, ids[1]])) == sorted([new, ids[1]]))
    ok("deleted rows leave the live table", len(client.materialize.live_live_query("cell_types", dt.datetime.now(dt.timezone.utc))) == 6)

    roots = client.chunkedgraph.get_roots([sv(0), sv(2, 0), sv(2, 4), sv(3)])
    ok("chunkedgraph.get_roots now", [int(r) for r in roots] == [AB, C1, C2, D])
    roots = client.chunkedgraph.get_roots([sv(0), sv(2)], timestamp=dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc))
    ok("chunkedgraph.get_roots in the past", [int(r) for r in roots] == [A, C])
    ok("chunkedgraph.get_latest_roots after a merge", [int(r) for r in client.chunkedgraph.get_latest_roots(A)] == [AB])
    ok("chunkedgraph.get_latest_roots after a split", sorted(int(r) for r in client.chunkedgraph.get_latest_roots(C)) == [C1, C2])
    ok("chunkedgraph.is_latest_roots", client.chunkedgraph.is_latest_roots([A, AB]).tolist() == [False, True])

    sk = client.skeleton.get_skeleton(D)
    ok("skeleton.get_skeleton (dict)", sk["vertices"].shape == (5, 3) and sk["edges"].shape == (4, 2))
    swc = client.skeleton.get_skeleton(AB, output_format="swc")
    ok("skeleton.get_skeleton (swc) of the merged root", len(swc) == 10 and (swc.parent == -1).sum() == 1)
    print(f"{checks} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3]))
