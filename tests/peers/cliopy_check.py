"""Runs clio-py (PyPI ``clio-py``) against a bundled Clio server on https.

    REQUESTS_CA_BUNDLE=<certificate> python tests/peers/cliopy_check.py URL TOKEN DATASET

clio-py refuses http, and reads DVID (the dataset's ``dvid`` url, which the bundled server
points at itself) with plain ``requests``: trusting the server's self-signed certificate goes
through ``REQUESTS_CA_BUNDLE``. Prints one line per check and ``N passed, M failed``; exits
non-zero when a check failed. Uses clio-py only: this file never imports neuromodels.
"""

import sys
import traceback


def main(url: str, token: str, dataset: str) -> int:
    import clio
    import numpy as np

    results = []

    def check(name, fn):
        try:
            outcome = fn()
            assert outcome is not False, "check returned False"
            results.append(True)
            print(f"ok   {name}")
        except Exception:  # noqa: BLE001 - every check is reported, then the next runs
            results.append(False)
            print(f"FAIL {name}\n{traceback.format_exc()}")

    client = clio.Client(server=url, dataset=dataset, token=token)
    check("connect: the dataset is chosen", lambda: client.dataset == dataset)
    check("meta: the DVID url is this server's own", lambda: client.meta["dvid"].startswith(url))
    versions = client.fetch_versions()
    check("fetch_versions: tag -> uuid", lambda: set(versions) >= {"v0.3.31", "v0.3.32", "v0.3.33"})
    check("head_version / head_uuid", lambda: versions[client.head_version] == client.head_uuid)
    check("tag_to_uuid / uuid_to_tag",
          lambda: client.uuid_to_tag(client.tag_to_uuid("v0.3.32")) == "v0.3.32")
    roles = client.fetch_roles()
    check("fetch_roles", lambda: dataset in roles["datasets"] and "clio_general" in roles["datasets"][dataset])
    check("fetch_fields", lambda: "hemilineage" in client.fetch_fields())

    one = clio.fetch_annotations(10003)
    check("fetch_annotations(bodyid)", lambda: one.bodyid.tolist() == [10003] and one.hemilineage[0] == "08A")
    many = clio.fetch_annotations([10000, 10003, 10006])
    check("fetch_annotations([ids])", lambda: sorted(many.bodyid) == [10000, 10003, 10006])
    query = clio.fetch_annotations(hemilineage="07B", soma_side="LHS")
    check("fetch_annotations(**filters)",
          lambda: len(query) > 0 and set(query.hemilineage) == {"07B"} and set(query.soma_side) == {"LHS"})
    everything = clio.fetch_annotations()
    check("fetch_annotations() (all, from DVID)", lambda: len(everything) >= 40 and "type_user" not in everything)
    extra = clio.fetch_annotations(show_extra="all")
    check("fetch_annotations(show_extra='all')", lambda: {"type_user", "type_time"} <= set(extra.columns))
    users = clio.fetch_annotations([10003], show_extra="user")
    check("fetch_annotations(ids, show_extra='user')",
          lambda: "type_user" in users.columns and "type_time" not in users.columns)
    check("ids_exist (DVID keys and segmentation sizes)",
          lambda: clio.ids_exist([10003, 10150, 99999999]).tolist() == [True, True, False])

    clio.set_annotations({10150: {"type": "IN99X001", "hemilineage": "99X"}}, progress=False)
    check("set_annotations(dict) then read back",
          lambda: clio.fetch_annotations(10150).type[0] == "IN99X001")
    import pandas as pd
    clio.set_annotations(pd.DataFrame({"bodyid": [10151], "type": ["IN98X001"]}), progress=False)
    check("set_annotations(DataFrame)", lambda: clio.fetch_annotations(10151).type[0] == "IN98X001")
    clio.set_fields([10150, 10151], soma_side="RHS", progress=False)
    check("set_fields", lambda: set(clio.fetch_annotations([10150, 10151]).soma_side) == {"RHS"})
    check("set_annotations(validate=True) refuses a wrongly typed column",
          lambda: _raises(lambda: clio.set_annotations({10152: {"group": "not a number"}}, progress=False)))
    check("set_annotations refuses a body the segmentation lacks",
          lambda: _raises(lambda: clio.set_annotations({99999999: {"type": "x"}}, progress=False)))

    mine = clio.fetch_group_annotations(None)
    check("fetch_group_annotations(None): own points", lambda: len(mine) == 2 and set(mine.user) == {roles["email"]})
    group = clio.fetch_group_annotations("flyem")
    check("fetch_group_annotations('flyem'): the group's points",
          lambda: len(group) == 3 and {"key", "kind", "pos"} <= set(group.columns))
    del np
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if all(results) else 1


def _raises(fn):
    try:
        fn()
    except (ValueError, TypeError):
        return True
    return False


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
