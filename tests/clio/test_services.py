"""Clio beyond body annotations, against the bundled store: roles, versions, point annotations,
show_extra, DVID (ids_exist, schema) and tokens that expire (inferred shapes are noted)."""

import json
import time

import pytest

from neuromodels import Annotation, AnnotationCollection, AuthenticationError, NotSupported
from neuromodels.backends import clio
from neuromodels.testing import serve

from .conftest import connect_to


@pytest.fixture(scope="module")
def server():
    with serve("clio") as s:
        yield s


@pytest.fixture
def conn(server):
    with connect_to({"url": server.url, "token": server.token, "project": server.project}) as c:
        yield c


def jwt(email, exp):
    import base64

    def part(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256'})}.{part({'email': email, 'exp': exp})}.c2ln"


def test_roles_name_the_caller_and_its_datasets(conn):
    roles = clio.roles()
    assert roles["email"] == "local.user@localhost"
    assert roles["datasets"]["VNC"] == ["clio_general", "clio_write"] and roles["groups"] == ["flyem"]


def test_versions_and_tag_uuid_both_ways(conn):
    tags = clio.versions()
    assert tags == {"v0.3.31": "2b6f0e", "v0.3.32": "74ea83", "v0.3.33": "9c1d77"}
    assert clio.head_tag() == "v0.3.33" and clio.head_uuid() == tags["v0.3.33"]
    for tag, uuid in tags.items():
        assert clio.tag_to_uuid(tag) == uuid and clio.uuid_to_tag(uuid[:4]) == tag
    from neuromodels import NotFound

    with pytest.raises(NotFound, match="Could not find tag v9"):
        clio.tag_to_uuid("v9.9.9")


def test_point_annotations_own_and_group(conn):
    mine = clio.point_annotations()
    assert set(mine.user) == {"local.user@localhost"} and len(mine) == 2
    assert list(mine.columns[:4]) == ["user", "key", "kind", "pos"]
    both = clio.point_annotations(["flyem"])
    assert len(both) == 3 and "colleague@localhost" in set(both.user)
    from neuromodels import BadRequest

    with pytest.raises(BadRequest, match="not member"):
        clio.point_annotations("strangers")
    with pytest.raises(ValueError):
        clio.point_annotations("a,b")


def test_show_extra_keeps_the_companion_fields(conn):
    plain = Annotation.fetch(10003)
    assert not any(k.endswith(("_user", "_time")) for k in plain.properties)
    users = Annotation.fetch(10003, show_extra="user").properties
    assert "type_user" in users and "type_time" not in users
    every = AnnotationCollection(hemilineage="07B").fetch(show_extra="all")
    assert all({"type_user", "type_time"} <= set(a.properties) for a in every)
    listed = AnnotationCollection().fetch(show_extra="time")
    assert all("type_time" in a.properties for a in listed)
    with pytest.raises(ValueError, match="show_extra='users'"):
        AnnotationCollection().fetch(show_extra="users")


def test_ids_exist_and_schema_go_to_the_datasets_dvid(conn, server):
    before = server.sent("GET", r"^/dvid/")
    assert clio.ids_exist([10003, 10150, 99999999]).tolist() == [True, True, False]
    assert server.sent("GET", r"^/dvid/api/node/9c1d77/segmentation/sizes$") >= 1
    assert server.sent("GET", r"^/dvid/") > before
    schema = clio.json_schema()
    assert schema["required"] == ["bodyid"]
    clio.check_schema([Annotation(id=10003, properties={"group": 4, "position": [1, 2, 3], "note": "free"})])
    with pytest.raises(ValueError, match=r"2 annotation properties .*group='x'.*position=\[1, 2\]"):
        clio.check_schema([Annotation(id=10003, properties={"group": "x", "position": [1, 2]})])


def test_calls_of_another_backend_are_not_supported():
    with serve("neuromorpho") as s:
        from neuromodels import Connection

        with Connection(s.url, backend="neuromorpho", progress=False):
            with pytest.raises(NotSupported, match="Clio call"):
                clio.roles()


def test_expired_token_says_how_to_hand_in_a_fresh_one(server):
    target = {"url": server.url, "token": jwt("a@b", time.time() - 5), "project": server.project}
    with connect_to(target) as conn:
        before = server.requests
        with pytest.raises(AuthenticationError, match=r"expired at .*use_token\(token, connection=conn\)"):
            Annotation.fetch(10003)
        assert server.requests == before  # refused before sending
        with pytest.raises(AuthenticationError, match="expired too"):
            clio.use_token(jwt("a@b", time.time() - 5))
        clio.use_token(server.token)
        assert Annotation.fetch(10003).id == 10003
        assert conn.token == server.token


def test_a_stored_token_is_read_again_once_the_one_in_use_expired(server, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("CLIO_TOKEN", raising=False)
    clio.save_token(jwt("a@b", time.time() - 5))  # the stored token has expired since it was saved
    path = tmp_path / ".config" / "neuromodels" / "clio-token"
    assert path.stat().st_mode & 0o777 == 0o600
    with connect_to({"url": server.url, "token": None, "project": server.project}) as conn:
        assert conn.transport.auth is not None
        with pytest.raises(AuthenticationError, match="expired"):
            Annotation.fetch(10003)
        clio.save_token(server.token)  # a fresh one saved meanwhile (another shell, clio-py)
        assert Annotation.fetch(10003).id == 10003


def test_refresh_token_asks_the_store_and_saves_on_request(conn, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    old = conn.token
    clio.refresh_token(save=True)
    assert conn.token != old and 20 * 86400 < clio.token_expiry(conn.token) - time.time() <= 21 * 86400
    assert (tmp_path / ".config" / "neuromodels" / "clio-token").read_text().strip() == conn.token
    assert Annotation.fetch(10003).id == 10003


def test_a_401_names_expiry_among_its_causes(server):
    with connect_to({"url": server.url, "token": "opaque-and-revoked", "project": server.project}, retries=0):
        with pytest.raises(AuthenticationError, match="Could not validate credentials.*expire.*use_token") as info:
            Annotation.fetch(10003)
        assert info.value.server_message == "Could not validate credentials"
