"""Turn real CATMAID captures (../shared/reference/catmaid) into vcrpy cassettes.

The captures were recorded against a live CATMAID; replaying them pins how the client handles
what a real server sends. Re-run after changing the mapping below:

    python tests/tools/reference_cassettes.py ../shared/reference/catmaid
"""

from __future__ import annotations

import glob
import json
import sys
from pathlib import Path
from urllib.parse import urlencode

import yaml

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "cassettes" / "catmaid" / "test_reference"
HOST = "http://catmaid.reference"

#: test name -> the capture files its requests replay.
TESTS = {
    "test_projects": ["02"],
    "test_stacks": ["03", "04"],
    "test_volume_list": ["73"],
    "test_volume_detail_mesh": ["74"],
    "test_volume_missing": ["77"],
    "test_volume_delete_missing": ["95"],
    "test_connector_detail": ["59"],
    "test_rename": ["28"],
    "test_rename_missing_neuron": ["93"],
    "test_neuron_delete": ["78"],
    "test_bad_token": ["83"],
    "test_unknown_project": ["96"],
    "test_version": ["01"],
}


def interaction(capture: dict) -> dict:
    req, resp = capture["request"], capture["response"]
    uri = HOST + req["path"] + (("?" + urlencode(req["query"])) if req.get("query") else "")
    body = req.get("form_encoded")
    headers = {k: [("<SCRUBBED>" if k.lower() in ("x-authorization", "authorization") else v)]
               for k, v in req.get("headers", {}).items()}
    payload = resp["body"]
    text = payload if isinstance(payload, str) else json.dumps(payload)
    out_headers = {"Content-Type": [resp.get("content_type", "application/json")]}
    for k, v in (resp.get("headers") or {}).items():
        out_headers[k] = [v]
    return {
        "request": {"body": body, "headers": headers, "method": req["method"], "uri": uri},
        "response": {"body": {"string": text}, "headers": out_headers,
                     "status": {"code": resp["status"], "message": ""}},
    }


def main(reference: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for test, files in TESTS.items():
        interactions = []
        for number in files:
            (path,) = glob.glob(f"{reference}/{number}-*.json")
            interactions.append(interaction(json.load(open(path))))
        with open(OUT / f"{test}.yaml", "w") as fh:
            yaml.safe_dump({"interactions": interactions, "version": 1}, fh, sort_keys=False, allow_unicode=True)
    print(f"wrote {len(TESTS)} cassettes to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT.parent / "shared" / "reference" / "catmaid"))
