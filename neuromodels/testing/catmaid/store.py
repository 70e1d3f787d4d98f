"""SQLite schema and seed data of the bundled CATMAID server."""

from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
from typing import Iterable

SCHEMA = """
CREATE TABLE IF NOT EXISTS seq (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS auth_user (id INTEGER PRIMARY KEY, login TEXT NOT NULL, token TEXT);
CREATE TABLE IF NOT EXISTS project (id INTEGER PRIMARY KEY, title TEXT, comment TEXT);
CREATE TABLE IF NOT EXISTS stack (
    id INTEGER PRIMARY KEY, project_id INTEGER, title TEXT, comment TEXT,
    dx INTEGER, dy INTEGER, dz INTEGER, rx REAL, ry REAL, rz REAL);
CREATE TABLE IF NOT EXISTS relation (id INTEGER PRIMARY KEY, project_id INTEGER, name TEXT);
CREATE TABLE IF NOT EXISTS class_instance (
    id INTEGER PRIMARY KEY, project_id INTEGER, kind TEXT, name TEXT, user_id INTEGER,
    creation_time TEXT, edition_time TEXT);
CREATE INDEX IF NOT EXISTS ci_kind_name ON class_instance(project_id, kind, name);
CREATE TABLE IF NOT EXISTS model_of (skeleton_id INTEGER PRIMARY KEY, neuron_id INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS model_of_neuron ON model_of(neuron_id);
CREATE TABLE IF NOT EXISTS annotated_with (
    id INTEGER PRIMARY KEY AUTOINCREMENT, project_id INTEGER, entity_id INTEGER,
    annotation_id INTEGER, user_id INTEGER, creation_time TEXT, UNIQUE(entity_id, annotation_id));
CREATE INDEX IF NOT EXISTS aw_annotation ON annotated_with(annotation_id);
CREATE TABLE IF NOT EXISTS treenode (
    id INTEGER PRIMARY KEY, project_id INTEGER, skeleton_id INTEGER, parent_id INTEGER,
    user_id INTEGER, x REAL, y REAL, z REAL, radius REAL, confidence INTEGER,
    creation_time TEXT, edition_time TEXT, editor_id INTEGER);
CREATE INDEX IF NOT EXISTS treenode_skeleton ON treenode(skeleton_id);
CREATE INDEX IF NOT EXISTS treenode_parent ON treenode(parent_id);
-- No index on a coordinate: a random-order index made every imported node a random B-tree
-- insert (half the import's time); node/list scans instead, which is fine at loopback sizes.
DROP INDEX IF EXISTS treenode_x;
CREATE TABLE IF NOT EXISTS connector (
    id INTEGER PRIMARY KEY, project_id INTEGER, x REAL, y REAL, z REAL, confidence INTEGER,
    user_id INTEGER, editor_id INTEGER, creation_time TEXT, edition_time TEXT);
CREATE TABLE IF NOT EXISTS treenode_connector (
    id INTEGER PRIMARY KEY, project_id INTEGER, treenode_id INTEGER, connector_id INTEGER,
    skeleton_id INTEGER, relation_id INTEGER, confidence INTEGER, user_id INTEGER,
    creation_time TEXT, edition_time TEXT);
CREATE INDEX IF NOT EXISTS tc_connector ON treenode_connector(connector_id);
CREATE INDEX IF NOT EXISTS tc_skeleton ON treenode_connector(skeleton_id);
-- Node rows of a skeleton as compact-detail JSON, kept so reads need not rebuild them.
CREATE TABLE IF NOT EXISTS skeleton_nodes_json (skeleton_id INTEGER PRIMARY KEY, rows BLOB NOT NULL);
-- Tags: a link per tagged node (id: the order they were added); label ids are class instances of kind 'label'.
CREATE TABLE IF NOT EXISTS label (
    id INTEGER PRIMARY KEY AUTOINCREMENT, node_id INTEGER, tag TEXT, user_id INTEGER, UNIQUE(node_id, tag));
CREATE INDEX IF NOT EXISTS label_tag ON label(tag);
CREATE TABLE IF NOT EXISTS review (
    id INTEGER PRIMARY KEY AUTOINCREMENT, project_id INTEGER, treenode_id INTEGER, skeleton_id INTEGER,
    reviewer_id INTEGER, review_time TEXT, UNIQUE(treenode_id, reviewer_id));
CREATE INDEX IF NOT EXISTS review_skeleton ON review(skeleton_id);
CREATE TABLE IF NOT EXISTS log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, project_id INTEGER, user_id INTEGER, operation TEXT, time TEXT,
    x REAL, y REAL, z REAL, text TEXT);
-- Past versions of nodes and links (compact-detail with_history), kept by triggers.
CREATE TABLE IF NOT EXISTS treenode_history (
    id INTEGER, skeleton_id INTEGER, parent_id INTEGER, user_id INTEGER, x REAL, y REAL, z REAL, radius REAL,
    confidence INTEGER, valid_from TEXT, valid_to TEXT);
CREATE INDEX IF NOT EXISTS treenode_history_skeleton ON treenode_history(skeleton_id);
CREATE TRIGGER IF NOT EXISTS treenode_versioned AFTER UPDATE ON treenode BEGIN
    INSERT INTO treenode_history VALUES (OLD.id, OLD.skeleton_id, OLD.parent_id, OLD.user_id, OLD.x, OLD.y, OLD.z,
        OLD.radius, OLD.confidence, OLD.edition_time, NEW.edition_time);
END;
CREATE TRIGGER IF NOT EXISTS treenode_deleted AFTER DELETE ON treenode BEGIN
    INSERT INTO treenode_history VALUES (OLD.id, OLD.skeleton_id, OLD.parent_id, OLD.user_id, OLD.x, OLD.y, OLD.z,
        OLD.radius, OLD.confidence, OLD.edition_time, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
CREATE TABLE IF NOT EXISTS link_history (
    treenode_id INTEGER, connector_id INTEGER, skeleton_id INTEGER, relation_id INTEGER, valid_from TEXT, valid_to TEXT);
CREATE INDEX IF NOT EXISTS link_history_skeleton ON link_history(skeleton_id);
CREATE TRIGGER IF NOT EXISTS link_versioned AFTER UPDATE ON treenode_connector BEGIN
    INSERT INTO link_history VALUES (OLD.treenode_id, OLD.connector_id, OLD.skeleton_id, OLD.relation_id,
        OLD.edition_time, NEW.edition_time);
END;
CREATE TRIGGER IF NOT EXISTS link_deleted AFTER DELETE ON treenode_connector BEGIN
    INSERT INTO link_history VALUES (OLD.treenode_id, OLD.connector_id, OLD.skeleton_id, OLD.relation_id,
        OLD.edition_time, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
CREATE TABLE IF NOT EXISTS volume (
    id INTEGER PRIMARY KEY AUTOINCREMENT, project_id INTEGER, name TEXT, comment TEXT,
    user_id INTEGER, creation_time TEXT, edition_time TEXT, vertices TEXT, faces TEXT);
"""

