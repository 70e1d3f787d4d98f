"""Schema, seed data, ids and time of the bundled CAVE deployment.

Ids carry their chunked-graph layer in the top byte, as PyChunkedGraph's do: supervoxels are
layer 1 and roots layer :data:`N_LAYERS` (what CloudVolume's ``decode_layer_id`` reads).

The seed's history: six neurons exist from :data:`T0`; materialization version 1 is frozen at
:data:`T1`; roots A and B merge at :data:`T2`; version 2 is frozen at :data:`T3`; root C splits
in two at :data:`T4`. So a root id, a version and a timestamp each give different answers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS secret (value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS version (version INTEGER PRIMARY KEY, time_stamp REAL NOT NULL, expires_on REAL NOT NULL,
                                    valid INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS supervoxel (id INTEGER PRIMARY KEY, x REAL, y REAL, z REAL, radius REAL);
CREATE TABLE IF NOT EXISTS root (id INTEGER PRIMARY KEY, created REAL NOT NULL, superseded REAL,
                                 operation_id INTEGER);  -- the edit that made it (NULL: seeded)
CREATE TABLE IF NOT EXISTS root_supervoxel (root INTEGER, supervoxel INTEGER, PRIMARY KEY (root, supervoxel));
CREATE TABLE IF NOT EXISTS lineage (parent INTEGER, child INTEGER, PRIMARY KEY (parent, child));
CREATE TABLE IF NOT EXISTS anno_table (name TEXT PRIMARY KEY, schema_type TEXT NOT NULL, meta TEXT NOT NULL,
                                       created REAL NOT NULL, deleted REAL);
CREATE TABLE IF NOT EXISTS annotation (tbl TEXT, id INTEGER, data TEXT NOT NULL, created REAL NOT NULL, deleted REAL,
                                       superceded_id INTEGER, PRIMARY KEY (tbl, id));
"""

DATASTACK = "local_v1"
ALIGNED_VOLUME = "local_volume"
PCG_TABLE = "local_pcg"
SYNAPSE_TABLE = "synapses"
USER = {"id": 1, "name": "Local User", "email": "local.user@localhost", "admin": False,
        "groups": ["local"], "affiliations": [], "permissions": {}}

#: Chunked-graph ids: the layer in the top byte (PyChunkedGraph's layout).
N_LAYERS = 10
LAYER_SHIFT = 56
#: Voxel resolution of the annotation tables (nm per voxel).
RESOLUTION = (4.0, 4.0, 40.0)
#: How far (in voxels) a posted point may be from a supervoxel to land on it.
LOOKUP_RADIUS = 400.0


def layer_id(layer: int, n: int) -> int:
    return (layer << LAYER_SHIFT) | n


def layer_of(node: int) -> int:
    return int(node) >> LAYER_SHIFT


def epoch(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc).timestamp()


def iso(seconds: float | None) -> str | None:
    """An epoch time the way the services print it (ISO 8601 in UTC with microseconds, no zone:
    CAVEclient parses exactly that)."""
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")


T0, T1, T2, T3, T4 = (epoch(t) for t in ("2026-01-01T00:00:00", "2026-01-10T00:00:00", "2026-01-15T00:00:00",
                                          "2026-01-20T00:00:00", "2026-02-01T00:00:00"))
EXPIRES = epoch("2080-01-01T00:00:00")

#: Annotation schemas this deployment knows: per field, "bound" (a point with supervoxel and
#: root), "point" (a point alone), or a scalar type name.
SCHEMAS: dict[str, dict[str, str]] = {
    "cell_type_local": {"pt": "bound", "cell_type": "string", "classification_system": "string"},
    "bound_tag": {"pt": "bound", "tag": "string"},
    "synapse": {"pre_pt": "bound", "ctr_pt": "point", "post_pt": "bound", "size": "number"},
}

NEURONS = 6
SUPERVOXELS_PER_NEURON = 5
CELL_TYPES = ["L2/3 IT", "L4 IT", "basket", "martinotti", "L5 ET", "chandelier"]


def now() -> float:
    return time.time()


def neuron_root(k: int) -> int:
    return layer_id(N_LAYERS, 1000 + k)


def supervoxel_of(k: int, j: int) -> int:
    return layer_id(1, 100 * (k + 1) + j)


def position_of(k: int, j: int) -> tuple[int, int, int]:
    """Supervoxel j of neuron k, in voxels: neurons side by side, each a line along x."""
    return (1000 + 200 * j, 1000 + 1000 * k, 100 + 10 * k)


def table_meta(description: str, user_id: str = "1", reference_table: str | None = None) -> dict[str, Any]:
    return {"description": description, "user_id": user_id, "reference_table": reference_table,
            "voxel_resolution_x": RESOLUTION[0], "voxel_resolution_y": RESOLUTION[1],
            "voxel_resolution_z": RESOLUTION[2], "read_permission": "PUBLIC", "write_permission": "PRIVATE",
            "flat_segmentation_source": None, "notice_text": None}


