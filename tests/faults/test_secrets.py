"""With distinctive credentials, a CRUD scenario per backend at DEBUG logging leaves no trace of
them in any repr, exception text, log line or recorded cassette."""

from __future__ import annotations

import base64
import logging

import pytest
import vcr
from shapely.geometry import Point

from neuromodels import (
    Annotation,
    AnnotationCollection,
    Connection,
    Neuron,
    NeuronCollection,
    NeuromodelsError,
    PartialSaveError,
    Project,
)
from neuromodels.testing import serve
from neuromodels.testing.clio.app import make_token

from ..conftest import _form_body, vcr_settings

CATMAID_TOKEN = "SECRETcatmaid0token0d15t1nct1ve0f00b4r"
BASIC_USER, BASIC_PASSWORD = "basic-user-7f3a", "SECRETbasic0password0d15t1nct"
PUBLIC_KEY = "SECRETpub-0d15-t1nc-t1ve-cytominekey0"
PRIVATE_KEY = "SECRETpriv-0d15-t1nc-t1ve-cytominekey1"


def internals(conn):
    """What a debugger, `pytest --showlocals` or an error reporter shows of a connection."""
    return [repr(vars(conn)), repr(vars(conn.transport)), repr(vars(conn.transport.auth))]


def scenario_catmaid(server, texts):
    with server._app.db.transaction() as cur:
        cur.execute("UPDATE auth_user SET token = ? WHERE id = 2", (CATMAID_TOKEN,))
    conn = Connection(server.url, backend="catmaid", project=server.project, token=CATMAID_TOKEN,
                      http_user=BASIC_USER, http_password=BASIC_PASSWORD, timeout=5, progress=False)
    with conn:
        n = Neuron.from_swc("1 1 0 0 0 5 -1\n2 3 1 0 0 1 1\n", name="secret check").save()
        n.update(name="secret check 2")
        texts += [repr(conn), str(conn), repr(n), repr(NeuronCollection(ids=[n.id]).fetch()), repr(conn.transport.auth)]
        texts += internals(conn)
        n.delete()
        try:
            Neuron.fetch(n.id)
        except NeuromodelsError as e:
            texts += [str(e), repr(e)]
    bad = Connection(server.url, backend="catmaid", project=server.project, token=CATMAID_TOKEN + "x", retries=0)
    with bad:
        try:
            Neuron.fetch(1)
        except NeuromodelsError as e:
            texts += [str(e), repr(e), repr(bad)]
    return [CATMAID_TOKEN, BASIC_PASSWORD, base64.b64encode(f"{BASIC_USER}:{BASIC_PASSWORD}".encode()).decode()]


def scenario_cytomine(server, texts):
    with server._app.db.transaction() as cur:
        cur.execute("UPDATE user SET public_key = ?, private_key = ?", (PUBLIC_KEY, PRIVATE_KEY))
    conn = Connection(server.url, backend="cytomine", project=server.project, public_key=PUBLIC_KEY,
                      private_key=PRIVATE_KEY, timeout=5, progress=False)
    with conn:
        image = server._app.db.read("SELECT MIN(id) FROM image")[0][0]
        a = Annotation(geometry=Point(5, 5), image=image).save()
        a.update(geometry=Point(6, 6))
        batch = AnnotationCollection([Annotation(geometry=Point(7, 7), image=image), Annotation(geometry=Point(8, 8), image=999)])
        try:
            batch.save()
        except PartialSaveError as e:
            texts += [str(e), repr(e), repr(e.failed)]
        texts += [repr(conn), repr(a), repr(conn.transport.auth), repr(Project.fetch(server.project))]
        texts += internals(conn)
        a.delete()
    wrong = Connection(server.url, backend="cytomine", project=server.project, public_key=PUBLIC_KEY,
                       private_key=PRIVATE_KEY + "x", retries=0)
    with wrong:
        try:
            Project.fetch(server.project)
        except NeuromodelsError as e:
            texts += [str(e), repr(e)]
    return [PUBLIC_KEY, PRIVATE_KEY]


def scenario_clio(server, texts):
    token = make_token(server._app.secret, "secret-person@example.org", 3600)
    conn = Connection(server.url, backend="clio", project=server.project, token=token, timeout=5, progress=False)
    with conn:
        Annotation(id=31337, properties={"status": "x"}).save()
        a = Annotation.fetch(31337)
        a.update(properties={"status": "y"})
        texts += [repr(conn), repr(a), repr(conn.transport.auth)] + internals(conn)
        a.delete()
        try:
            Annotation.fetch(31337)
        except NeuromodelsError as e:
            texts += [str(e), repr(e)]
    expired = make_token(server._app.secret, "secret-person@example.org", -10)
    with Connection(server.url, backend="clio", project=server.project, token=expired):
        try:
            Annotation.fetch(1)
        except NeuromodelsError as e:
            texts += [str(e), repr(e)]
    return [token, token.split(".")[1], expired]


def scenario_neuromorpho(server, texts):
    conn = Connection(server.url, backend="neuromorpho", http_user=BASIC_USER, http_password=BASIC_PASSWORD,
                      timeout=5, progress=False)
    with conn:
        n = Neuron.fetch(1000)
        texts += [repr(conn), repr(n)] + internals(conn)
        try:
            Neuron.fetch(999999)
        except NeuromodelsError as e:
            texts += [str(e), repr(e)]
    return [BASIC_PASSWORD]


def scenario_cave(server, texts):
    wrong = "SECRETcave0token0d15t1nct1ve0wrong"
    conn = Connection(server.url, backend="cave", project=server.project, token=server.token, timeout=5, progress=False)
    row = {"pt_position": [1000, 4000, 130], "cell_type": "secret scenario", "classification_system": "x"}
    with conn:
        a = Annotation(properties=row, extra={"table": "cell_types"}).save()
        a = Annotation.fetch(a.id, table="cell_types")
        a.update(properties={**row, "cell_type": "changed"})
        texts += [repr(conn), repr(a), repr(conn.transport.auth)] + internals(conn)
        a.delete()
        try:
            Annotation.fetch(a.id, table="cell_types")
        except NeuromodelsError as e:
            texts += [str(e), repr(e)]
    with Connection(server.url, backend="cave", project=server.project, token=wrong, retries=0) as bad:
        try:
            bad.ping()
        except NeuromodelsError as e:
            texts += [str(e), repr(e)] + internals(bad)
    return [server.token, wrong]


SCENARIOS = {"catmaid": scenario_catmaid, "cytomine": scenario_cytomine, "clio": scenario_clio,
             "neuromorpho": scenario_neuromorpho, "cave": scenario_cave}


@pytest.mark.parametrize("backend", sorted(SCENARIOS))
def test_no_secret_anywhere(backend, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, urllib3's included
    texts: list[str] = []
    recorder = vcr.VCR(**vcr_settings(), record_mode="all")
    recorder.register_matcher("form_body", _form_body)
    cassette = tmp_path / f"{backend}.yaml"
    with serve(backend) as server:
        with recorder.use_cassette(str(cassette)):
            secrets = SCENARIOS[backend](server, texts)
    texts += [record.getMessage() for record in caplog.records]
    texts.append(cassette.read_text())
    assert len(caplog.records) > 10 and cassette.stat().st_size > 0  # the scan saw real material
    leaks = [(secret[:12], text[:200]) for secret in secrets for text in texts if secret in text]
    assert leaks == [], f"credentials leaked: {leaks[:3]}"
    print(f"{backend}: scanned {len(texts)} texts ({sum(map(len, texts))} characters) for {len(secrets)} secrets: 0 found")
