"""Awkward input at construction: refused before any request with a message that says what to do
(and never contains the credential), or accepted the way the field's users would expect."""

from __future__ import annotations

import json
import math
import pickle

import pytest

import neuromodels.errors as errors_module
from neuromodels import Connection, NoConnection, Project
from neuromodels.connection import Secret
from neuromodels.errors import NeuromodelsError, PartialSaveError

SECRET = "SECRETtok0input0d15t1nct1ve"


def make(**kw):
    kw.setdefault("backend", "catmaid")
    return Connection("http://127.0.0.1:9", **kw)


# -- numbers -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("option,value", [
    ("retries", True), ("retries", False), ("max_workers", True), ("timeout", True), ("timeout", False),
    ("timeout", math.nan), ("timeout", math.inf), ("timeout", -1), ("backoff", math.nan), ("max_body", True),
    ("retries", 2.5), ("max_workers", 0), ("timeout", "5"),
])
def test_numeric_options_refuse_booleans_and_non_finite_values(option, value):
    with pytest.raises((ValueError, TypeError), match=option):
        make(**{option: value})


def test_numeric_options_accept_plain_numbers():
    conn = make(retries=0, max_workers=1, timeout=0.5, backoff=0)
    assert (conn.retries, conn.max_workers, conn.timeout) == (0, 1, 0.5)


# -- keywords ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("given,meant", [
    ("projet", "project"), ("api_token", "token"), ("project_id", "project"), ("tokn", "token"),
    ("timout", "timeout"), ("max_threads", "max_workers"), ("http_pasword", "http_password"),
])
def test_misspelt_options_say_what_was_meant(given, meant):
    with pytest.raises(TypeError) as info:
        make(**{given: 1})
    assert f"did you mean {meant}=" in str(info.value)


def test_misspelt_backend_option_and_backend_name():
    with pytest.raises(TypeError, match="did you mean signature="):
        Connection("http://127.0.0.1:9", backend="cytomine", public_key="a", private_key="b", signatur="3.x")
    with pytest.raises(ValueError, match="did you mean 'catmaid'"):
        Connection("http://127.0.0.1:9", backend="catmiad")


def test_misspelt_option_before_the_backend_is_known():
    with pytest.raises(TypeError, match="did you mean token="):
        Connection("http://127.0.0.1:9", api_token="x")


# -- credentials -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw", [SECRET + "\n", "  " + SECRET, SECRET + "\r\n", "\t" + SECRET + " "])
def test_surrounding_whitespace_is_stripped(raw):
    assert make(token=raw).token == SECRET
    conn = Connection("http://127.0.0.1:9", backend="cytomine", public_key=raw, private_key=raw)
    assert conn.keys == (SECRET, SECRET)


@pytest.mark.parametrize("raw", [SECRET[:10] + "\n" + SECRET[10:], SECRET[:10] + " " + SECRET[10:],
                                 SECRET + "\x00"])
def test_broken_tokens_are_refused_without_showing_them(raw):
    with pytest.raises(ValueError) as info:
        make(token=raw)
    assert "token" in str(info.value)
    assert SECRET[:10] not in str(info.value) and SECRET[10:] not in str(info.value)


def test_a_url_with_user_and_password_is_split():
    conn = Connection(f"catmaid+https://lab-user:{SECRET}@example.org/catmaid/", project=1)
    assert conn.url == "https://example.org/catmaid" and conn.transport.base_url == conn.url
    assert conn.http_auth == ("lab-user", SECRET)
    texts = [repr(conn), str(conn), repr(vars(conn)), repr(vars(conn.transport)), repr(conn.transport.auth)]
    assert not [t for t in texts if SECRET in t]
    with pytest.raises(ValueError, match="another http_user"):
        Connection(f"https://lab-user:{SECRET}@example.org", backend="catmaid", http_user="someone-else")


def test_secrets_are_masked_in_vars_and_never_pickled():
    conn = make(token=SECRET, http_user="u", http_password=SECRET)
    assert SECRET not in repr(vars(conn))
    assert isinstance(vars(conn)["_token"], Secret) and repr(vars(conn)["_token"]) == "Secret('***')"
    with pytest.raises(TypeError):
        pickle.dumps(Secret(SECRET))
    import copy

    assert copy.deepcopy(conn.transport.auth) is not None  # copies share the secret, never fail


def test_a_cytomine_connection_needs_keys_or_a_token():
    with pytest.raises(ValueError) as info:
        Connection("http://127.0.0.1:9", backend="cytomine")
    assert "public_key=" in str(info.value) and "private_key=" in str(info.value) and "token=" in str(info.value)
    with pytest.raises(ValueError, match="both"):
        Connection("http://127.0.0.1:9", backend="cytomine", public_key="only-one")
    assert Connection("http://127.0.0.1:9", backend="cytomine", token="t").backend.name == "cytomine"


# -- TLS -------------------------------------------------------------------------------------------------
def test_a_missing_ca_bundle_is_refused_at_construction(tmp_path):
    with pytest.raises(ValueError, match="no such CA bundle"):
        make(verify=str(tmp_path / "missing.pem"))
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    assert make(verify=str(bundle)).transport.verify == str(bundle)


# -- errors ----------------------------------------------------------------------------------------------
def error_classes():
    return sorted((c for c in vars(errors_module).values()
                   if isinstance(c, type) and issubclass(c, NeuromodelsError)), key=lambda c: c.__name__)


