"""The bundled Cytomine over the wire: the resources the Cytomine Python client's own suite needs.

Shapes follow the Cytomine Spring core (cytomine/cytomine, ``core/``): a write answers with the
command envelope ``{message, callback, printMessage, <class name lower-cased>: object, command}``
(ResponseService.createResponseMessage); a list answers with ``{collection, offset, perPage, size,
totalPages}``; a missing object is 404. Where a shape was inferred rather than read from a
controller, the test's docstring says so.

Inferred as a whole: at commit ea68d6f94 the core hands ontologies, terms, term relations,
storages and uploaded files to a separate repository service, which answers writes with
``{printMessage, data, commandId, command}`` and takes no list bodies, and has no GET for a term
relation by its two terms. The bundled server keeps the core's own ModelService shapes for them
(command envelope under the class name, list POSTs through addMultiple, the GET the client's
``RelationTerm.fetch`` calls): the 4.3.0 client reads both (it falls back to ``data``), and so does
this library's client.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from neuromodels.testing import serve

PROJECT_CLASS = "be.cytomine.domain.project.Project"
ANNOTATION_CLASS = "be.cytomine.domain.ontology.UserAnnotation"
SQUARE = "POLYGON ((1 1, 1 9, 9 9, 9 1, 1 1))"


class Signed:
    """Requests signed the way the Cytomine client signs them (HMAC-SHA1 over method, content
    type, date and path), written here independently of the server's code."""

    def __init__(self, url: str, public: str, private: str) -> None:
        self.url, self.public, self.private = url, public, private
        self.session = requests.Session()

    def __call__(self, method: str, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        prepared = self.session.prepare_request(requests.Request(method, self.url + path, json=json, **kwargs))
        date = email.utils.formatdate(usegmt=True)
        ctype = prepared.headers.get("content-type", "")
        full = urlsplit(prepared.url).path + (("?" + urlsplit(prepared.url).query) if urlsplit(prepared.url).query else "")
        text = f"{method}\n\n{ctype}\n{date}\n{full}"
        sig = base64.b64encode(hmac.new(self.private.encode(), text.encode(), hashlib.sha1).digest()).decode()
        prepared.headers.update({"date": date, "authorization": f"CYTOMINE {self.public}:{sig}"})
        return self.session.send(prepared, timeout=10)

    def ok(self, method: str, path: str, json: Any = None, **kwargs: Any) -> Any:
        r = self(method, path, json, **kwargs)
        assert r.status_code == 200, (method, path, r.status_code, r.text[:300])
        return r.json()


@pytest.fixture(scope="module")
def server():
    with serve("cytomine") as s:
        yield s


@pytest.fixture(scope="module")
def api(server):
    return Signed(server.url, server.public_key, server.private_key)


def unique(prefix: str = "x") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def new_user(api: Signed) -> dict[str, Any]:
    return api.ok("POST", "/api/user.json", {"username": unique("u"), "firstname": "Ada", "lastname": "Lovelace",
                                             "email": "ada@example.org", "password": "not-kept"})["user"]


def first_image(api: Signed, server) -> dict[str, Any]:
    return api.ok("GET", f"/api/project/{server.project}/imageinstance.json")["collection"][0]


# -- users, keys, roles --------------------------------------------------------------------------------
def test_user_lifecycle_and_its_own_keys(api, server):
    created = api("POST", "/api/user.json", {"username": unique("u"), "firstname": "Ada", "lastname": "Lovelace",
                                             "email": "ada@example.org", "password": "secret-pw"})
    assert created.status_code == 200
    body = created.json()
    user = body["user"]
    assert body["callback"]["userID"] == str(user["id"]) and body["printMessage"] is True
    assert "password" not in user and "privateKey" not in user  # keys only through keys.json
    keys = api.ok("GET", f"/api/user/{user['id']}/keys.json")
    as_user = Signed(server.url, keys["publicKey"], keys["privateKey"])
    assert as_user.ok("GET", "/api/user/current.json")["username"] == user["username"]

    renamed = api.ok("PUT", f"/api/user/{user['id']}.json", {**user, "username": user["username"] + "b"})["user"]
    assert api.ok("GET", f"/api/user/{user['id']}.json")["username"] == renamed["username"] == user["username"] + "b"
    assert api("POST", "/api/user.json", {**user, "username": renamed["username"]}).status_code == 409
    api.ok("DELETE", f"/api/user/{user['id']}.json")
    assert api("GET", f"/api/user/{user['id']}.json").status_code == 404
    assert as_user("GET", "/api/user/current.json").status_code == 401  # its keys died with it


def test_current_user_is_stable_and_carries_its_keys(api, server):
    first = api.ok("GET", "/api/user/current.json")
    assert first == api.ok("GET", "/api/user/current.json")
    assert first["publicKey"] == server.public_key and first["privateKey"] == server.private_key
    assert first["adminByNow"] is True
    assert api.ok("GET", f"/api/userkey/{server.public_key}/keys.json")["privateKey"] == server.private_key
    assert api("GET", "/api/userkey/no-such-key/keys.json").status_code == 404
    assert api.ok("GET", "/session/admin/open.json")["admin"] is True


def test_signature_is_the_hmac_of_the_described_request(api, server):
    date = "Sun, 29 Nov 2026 10:00:00 GMT"
    got = api.ok("GET", "/api/signature.json", params={"method": "POST", "content-type": "application/json", "date": date})
    expected = base64.b64encode(hmac.new(server.private_key.encode(), f"POST\n\napplication/json\n{date}".encode(),
                                         hashlib.sha1).digest()).decode()
    assert got == {"signature": expected, "publicKey": server.public_key}


def test_roles_and_user_roles(api):
    roles = {r["authority"]: r["id"] for r in api.ok("GET", "/api/role.json")["collection"]}
    assert set(roles) == {"ROLE_USER", "ROLE_ADMIN", "ROLE_SUPER_ADMIN", "ROLE_GUEST"}
    assert api.ok("GET", f"/api/role/{roles['ROLE_GUEST']}.json")["authority"] == "ROLE_GUEST"
    user = new_user(api)
    assert [r["authority"] for r in api.ok("GET", f"/api/user/{user['id']}/role.json")["collection"]] == ["ROLE_USER"]
    added = api.ok("POST", f"/api/user/{user['id']}/role.json", {"user": user["id"], "role": roles["ROLE_ADMIN"]})
    assert added["secusersecrole"]["authority"] == "ROLE_ADMIN" and added["secusersecrole"]["user"] == user["id"]
    assert api("POST", f"/api/user/{user['id']}/role.json", {"user": user["id"], "role": roles["ROLE_ADMIN"]}).status_code == 409
    assert api.ok("GET", f"/api/user/{user['id']}/role/{roles['ROLE_ADMIN']}.json")["role"] == roles["ROLE_ADMIN"]
    api.ok("DELETE", f"/api/user/{user['id']}/role/{roles['ROLE_ADMIN']}.json")
    assert api("GET", f"/api/user/{user['id']}/role/{roles['ROLE_ADMIN']}.json").status_code == 404


def test_projects_of_a_user_are_its_memberships(api, server):
    """Was a 400. ProjectService.listByUser: the projects the user is a member of."""
    user = new_user(api)
    assert api.ok("GET", f"/api/user/{user['id']}/project.json")["collection"] == []
    api.ok("POST", f"/api/project/{server.project}/user/{user['id']}.json")
    listed = api.ok("GET", f"/api/user/{user['id']}/project.json")["collection"]
    assert [p["id"] for p in listed] == [server.project]
    members = {u["id"] for u in api.ok("GET", f"/api/project/{server.project}/user.json")["collection"]}
    assert user["id"] in members
    api.ok("DELETE", f"/api/project/{server.project}/user/{user['id']}.json")
    assert api.ok("GET", f"/api/user/{user['id']}/project.json")["collection"] == []
    assert api("GET", "/api/user/1/project.json").status_code == 404


# -- images and what they stand on -------------------------------------------------------------------------
def test_from_storage_to_image_instance_and_back(api, server):
    me = api.ok("GET", "/api/user/current.json")["id"]
    storage = api.ok("POST", "/api/storage.json", {"name": unique("s"), "userId": me})["storage"]
    assert storage["user"] == me  # the client sends userId; the server stores user
    upload = api.ok("POST", "/api/uploadedfile.json", {
        "originalFilename": "a.tif", "filename": unique("f"), "size": 1, "ext": "tif", "contentType": "image/tiff",
        "projects": server.project, "storage": storage["id"], "user": me})["uploadedfile"]
    assert upload["projects"] == [server.project]
    abstract = api.ok("POST", "/api/abstractimage.json", {"originalFilename": "a.tif", "uploadedFile": upload["id"],
                                                          "width": 50, "height": 40})["abstractimage"]
    base_slice = api.ok("POST", "/api/abstractslice.json", {"image": abstract["id"], "uploadedFile": upload["id"],
                                                            "mime": "image/tiff", "channel": 0, "zStack": 0, "time": 0})
    assert base_slice["abstractslice"]["image"] == abstract["id"]
    assert api("POST", "/api/abstractslice.json", {"image": abstract["id"], "channel": 0, "zStack": 0, "time": 0}).status_code == 409
    by_image = api.ok("GET", f"/api/abstractimage/{abstract['id']}/abstractslice.json")["collection"]
    by_upload = api.ok("GET", f"/api/uploadedfile/{upload['id']}/abstractslice.json")["collection"]
    assert [s["id"] for s in by_image] == [s["id"] for s in by_upload] == [base_slice["abstractslice"]["id"]]

    body = api.ok("POST", "/api/imageinstance.json", {"baseImage": abstract["id"], "project": server.project})
    image = body["imageinstance"]
    assert body["callback"] == {"imageinstanceID": str(image["id"]), "method": "be.cytomine.AddImageInstanceCommand"}
    assert (image["width"], image["height"], image["baseImage"]) == (50, 40, abstract["id"])
    assert api("POST", "/api/imageinstance.json", {"baseImage": abstract["id"], "project": server.project}).status_code == 409
    slices = api.ok("GET", f"/api/imageinstance/{image['id']}/sliceinstance.json")["collection"]
    assert [s["baseSlice"] for s in slices] == [base_slice["abstractslice"]["id"]]
    annotation = api.ok("POST", "/api/annotation.json", {"location": SQUARE, "image": image["id"]})["annotation"]
    assert annotation["slice"] == slices[0]["id"]  # annotations land on the reference slice
    # The abstract image is in use: Cytomine refuses to delete it.
    assert api("DELETE", f"/api/abstractimage/{abstract['id']}.json").status_code == 403

    api.ok("DELETE", f"/api/imageinstance/{image['id']}.json")
    assert api("GET", f"/api/imageinstance/{image['id']}.json").status_code == 404
    assert api("GET", f"/api/annotation/{annotation['id']}.json").status_code == 404
    api.ok("DELETE", f"/api/abstractimage/{abstract['id']}.json")


def test_image_instance_put_and_delete_really_happen(api, server):
    """These answered 200 and changed nothing."""
    image = first_image(api, server)
    edited = api.ok("PUT", f"/api/imageinstance/{image['id']}.json", {**image, "instanceFilename": "renamed.svs",
                                                                      "physicalSizeX": 0.25})["imageinstance"]
    again = api.ok("GET", f"/api/imageinstance/{image['id']}.json")
    assert edited["instanceFilename"] == again["instanceFilename"] == "renamed.svs"
    assert again["physicalSizeX"] == 0.25 and again["originalFilename"] == image["originalFilename"]
    assert again["width"] == image["width"]  # read-only fields are not written back


def test_image_instance_delete_removes_it(api, server):
    me = api.ok("GET", "/api/user/current.json")["id"]
    storage = api.ok("POST", "/api/storage.json", {"name": unique("s"), "user": me})["storage"]
    upload = api.ok("POST", "/api/uploadedfile.json", {"originalFilename": "b", "filename": unique("f"), "ext": "tif",
                                                       "contentType": "image/tiff", "storage": storage["id"]})["uploadedfile"]
    abstract = api.ok("POST", "/api/abstractimage.json", {"originalFilename": "b", "uploadedFile": upload["id"]})["abstractimage"]
    image = api.ok("POST", "/api/imageinstance.json", {"baseImage": abstract["id"], "project": server.project})["imageinstance"]
    before = {i["id"] for i in api.ok("GET", f"/api/project/{server.project}/imageinstance.json")["collection"]}
    api.ok("DELETE", f"/api/imageinstance/{image['id']}.json")
    after = {i["id"] for i in api.ok("GET", f"/api/project/{server.project}/imageinstance.json")["collection"]}
    assert before - after == {image["id"]}
    assert api("DELETE", f"/api/imageinstance/{image['id']}.json").status_code == 404


def test_storage_and_uploaded_file_edits(api):
    storage = api.ok("POST", "/api/storage.json", {"name": unique("s")})["storage"]
    api.ok("PUT", f"/api/storage/{storage['id']}.json", {**storage, "name": "renamed"})
    assert api.ok("GET", f"/api/storage/{storage['id']}.json")["name"] == "renamed"
    upload = api.ok("POST", "/api/uploadedfile.json", {"originalFilename": "o", "filename": "f", "ext": "x",
                                                       "contentType": "c", "storage": storage["id"]})["uploadedfile"]
    api.ok("PUT", f"/api/uploadedfile/{upload['id']}.json", {**upload, "filename": "fbis"})
    assert api.ok("GET", f"/api/uploadedfile/{upload['id']}.json")["filename"] == "fbis"
    assert api("POST", "/api/uploadedfile.json", {"originalFilename": "o", "filename": "f", "ext": "x",
                                                  "contentType": "c", "storage": 1}).status_code == 404
    api.ok("DELETE", f"/api/uploadedfile/{upload['id']}.json")
    assert api("GET", f"/api/uploadedfile/{upload['id']}.json").status_code == 404


# -- ontologies, terms, annotations ---------------------------------------------------------------------
def test_list_body_to_ontology_is_add_multiple(api):
    """Was a 500 HTML page. A JSON array goes to ModelService.addMultiple (HTTP 200, status inside)."""
    names = [unique("o"), unique("o")]
    body = api.ok("POST", "/api/ontology.json", [{"name": n} for n in names])
    assert body["status"] == 200
    listed = {o["name"] for o in api.ok("GET", "/api/ontology.json")["collection"]}
    assert set(names) <= listed
    partial = api.ok("POST", "/api/ontology.json", [{"name": names[0]}, {"name": unique("o")}])
    assert partial["status"] == 206 and len(partial["data"]["errors"]) == 1


def test_annotation_term_show_and_terms_of_an_annotation(api, server):
    """GET /api/annotation/{id}/term/{term}.json was a 405."""
    image = first_image(api, server)
    terms = api.ok("GET", f"/api/project/{server.project}/term.json")["collection"]
    annotation = api.ok("POST", "/api/annotation.json", {"location": SQUARE, "image": image["id"],
                                                         "term": [terms[0]["id"]]})["annotation"]
    shown = api.ok("GET", f"/api/annotation/{annotation['id']}/term/{terms[0]['id']}.json")
    assert (shown["userannotation"], shown["term"]) == (annotation["id"], terms[0]["id"])
    assert api("GET", f"/api/annotation/{annotation['id']}/term/{terms[1]['id']}.json").status_code == 404
    listed = api.ok("GET", f"/api/annotation/{annotation['id']}/term.json")["collection"]
    assert [t["id"] for t in listed] == [terms[0]["id"]]


def test_relation_terms(api, server):
    t1, t2 = api.ok("GET", f"/api/project/{server.project}/term.json")["collection"][:2]
    path = f"/api/relation/parent/term1/{t1['id']}/term2/{t2['id']}.json"
    assert api("GET", path).status_code == 404
    added = api.ok("POST", "/api/relation/parent/term.json", {"term1": t1["id"], "term2": t2["id"]})["relationterm"]
    assert (added["term1"], added["term2"]) == (t1["id"], t2["id"])
    assert api("POST", "/api/relation/parent/term.json", {"term1": t1["id"], "term2": t2["id"]}).status_code == 409
    assert api.ok("GET", path)["id"] == added["id"]
    api.ok("DELETE", path)
    assert api("GET", path).status_code == 404


def test_annotation_listing_needs_a_scope(api):
    """AnnotationListing.container(): no project, image or slice is a WrongArgumentException (400)."""
    r = api("GET", "/api/annotation.json", params={"showWKT": "true"})
    assert r.status_code == 400 and "no project or image or slice" in r.json()["errors"]["message"]


def test_tracks(api, server):
    image = first_image(api, server)
    track = api.ok("POST", "/api/track.json", {"name": unique("t"), "image": image["id"], "color": "#000000"})["track"]
    assert track["project"] == server.project
    assert api("POST", "/api/track.json", {"name": track["name"], "image": image["id"]}).status_code == 409
    assert track["id"] in [t["id"] for t in api.ok("GET", f"/api/imageinstance/{image['id']}/track.json")["collection"]]
    api.ok("DELETE", f"/api/track/{track['id']}.json")
    assert api("GET", f"/api/track/{track['id']}.json").status_code == 404


# -- what hangs off any domain object ---------------------------------------------------------------------
def test_properties_by_id_and_by_key(api, server):
    base = f"/api/domain/{PROJECT_CLASS}/{server.project}"
    key = unique("k")
    prop = api.ok("POST", f"{base}/property.json", {"key": key, "value": "v1"})["property"]
    assert (prop["domainClassName"], prop["domainIdent"], prop["value"]) == (PROJECT_CLASS, server.project, "v1")
    assert api("POST", f"{base}/property.json", {"key": key, "value": "v2"}).status_code == 409
    assert api.ok("GET", f"{base}/property/{prop['id']}.json")["value"] == "v1"
    assert api.ok("GET", f"{base}/key/{key}/property.json")["id"] == prop["id"]
    assert api.ok("GET", f"/api/project/{server.project}/key/{key}/property.json")["id"] == prop["id"]
    api.ok("PUT", f"{base}/property/{prop['id']}.json", {**prop, "value": "v2"})
    assert {p["key"]: p["value"] for p in api.ok("GET", f"{base}/property.json")["collection"]}[key] == "v2"
    api.ok("DELETE", f"{base}/property/{prop['id']}.json")
    assert api("GET", f"{base}/property/{prop['id']}.json").status_code == 404
    assert api("GET", f"/api/domain/{PROJECT_CLASS}/1/property.json").status_code == 404


def test_properties_in_a_batch_and_blank_values(api, server):
    """RestPropertyController.addProperty takes a list too (addMultiple); Property's key and value
    are @NotBlank. Refusing a second property with the same key is this server's choice (inferred:
    the core does not check it, and its lookup by key then fails)."""
    base = f"/api/domain/{PROJECT_CLASS}/{server.project}"
    keys = [unique("k"), unique("k")]
    body = api.ok("POST", f"{base}/property.json", [{"key": keys[0], "value": "a"}, {"key": keys[1], "value": "b"},
                                                    {"key": keys[0], "value": "again"}])
    assert body["status"] == 206 and len(body["data"]["errors"]) == 1
    listed = {p["key"]: p["value"] for p in api.ok("GET", f"{base}/property.json")["collection"]}
    assert (listed[keys[0]], listed[keys[1]]) == ("a", "b")
    assert api("POST", f"{base}/property.json", {"key": unique("k"), "value": " "}).status_code == 400


def test_annotation_properties_go_with_the_annotation(api, server):
    image = first_image(api, server)
    annotation = api.ok("POST", "/api/annotation.json", {"location": SQUARE, "image": image["id"]})["annotation"]
    api.ok("POST", f"/api/domain/{ANNOTATION_CLASS}/{annotation['id']}/property.json", {"key": "cell", "value": "T"})
    listed = api.ok("GET", f"/api/annotation/{annotation['id']}/property.json")["collection"]
    assert [(p["key"], p["value"]) for p in listed] == [("cell", "T")]
    api.ok("DELETE", f"/api/annotation/{annotation['id']}.json")
    assert server._app.docs("property", domainIdent=annotation["id"]) == []


def test_description_one_per_object(api, server):
    """Inferred: a second description on the same object is refused with 409 (AlreadyExist)."""
    path = f"/api/domain/{PROJECT_CLASS}/{server.project}/description.json"
    assert api("GET", path).status_code == 404
    assert api.ok("POST", path, {"data": "<p>first</p>"})["description"]["data"] == "<p>first</p>"
    assert api("POST", path, {"data": "again"}).status_code == 409
    api.ok("PUT", path, {"data": "<p>second</p>"})
    assert api.ok("GET", path)["data"] == "<p>second</p>"
    api.ok("DELETE", path)
    assert api("GET", path).status_code == 404


def test_attached_file_upload_show_list_download(api, server):
    content = b"hello, attached\n"
    r = api("POST", "/api/attachedfile.json", params={"domainClassName": PROJECT_CLASS, "domainIdent": server.project},
            files={"files[]": ("/some/dir/notes.txt", content)})
    assert r.status_code == 200
    attached = r.json()  # RestAttachedFileController.upload answers with the object, no command envelope
    assert attached["filename"] == "notes.txt" and attached["url"] == f"/api/attachedfile/{attached['id']}/download"
    assert api.ok("GET", f"/api/attachedfile/{attached['id']}.json")["domainIdent"] == server.project
    listed = api.ok("GET", f"/api/domain/{PROJECT_CLASS}/{server.project}/attachedfile.json")["collection"]
    assert attached["id"] in [a["id"] for a in listed]
    download = api("GET", f"/api/attachedfile/{attached['id']}/download")
    assert download.status_code == 200 and download.content == content
    missing = api("POST", "/api/attachedfile.json", params={"domainClassName": PROJECT_CLASS, "domainIdent": 1},
                  files={"files[]": ("x.txt", b"x")})
    assert missing.status_code == 404


def test_tags_and_their_associations(api, server):
    assert api("POST", "/api/tag.json", {}).status_code == 400
    tag = api.ok("POST", "/api/tag.json", {"name": unique("tag")})["tag"]
    assert api("POST", "/api/tag.json", {"name": tag["name"].upper()}).status_code == 409  # names are case-blind
    base = f"/api/domain/{PROJECT_CLASS}/{server.project}/tag_domain_association.json"
    body = api.ok("POST", base, {"tag": tag["id"], "domainClassName": PROJECT_CLASS, "domainIdent": server.project})
    association = body["tagdomainassociation"]  # the class name lower-cased, as the core's tests expect
    assert (association["tag"], association["tagName"], association["domainIdent"]) == (tag["id"], tag["name"], server.project)
    assert api("POST", base, {"tag": tag["id"]}).status_code == 409
    assert association["id"] in [a["id"] for a in api.ok("GET", base)["collection"]]
    assert api.ok("GET", f"/api/tag_domain_association/{association['id']}.json")["tag"] == tag["id"]
    api.ok("DELETE", f"/api/tag/{tag['id']}.json")
    assert api("GET", f"/api/tag_domain_association/{association['id']}.json").status_code == 404


def test_positions_and_annotation_actions(api, server):
    """Inferred: positions and actions list in the collection envelope (responseSuccess of a list)."""
    image = first_image(api, server)
    assert api.ok("GET", f"/api/imageinstance/{image['id']}/positions.json")["collection"] == []
    api.ok("POST", f"/api/imageinstance/{image['id']}/position.json", {"topLeftX": 0, "topLeftY": 10, "zoom": 3})
    positions = api.ok("GET", f"/api/imageinstance/{image['id']}/positions.json")["collection"]
    assert [(p["zoom"], p["image"]) for p in positions] == [(3, image["id"])]
    annotation = api.ok("POST", "/api/annotation.json", {"location": SQUARE, "image": image["id"]})["annotation"]
    api.ok("POST", "/api/annotation_action.json", {"annotationIdent": annotation["id"], "action": "select"})
    actions = api.ok("GET", f"/api/imageinstance/{image['id']}/annotation_action.json")["collection"]
    assert [(a["annotationIdent"], a["action"]) for a in actions] == [(annotation["id"], "select")]