#: (name, type, type_id, relation, isreciprocal, cardinality, partner_reference, partner_relation)
CONNECTOR_TYPES = [
    ("Presynaptic", "Synaptic", "synaptic-connector", "presynaptic_to", False, 1, "outgoing", "postsynaptic_to"),
    ("Postsynaptic", "Synaptic", "synaptic-connector", "postsynaptic_to", False, None, "incoming", "presynaptic_to"),
    ("Abutting", "Abutting", "abutting-connector", "abutting", True, None, "abutting", "abutting"),
    ("Gap junction", "Gap junction", "gapjunction-connector", "gapjunction_with", True, 2, "gapjunction", "gapjunction_with"),
    ("Tight junction", "Tight junction", "tightjunction-connector", "tightjunction_with", True, 2, "tightjunction", "tightjunction_with"),
    ("Desmosome", "Desmosome", "desmosome-connector", "desmosome_with", True, 2, "desmosome", "desmosome_with"),
    ("Attachment", "Attachment", "attachment-connector", "attached_to", False, None, "attachment", "close_to"),
    ("Close to", "Spatial", "spatial-connector", "close_to", True, None, "close_object", "close_to"),
]

PROJECT_ID = 1
ADMIN_ID = 2
ANONYMOUS_ID = 1


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso_ms(t: dt.datetime | None = None) -> str:
    """DjangoJSONEncoder's form: milliseconds and Z."""
    t = t or now()
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))


def iso_us(text: str) -> str:
    """A stored time in the form with microseconds and +00:00 (node/user-info, links, logs)."""
    return parse_iso(text).isoformat(timespec="microseconds")


def epoch(text: str) -> float:
    """A stored time as UTC epoch seconds (connector lists, node/list)."""
    return parse_iso(text).timestamp()


def next_ids(db: sqlite3.Connection, name: str, count: int = 1) -> list[int]:
    """Ids from one of CATMAID's shared sequences ('ci' for class instances, 'location' for
    treenodes and connectors)."""
    (value,) = db.execute("SELECT value FROM seq WHERE name = ?", (name,)).fetchone()
    db.execute("UPDATE seq SET value = ? WHERE name = ?", (value + count, name))
    return list(range(value, value + count))


def seed(db: sqlite3.Connection, token: str | None = None) -> str:
    """Fill an empty database: a project with a stack, the users, the relations. Returns the token."""
    row = db.execute("SELECT token FROM auth_user WHERE id = ?", (ADMIN_ID,)).fetchone()
    if row is not None:
        return str(row[0])
    token = token or secrets.token_hex(20)
    db.executemany("INSERT INTO seq VALUES (?, ?)", [("ci", 100), ("location", 1000)])
    db.executemany(
        "INSERT INTO auth_user VALUES (?, ?, ?)",
        [(ANONYMOUS_ID, "AnonymousUser", None), (ADMIN_ID, "admin", token)],
    )
    db.execute("INSERT INTO project VALUES (?, ?, ?)", (PROJECT_ID, "neuromodels local project", None))
    db.execute(
        "INSERT INTO stack VALUES (1, ?, 'Synthetic EM stack', NULL, 4096, 4096, 500, 4.0, 4.0, 40.0)",
        (PROJECT_ID,),
    )
    db.executemany(
        "INSERT INTO relation (id, project_id, name) VALUES (?, ?, ?)",
        [(42 + i, PROJECT_ID, t[3]) for i, t in enumerate(CONNECTOR_TYPES)],
    )
    return token


def placeholders(values: Iterable[object]) -> str:
    return ",".join("?" for _ in values)
