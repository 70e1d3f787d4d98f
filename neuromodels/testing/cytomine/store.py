"""SQLite schema and seed data of the bundled Cytomine server."""

from __future__ import annotations

import sqlite3
import time
import uuid

SCHEMA = """
CREATE TABLE IF NOT EXISTS seq (value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS user (id INTEGER PRIMARY KEY, username TEXT, name TEXT, public_key TEXT UNIQUE, private_key TEXT);
CREATE TABLE IF NOT EXISTS ontology (id INTEGER PRIMARY KEY, name TEXT UNIQUE, user INTEGER, created TEXT, updated TEXT);
CREATE TABLE IF NOT EXISTS term (
    id INTEGER PRIMARY KEY, name TEXT, ontology INTEGER, color TEXT, parent INTEGER, comment TEXT,
    created TEXT, updated TEXT, UNIQUE (name, ontology));
CREATE TABLE IF NOT EXISTS project (
    id INTEGER PRIMARY KEY, name TEXT UNIQUE, ontology INTEGER, flags TEXT NOT NULL DEFAULT '{}',
    created TEXT, updated TEXT);
CREATE TABLE IF NOT EXISTS image (
    id INTEGER PRIMARY KEY, project INTEGER, base_image INTEGER, slice INTEGER, filename TEXT, width INTEGER,
    height INTEGER, depth INTEGER, psx REAL, psy REAL, psz REAL, user INTEGER, created TEXT, updated TEXT);
CREATE TABLE IF NOT EXISTS annotation (
    id INTEGER PRIMARY KEY, project INTEGER, image INTEGER, slice INTEGER, user INTEGER, location TEXT,
    created TEXT, updated TEXT);
CREATE INDEX IF NOT EXISTS annotation_image ON annotation(image);
CREATE INDEX IF NOT EXISTS annotation_project ON annotation(project);
CREATE TABLE IF NOT EXISTS annotation_term (
    id INTEGER PRIMARY KEY, annotation INTEGER, term INTEGER, user INTEGER, created TEXT,
    UNIQUE (annotation, term, user));
"""

PROJECT_FLAGS = ("blindMode", "areImagesDownloadable", "isClosed", "isReadOnly", "isRestricted",
                 "hideUsersLayers", "hideAdminsLayers")


def now_ms() -> str:
    return str(int(time.time() * 1000))


def next_ids(db: sqlite3.Connection, count: int = 1) -> list[int]:
    """Cytomine draws every id from one global sequence."""
    (value,) = db.execute("SELECT value FROM seq").fetchone()
    db.execute("UPDATE seq SET value = ?", (value + count,))
    return list(range(value, value + count))


def seed(db: sqlite3.Connection) -> tuple[int, str, str]:
    """A user with keys, an ontology with two terms, a project with two images.
    Returns (project id, public key, private key)."""
    row = db.execute("SELECT public_key, private_key FROM user WHERE username = 'admin'").fetchone()
    if row is not None:
        (project,) = db.execute("SELECT MIN(id) FROM project").fetchone()
        return project, row[0], row[1]
    public, private = str(uuid.uuid4()), str(uuid.uuid4())
    db.execute("INSERT INTO seq VALUES (6836000)")
    t = now_ms()
    user, ontology, tumor, stroma, project, image1, image2 = next_ids(db, 7)
    db.execute("INSERT INTO user VALUES (?, 'admin', 'Local Admin', ?, ?)", (user, public, private))
    db.execute("INSERT INTO ontology VALUES (?, 'Demo ontology', ?, ?, ?)", (ontology, user, t, t))
    db.executemany("INSERT INTO term VALUES (?, ?, ?, ?, NULL, NULL, ?, ?)",
                   [(tumor, "Tumor", ontology, "#F44336", t, t), (stroma, "Stroma", ontology, "#4CAF50", t, t)])
    db.execute("INSERT INTO project VALUES (?, 'Demo project', ?, '{}', ?, ?)", (project, ontology, t, t))
    db.executemany(
        "INSERT INTO image VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, NULL, ?, ?, ?)",
        [(image1, project, image1 + 1000, image1 + 2000, "CMU-1.svs", 46000, 32914, 0.499, 0.499, user, t, t),
         (image2, project, image2 + 1000, image2 + 2000, "CMU-2.svs", 40000, 30000, None, None, user, t, t)])
    return project, public, private
