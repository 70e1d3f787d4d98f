"""The bundled Cytomine's database file: kept across restarts, and files made by the first
release (before users had names and image instances their own filename) still open."""

import sqlite3

import requests

from neuromodels import Connection, ImageInstanceCollection
from neuromodels.testing import serve


def test_restart_on_the_same_file_keeps_keys_and_objects(tmp_path):
    path = str(tmp_path / "cytomine.sqlite")
    with serve("cytomine", db=path) as first:
        keys = (first.public_key, first.private_key, first.project)
    with serve("cytomine", db=path) as second:
        assert (second.public_key, second.private_key, second.project) == keys
        roles = second._app.docs("secrole")
        assert len(roles) == 4  # seeded once, not again on the restart


def test_a_database_from_the_first_release_is_migrated(tmp_path):
    path = str(tmp_path / "old.sqlite")
    with serve("cytomine", db=path):
        pass
    db = sqlite3.connect(path)
    for table, column in (("image", "instance_filename"), ("user", "data"), ("user", "created"), ("user", "updated")):
        db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    db.commit()
    db.close()
    with serve("cytomine", db=path) as server:
        with Connection(server.url, backend="cytomine", project=server.project, public_key=server.public_key,
                        private_key=server.private_key, timeout=10, retries=0, progress=False):
            images = ImageInstanceCollection().fetch()
        assert len(images) == 2 and all(i.width for i in images)
        columns = {r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(user)")}
        assert {"data", "created", "updated"} <= columns
        assert requests.get(server.url + "/server/ping.json", timeout=10).json()["alive"] is True