def seed(cur: Any) -> str:
    row = cur.execute("SELECT value FROM secret").fetchone()
    if row:
        return str(row[0])
    secret = hashlib.sha256(str(time.time_ns()).encode()).hexdigest()[:40]
    cur.execute("INSERT INTO secret VALUES (?)", (secret,))
    cur.executemany("INSERT INTO version VALUES (?, ?, ?, 1)", [(1, T1, EXPIRES), (2, T3, EXPIRES)])
    for k in range(NEURONS):
        cur.execute("INSERT INTO root VALUES (?, ?, NULL, NULL)", (neuron_root(k), T0))
        for j in range(SUPERVOXELS_PER_NEURON):
            sv = supervoxel_of(k, j)
            cur.execute("INSERT INTO supervoxel VALUES (?, ?, ?, ?, ?)", (sv, *position_of(k, j), 80.0 + 10 * j))
            cur.execute("INSERT INTO root_supervoxel VALUES (?, ?)", (neuron_root(k), sv))
    # T2: neurons 0 and 1 merge into one root (operation 1).
    merged = layer_id(N_LAYERS, 2000)
    _edit(cur, [neuron_root(0), neuron_root(1)], {merged: None}, T2, 1)
    # T4: neuron 2 splits into two roots (operation 2).
    first, second = layer_id(N_LAYERS, 2001), layer_id(N_LAYERS, 2002)
    svs = [supervoxel_of(2, j) for j in range(SUPERVOXELS_PER_NEURON)]
    _edit(cur, [neuron_root(2)], {first: svs[:2], second: svs[2:]}, T4, 2)
    _seed_tables(cur)
    return secret


def _edit(cur: Any, parents: list[int], children: dict[int, list[int] | None], when: float, operation: int) -> None:
    """Replace ``parents`` by ``children`` at ``when`` (None: every supervoxel of the parents)."""
    pooled = [sv for p in parents for (sv,) in cur.execute("SELECT supervoxel FROM root_supervoxel WHERE root = ?", (p,))]
    for p in parents:
        cur.execute("UPDATE root SET superseded = ? WHERE id = ?", (when, p))
    for child, svs in children.items():
        cur.execute("INSERT INTO root VALUES (?, ?, NULL, ?)", (child, when, operation))
        cur.executemany("INSERT INTO root_supervoxel VALUES (?, ?)", [(child, sv) for sv in (svs or pooled)])
        cur.executemany("INSERT INTO lineage VALUES (?, ?)", [(p, child) for p in parents])


def _seed_tables(cur: Any) -> None:
    cur.execute("INSERT INTO anno_table VALUES (?, ?, ?, ?, NULL)",
                ("cell_types", "cell_type_local", json.dumps(table_meta("Cell types of the six local neurons")), T0))
    cur.execute("INSERT INTO anno_table VALUES (?, ?, ?, ?, NULL)",
                (SYNAPSE_TABLE, "synapse", json.dumps(table_meta("Synapses between the local neurons")), T0))
    for k in range(NEURONS):
        # The sixth cell type was added between versions 1 and 2.
        created = T0 if k < NEURONS - 1 else (T1 + T2) / 2
        data = {"pt_position": list(position_of(k, 0)), "pt_supervoxel_id": supervoxel_of(k, 0),
                "cell_type": CELL_TYPES[k], "classification_system": "local"}
        cur.execute("INSERT INTO annotation VALUES ('cell_types', ?, ?, ?, NULL, NULL)", (k + 1, json.dumps(data), created))
    n = 0
    for pre in range(NEURONS):
        for post in range(NEURONS):
            if pre == post or (pre + post) % 3:
                continue
            n += 1
            a, b = position_of(pre, 1 + n % 4), position_of(post, 1 + (n + 1) % 4)
            data = {"pre_pt_position": list(a), "pre_pt_supervoxel_id": supervoxel_of(pre, 1 + n % 4),
                    "ctr_pt_position": [(x + y) // 2 for x, y in zip(a, b)],
                    "post_pt_position": list(b), "post_pt_supervoxel_id": supervoxel_of(post, 1 + (n + 1) % 4),
                    "size": float(100 + 10 * n)}
            cur.execute("INSERT INTO annotation VALUES (?, ?, ?, ?, NULL, NULL)", (SYNAPSE_TABLE, n, json.dumps(data), T0))


def make_token(secret: str) -> str:
    """The deployment's one valid token (an opaque hex string, as middle_auth issues)."""
    return hashlib.sha256(f"cave-token:{secret}".encode()).hexdigest()[:32]
