"""Schema, seed data and tokens of the bundled Clio store."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import orjson

SCHEMA = """
CREATE TABLE IF NOT EXISTS secret (value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dataset (name TEXT PRIMARY KEY, meta TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS node (uuid TEXT PRIMARY KEY, dataset TEXT, tag TEXT, locked INTEGER, head INTEGER);
CREATE TABLE IF NOT EXISTS record (uuid TEXT, bodyid INTEGER, data TEXT NOT NULL, PRIMARY KEY (uuid, bodyid));
CREATE TABLE IF NOT EXISTS point (dataset TEXT, user TEXT, key TEXT, data TEXT NOT NULL, PRIMARY KEY (dataset, user, key));
CREATE TABLE IF NOT EXISTS member (grp TEXT, email TEXT, PRIMARY KEY (grp, email));
"""
EMAIL = "local.user@localhost"
#: A member of the local user's group, whose point annotations ``groups="flyem"`` adds.
COLLEAGUE = "colleague@localhost"
GROUP = "flyem"
#: Where the datasets' DVID server is: the bundled server itself (made absolute per request).
DVID = "/dvid"
#: Bodies the segmentation has (DVID's label index): these plus every annotated one.
LABELS = range(10000, 10200)
DATASET = "VNC"
NODES = [("2b6f0e", "v0.3.31", 1, 0), ("74ea83", "v0.3.32", 0, 0), ("9c1d77", "v0.3.33", 0, 1)]
DEFAULT_UUID = "74ea83"  # the dataset's own node differs from the head: writes must say which


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(secret: str, email: str, lifetime: float) -> str:
    """A FlyEM-style HS256 JWT: {email, iat, exp, iss}."""
    now = int(time.time())
    header = b64(orjson.dumps({"alg": "HS256", "typ": "JWT"}))
    claims = b64(orjson.dumps({"email": email, "iat": now, "exp": int(now + lifetime), "iss": "flyem-clio-store"}))
    signature = b64(hmac.new(secret.encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest())
    return f"{header}.{claims}.{signature}"


def check_token(secret: str, token: str) -> str | None:
    try:
        header, claims, signature = token.split(".")
    except ValueError:
        return None
    expected = b64(hmac.new(secret.encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature):
        return None
    payload = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    if payload.get("exp", 0) <= time.time():
        return None
    email = payload.get("email")
    return str(email) if email is not None else None


def seed(cur: Any) -> str:
    row = cur.execute("SELECT value FROM secret").fetchone()
    if row:
        return str(row[0])
    secret = b64(hashlib.sha256(str(time.time_ns()).encode()).digest())
    cur.execute("INSERT INTO secret VALUES (?)", (secret,))
    meta = {"title": "Synthetic adult nerve cord", "description": "Bundled test dataset", "tag": "v0.3.32",
            "uuid": DEFAULT_UUID, "dvid": DVID, "mainLayer": "grayscale", "public": False,
            "versions": [{"version": t, "uuid": u} for u, t, _, _ in NODES]}
    cur.execute("INSERT INTO dataset VALUES (?, ?)", (DATASET, json.dumps(meta)))
    cur.executemany("INSERT INTO node VALUES (?, ?, ?, ?, ?)", [(u, DATASET, t, locked, head) for u, t, locked, head in NODES])
    stamp = "2026-01-01T00:00:00Z"
    for k in range(40):
        body = 10000 + k * 3
        data = {"bodyid": body, "hemilineage": ["07B", "08A", "12A", "19A"][k % 4], "soma_side": ["LHS", "RHS"][k % 2],
                "class": ["intrinsic neuron", "ascending neuron", "descending neuron"][k % 3], "status": "Traced",
                "type": f"IN{['07B', '08A', '12A', '19A'][k % 4]}{k:03d}", "user": EMAIL}
        for field in list(data):
            if field not in ("bodyid", "user"):
                data[f"{field}_user"], data[f"{field}_time"] = EMAIL, stamp
        for uuid, _, _, _ in NODES:
            cur.execute("INSERT INTO record VALUES (?, ?, ?)", (uuid, body, json.dumps(data)))
    cur.executemany("INSERT INTO member VALUES (?, ?)", [(GROUP, EMAIL), (GROUP, COLLEAGUE)])
    points = [(EMAIL, "point", [120, 340, 560], "soma of 10003"), (EMAIL, "lineseg", [1, 2, 3, 40, 50, 60], "tract"),
              (COLLEAGUE, "point", [700, 800, 900], "synapse cluster")]
    for user, kind, pos, title in points:
        key = ("Pt" if kind == "point" else "Ln") + "_".join(map(str, pos))
        data = {"kind": kind, "pos": pos, "prop": {"checked": True}, "tags": ["seed"], "title": title}
        cur.execute("INSERT INTO point VALUES (?, ?, ?, ?)", (DATASET, user, key, json.dumps(data)))
    return secret
