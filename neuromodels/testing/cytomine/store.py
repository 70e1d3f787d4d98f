"""SQLite schema and seed data of the bundled Cytomine server."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS seq (value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS user (
    id INTEGER PRIMARY KEY, username TEXT UNIQUE, name TEXT, public_key TEXT UNIQUE, private_key TEXT,
    data TEXT NOT NULL DEFAULT '{}', created TEXT, updated TEXT);
CREATE TABLE IF NOT EXISTS ontology (id INTEGER PRIMARY KEY, name TEXT UNIQUE, user INTEGER, created TEXT, updated TEXT);
CREATE TABLE IF NOT EXISTS term (
    id INTEGER PRIMARY KEY, name TEXT, ontology INTEGER, color TEXT, parent INTEGER, comment TEXT,
    created TEXT, updated TEXT, UNIQUE (name, ontology));
CREATE TABLE IF NOT EXISTS project (
    id INTEGER PRIMARY KEY, name TEXT UNIQUE, ontology INTEGER, flags TEXT NOT NULL DEFAULT '{}',
    created TEXT, updated TEXT);
CREATE TABLE IF NOT EXISTS image (
    id INTEGER PRIMARY KEY, project INTEGER, base_image INTEGER, slice INTEGER, filename TEXT, width INTEGER,
    height INTEGER, depth INTEGER, psx REAL, psy REAL, psz REAL, user INTEGER, created TEXT, updated TEXT,
    instance_filename TEXT);
CREATE TABLE IF NOT EXISTS annotation (
    id INTEGER PRIMARY KEY, project INTEGER, image INTEGER, slice INTEGER, user INTEGER, location TEXT,
    created TEXT, updated TEXT);
CREATE INDEX IF NOT EXISTS annotation_image ON annotation(image);
CREATE INDEX IF NOT EXISTS annotation_project ON annotation(project);
CREATE TABLE IF NOT EXISTS annotation_term (
    id INTEGER PRIMARY KEY, annotation INTEGER, term INTEGER, user INTEGER, created TEXT,
    UNIQUE (annotation, term, user));
CREATE TABLE IF NOT EXISTS doc (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, data TEXT NOT NULL, created TEXT, updated TEXT);
CREATE INDEX IF NOT EXISTS doc_kind ON doc(kind);
CREATE INDEX IF NOT EXISTS doc_domain ON doc(json_extract(data, '$.domainIdent'));
"""

#: Columns added since the first release, for database files made by it.
ADDED_COLUMNS = (("user", "data TEXT NOT NULL DEFAULT '{}'"), ("user", "created TEXT"), ("user", "updated TEXT"),
                 ("image", "instance_filename TEXT"))

#: Cytomine's four security roles.
ROLES = ("ROLE_USER", "ROLE_ADMIN", "ROLE_SUPER_ADMIN", "ROLE_GUEST")

PROJECT_FLAGS = ("blindMode", "areImagesDownloadable", "isClosed", "isReadOnly", "isRestricted",
                 "hideUsersLayers", "hideAdminsLayers")


def now_ms() -> str:
    return str(int(time.time() * 1000))


def next_ids(db: sqlite3.Connection, count: int = 1) -> list[int]:
    """Cytomine draws every id from one global sequence."""
    (value,) = db.execute("SELECT value FROM seq").fetchone()
    db.execute("UPDATE seq SET value = ?", (value + count,))
    return list(range(value, value + count))


def migrate(db: sqlite3.Connection) -> None:
    """Bring a database file of an older bundled server up to this schema."""
    for table, column in ADDED_COLUMNS:
        present = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
        if column.split()[0] not in present:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")


def add_doc(db: sqlite3.Connection, kind: str, data: dict[str, Any], t: str) -> int:
    (did,) = next_ids(db)
    db.execute("INSERT INTO doc VALUES (?, ?, ?, ?, ?)", (did, kind, json.dumps(data), t, t))
    return did


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
    admin = {"firstname": "Local", "lastname": "Admin", "email": "admin@localhost", "language": "EN", "isDeveloper": False}
    db.execute("INSERT INTO user (id, username, name, public_key, private_key, data, created, updated) "
               "VALUES (?, 'admin', 'Local Admin', ?, ?, ?, ?, ?)", (user, public, private, json.dumps(admin), t, t))
    db.execute("INSERT INTO ontology VALUES (?, 'Demo ontology', ?, ?, ?)", (ontology, user, t, t))
    db.executemany("INSERT INTO term VALUES (?, ?, ?, ?, NULL, NULL, ?, ?)",
                   [(tumor, "Tumor", ontology, "#F44336", t, t), (stroma, "Stroma", ontology, "#4CAF50", t, t)])
    db.execute("INSERT INTO project VALUES (?, 'Demo project', ?, '{}', ?, ?)", (project, ontology, t, t))
    db.executemany(
        "INSERT INTO image VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, NULL, ?, ?, ?, NULL)",
        [(image1, project, image1 + 1000, image1 + 2000, "CMU-1.svs", 46000, 32914, 0.499, 0.499, user, t, t),
         (image2, project, image2 + 1000, image2 + 2000, "CMU-2.svs", 40000, 30000, None, None, user, t, t)])
    # What the seven objects above stand on: roles, a storage, uploaded files, abstract images and
    # slices, slice instances (drawn after them so their ids stay what they always were).
    roles = {name: add_doc(db, "secrole", {"authority": name}, t) for name in ROLES}
    for name in ("ROLE_USER", "ROLE_ADMIN", "ROLE_SUPER_ADMIN"):
        add_doc(db, "secusersecrole", {"user": user, "role": roles[name]}, t)
    add_doc(db, "projectuser", {"project": project, "user": user, "admin": True}, t)
    storage = add_doc(db, "storage", {"name": "admin storage", "user": user}, t)
    for image, filename, width, height, psx in ((image1, "CMU-1.svs", 46000, 32914, 0.499), (image2, "CMU-2.svs", 40000, 30000, None)):
        upload = add_doc(db, "uploadedfile", {
            "originalFilename": filename, "filename": f"upload-local/{filename}", "ext": "svs", "contentType": "openslide/svs",
            "size": width * height * 3, "storage": storage, "user": user, "projects": [project], "parent": None, "status": 100}, t)
        abstract = add_doc(db, "abstractimage", {
            "originalFilename": filename, "uploadedFile": upload, "width": width, "height": height, "depth": 1, "duration": 1,
            "channels": 1, "physicalSizeX": psx, "physicalSizeY": psx, "physicalSizeZ": None, "fps": None,
            "magnification": 20, "bitPerSample": 8, "samplePerPixel": 3, "colorspace": "SRGB", "user": user}, t)
        base_slice = add_doc(db, "abstractslice", {"image": abstract, "uploadedFile": upload, "mime": "openslide/svs",
                                                   "channel": 0, "zStack": 0, "time": 0}, t)
        slice_ = add_doc(db, "sliceinstance", {"image": image, "project": project, "baseSlice": base_slice}, t)
        db.execute("UPDATE image SET base_image = ?, slice = ? WHERE id = ?", (abstract, slice_, image))
    return project, public, private
