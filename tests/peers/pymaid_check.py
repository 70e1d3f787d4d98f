"""Runs pymaid (the field's CATMAID client) against a bundled CATMAID server.

Run with pymaid's own Python (it pulls navis, so it lives in its own virtualenv):

    python tests/peers/pymaid_check.py URL PROJECT TOKEN

Prints one line per call and exits non-zero on the first mismatch. Standard library plus pymaid
only: this file never imports neuromodels.
"""

import sys
import tempfile

import numpy as np


def main(url: str, project: int, token: str) -> int:
    import pymaid

    rm = pymaid.CatmaidInstance(url, api_token=token, project_id=project, max_threads=4)
    rm.caching = False
    checks = 0

    def ok(what, condition):
        nonlocal checks
        checks += 1
        if not condition:
            raise AssertionError(what)
        print(f"ok  {what}")

    swc = ("1 1 5040.0 6010.0 900.0 12.5 -1\n2 3 5080.0 6020.0 900.0 4.0 1\n"
           "3 3 5120.5 6030.0 909.0 4.0 2\n4 3 5100.0 5990.0 909.0 3.0 2\n")
    with tempfile.NamedTemporaryFile("w", suffix=".swc", delete=False) as fh:
        fh.write(swc)
    import navis

    local = navis.read_swc(fh.name)
    result = pymaid.upload_neuron(local, import_tags=False, import_annotations=False, import_connectors=False)
    skid = int(result["skeleton_id"])
    ok("upload_neuron returns a skeleton id", skid > 0)

    second = pymaid.upload_neuron(local, import_tags=False, import_annotations=False, import_connectors=False)
    skid2 = int(second["skeleton_id"])

    n = pymaid.get_neuron(skid)
    ok("get_neuron returns the nodes", n.n_nodes == 4)
    ok("get_neuron keeps float coordinates", np.isclose(sorted(n.nodes.x)[-1], 5120.5))
    names = pymaid.get_names([skid, skid2])
    ok("get_names", set(map(int, names)) == {skid, skid2})

    pymaid.add_annotations([skid, skid2], ["pymaid-check"])
    annotations = pymaid.get_annotations([skid])
    ok("add_annotations + get_annotations", "pymaid-check" in annotations[str(skid)])
    skids = pymaid.get_skids_by_annotation("pymaid-check")
    ok("get_skids_by_annotation", set(map(int, skids)) == {skid, skid2})
    found = pymaid.find_neurons(annotations="pymaid-check")
    ok("find_neurons(annotations=)", set(map(int, found.skeleton_id)) == {skid, skid2})

    pymaid.rename_neurons(skid, "renamed by pymaid", no_prompt=True)
    ok("rename_neurons", pymaid.get_names(skid)[str(skid)] == "renamed by pymaid")

    vertices = np.array([[5000.5, 6000, 800], [5400, 6000, 800], [5000, 6400, 800], [5000, 6000, 1200]], dtype=float)
    faces = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    import navis as nv

    volume = nv.Volume(vertices, faces, name="pymaid volume")
    pymaid.upload_volume(volume, name="pymaid volume", comments="from pymaid")
    fetched = pymaid.get_volume("pymaid volume")
    ok("upload_volume + get_volume", len(fetched.faces) == 4)

    connectors = pymaid.get_connectors([skid])
    ok("get_connectors (none yet)", len(connectors) == 0)

    users = pymaid.get_user_list()
    ok("get_user_list", "admin" in set(users.login))

    pymaid.delete_neuron(skid2, no_prompt=True)
    ok("delete_neuron", int(skid2) not in set(map(int, pymaid.get_skids_by_annotation("pymaid-check"))))
    print(f"{checks} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