@pytest.mark.parametrize("cls", error_classes(), ids=lambda c: c.__name__)
def test_every_error_pickles_with_its_fields(cls):
    if cls is PartialSaveError:
        error = cls("2 of 3 saved", saved=[1, 2], failed=[(3, errors_module.BadRequest("no"))], unknown=[4])
    else:
        error = cls("it failed", status=503, method="POST", path="/1/x", server_message="busy", sent=True,
                    outcome_unknown=True)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls and str(copy) == str(error) and vars(copy).keys() == vars(error).keys()
    if cls is PartialSaveError:
        assert copy.saved == [1, 2] and copy.unknown == [4] and str(copy.failed[0][1]) == "no"
    else:
        assert (copy.status, copy.sent, copy.outcome_unknown, copy.unknown_outcome) == (503, True, True, True)


def test_declared_outcome_fields():
    error = errors_module.ServerError("x")
    assert (error.sent, error.outcome_unknown) == (False, False)
    error.unknown_outcome = True  # the older name still sets it
    assert error.outcome_unknown is True
    with pytest.raises(TypeError):
        errors_module.ServerError("x", True)  # keyword-only


def test_no_connection_explains_both_ways_out():
    with pytest.raises(NoConnection) as info:
        Project.fetch(1)
    assert "with Connection(" in str(info.value) and "connection=" in str(info.value)


# -- environment, files and profiles -----------------------------------------------------------------------
def test_from_env_understands_pymaids_variables(monkeypatch):
    for name in ("NEUROMODELS_URL", "NEUROMODELS_BACKEND", "NEUROMODELS_PROJECT", "NEUROMODELS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CATMAID_SERVER", "https://catmaid.example.org")
    monkeypatch.setenv("CATMAID_API_TOKEN", SECRET + "\n")
    monkeypatch.setenv("CATMAID_HTTP_USER", "lab")
    monkeypatch.setenv("CATMAID_HTTP_PASSWORD", "pw")
    conn = Connection.from_env()
    assert (conn.backend.name, conn.url, conn.project, conn.token, conn.http_auth) == (
        "catmaid", "https://catmaid.example.org", 1, SECRET, ("lab", "pw"))
    assert Connection.from_env(project=7).project == 7
    monkeypatch.setenv("NEUROMODELS_URL", "clio+https://clio.example.org")
    monkeypatch.setenv("NEUROMODELS_TOKEN", "t")
    assert Connection.from_env().backend.name == "clio"  # NEUROMODELS_* win


def test_clio_reads_the_token_file_clio_py_writes(tmp_path, monkeypatch):
    from neuromodels.backends import clio

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("CLIO_TOKEN", raising=False)
    (tmp_path / "clio_token.json").write_text(json.dumps({"token": SECRET}))
    conn = Connection("https://clio.example.org", backend="clio")
    assert conn.transport.auth is not None and SECRET not in repr(conn.transport.auth)
    assert clio.stored_token() == Secret(SECRET)
    (tmp_path / ".config" / "neuromodels").mkdir(parents=True)
    (tmp_path / ".config" / "neuromodels" / "clio-token").write_text("other\n")
    assert clio.stored_token() == Secret("other")  # our own file first


def test_named_profiles(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    folder = tmp_path / "neuromodels"
    folder.mkdir()
    (folder / "lab-token").write_text(SECRET + "\n")
    (folder / "profiles.ini").write_text(
        "[lab]\nurl = https://catmaid.lab.example.org\nbackend = catmaid\nproject = 3\n"
        "token_file = " + str(folder / "lab-token") + "\ntimeout = 12\nverify = false\n"
        "[cyto]\nurl = cytomine+https://cyto.example.org\npublic_key = pub\nprivate_key = priv\n"
    )
    conn = Connection.from_profile("lab")
    assert (conn.url, conn.project, conn.token, conn.timeout, conn.verify) == (
        "https://catmaid.lab.example.org", 3, SECRET, 12.0, False)
    assert Connection.from_profile("lab", project=4).project == 4
    assert Connection.from_profile("cyto").keys == ("pub", "priv")
    with pytest.raises(ValueError, match="did you mean 'lab'"):
        Connection.from_profile("labb")


@pytest.mark.parametrize("make_it", ["bad backend", "misspelt option", "from_env", "bad option value"])
def test_a_refused_construction_keeps_no_credential_in_its_frames(make_it, monkeypatch):
    url = "https://lab-user:" + SECRET + "@example.org"
    try:
        if make_it == "bad backend":
            Connection(url, backend="nope", token=SECRET)
        elif make_it == "misspelt option":
            Connection(url, backend="catmaid", api_token=SECRET)
        elif make_it == "bad option value":
            Connection(url, backend="catmaid", token=SECRET, timeout=math.nan)
        else:
            monkeypatch.setenv("NEUROMODELS_URL", url)
            monkeypatch.setenv("NEUROMODELS_TOKEN", SECRET)
            monkeypatch.setenv("NEUROMODELS_BACKEND", "nope")
            Connection.from_env()
    except (TypeError, ValueError) as e:
        error = e
    assert SECRET not in str(error)
    tb, texts = error.__traceback__.tb_next, []  # the frames below this test's own
    while tb is not None:
        texts += [f"{name}={value!r}" for name, value in tb.tb_frame.f_locals.items()]
        tb = tb.tb_next
    assert texts and not [t for t in texts if SECRET in t]
