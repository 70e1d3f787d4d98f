"""Users, their keys and roles, the admin session, and project members."""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

from werkzeug.wrappers import Request, Response

from ..harness import route
from .base import CytomineBase, CytomineError, not_found, reply, signature
from .store import next_ids, now_ms

#: The fields of a user a client writes (User.getDataFromDomain reads them back).
USER_FIELDS = ("firstname", "lastname", "email", "language", "isDeveloper")


class UserViews(CytomineBase):
    @route("/server/ping", "/server/ping.json", public=True)
    def ping(self, request: Request, user: int | None) -> Response:
        return reply({"alive": True, "version": "0.0.0", "serverURL": self.server_url, "serverID": "default"})

    # -- JSON --------------------------------------------------------------------------------------
    def user_json(self, row: tuple[Any, ...], keys: bool = False) -> dict[str, Any]:
        uid, username, name, public, private, data, created, updated = row[:8]
        extra = json.loads(data or "{}")
        first = extra.get("firstname") or (name or username).split()[0]
        last = extra.get("lastname") or (name or username).split()[-1]
        obj = {"class": "be.cytomine.domain.security.User", "id": uid, "username": username, "name": name,
               "email": extra.get("email") or f"{username}@localhost", "fullName": f"{first} {last}",
               "firstname": first, "lastname": last, "language": extra.get("language") or "EN",
               "isDeveloper": bool(extra.get("isDeveloper")), "created": created, "updated": updated, "deleted": None}
        if keys:
            roles = self.authorities(uid)
            admin = "ROLE_ADMIN" in roles or "ROLE_SUPER_ADMIN" in roles
            obj.update(publicKey=public, privateKey=private, admin=admin, user=not admin and "ROLE_USER" in roles,
                       guest=roles == {"ROLE_GUEST"}, adminByNow=admin, userByNow=not admin and "ROLE_USER" in roles,
                       guestByNow=roles == {"ROLE_GUEST"}, isSwitched=False)
        return obj

    def authorities(self, user: int) -> set[str]:
        roles = {d["id"]: d["authority"] for d in self.docs("secrole")}
        return {roles[d["role"]] for d in self.docs("secusersecrole", user=user) if d["role"] in roles}

    def users_where(self, ids: set[int] | None = None) -> list[dict[str, Any]]:
        rows = self.db.read("SELECT * FROM user ORDER BY id")
        return [self.user_json(r) for r in rows if ids is None or r[0] in ids]

    # -- the current user and keys ------------------------------------------------------------------
    @route("/api/user/current.json", methods=("GET",))
    def current_user(self, request: Request, user: int) -> Response:
        return reply(self.user_json(self.user_row(user) or (), keys=True))

    @route("/session/admin/open.json", "/session/admin/close.json", "/session/admin/info.json", methods=("GET",))
    def admin_session(self, request: Request, user: int) -> Response:
        """RestGrantRoleController: the bundled admin is always admin, so the session changes nothing."""
        obj = self.user_json(self.user_row(user) or (), keys=True)
        return reply({k: obj[k] for k in ("admin", "user", "guest", "adminByNow", "userByNow", "guestByNow")})

    @route("/api/user/<int:id>/keys.json", "/api/userkey/<public>/keys.json", methods=("GET",))
    def keys(self, request: Request, user: int, id: int | None = None, public: str | None = None) -> Response:
        column, value = ("id", id) if id is not None else ("public_key", public)
        rows = self.db.read(f"SELECT public_key, private_key FROM user WHERE {column} = ?", (value,))
        if not rows:
            # The real server echoes the key it was given; a key never goes into a message here.
            raise CytomineError(404, f"User not found with filters : {{{column}={id if id is not None else '<key>'}}}")
        return reply({"privateKey": rows[0][1], "publicKey": rows[0][0]})

    @route("/api/signature.json", methods=("GET",))
    def signature_of(self, request: Request, user: int) -> Response:
        """The signature the current user's key gives a request described by the query."""
        args = request.args
        public, private = (self.user_row(user) or ("", "", "", "", ""))[3:5]
        ctype = args.get("content-type") or args.get("content-Type") or ""
        return reply({"signature": signature(private, args.get("method", "GET"), ctype, args.get("date", ""), None),
                      "publicKey": public})

    # -- users -------------------------------------------------------------------------------------
    def add_user(self, cur: sqlite3.Connection, data: Any) -> int:
        if not isinstance(data, dict) or not data.get("username"):
            raise CytomineError(400, "User username is required", wrapper=True)
        for field in ("firstname", "lastname", "email"):
            if not data.get(field):
                raise CytomineError(400, f"User {field} is required", wrapper=True)
        if cur.execute("SELECT 1 FROM user WHERE username = ?", (data["username"],)).fetchone():
            raise CytomineError(409, f"User {data['username']} already exist!", wrapper=True)
        (uid,) = next_ids(cur)
        t = now_ms()
        extra = {k: data.get(k) for k in USER_FIELDS}
        cur.execute("INSERT INTO user (id, username, name, public_key, private_key, data, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (uid, data["username"], f"{data['firstname']} {data['lastname']}", str(uuid.uuid4()), str(uuid.uuid4()),
                     json.dumps(extra), t, t))
        roles = {d["authority"]: d["id"] for d in self.docs("secrole", cur)}
        if "ROLE_USER" in roles:
            self.doc_add(cur, "secusersecrole", {"user": uid, "role": roles["ROLE_USER"]})
        return uid

    @route("/api/user.json", methods=("GET", "POST"))
    def users(self, request: Request, user: int) -> Response:
        if request.method == "GET":
            return self.envelope(request, self.users_where())
        data = self.body(request)
        if isinstance(data, list):
            return self.add_many("users", data, self.add_user)
        with self.db.transaction() as cur:
            uid = self.add_user(cur, data)
        obj = self.user_json(self.user_row(uid) or ())
        return self.command("Add", "user", "user", obj, f"User {obj['username']} ({obj['fullName']}) added")

    @route("/api/user/<int:id>.json", "/api/user/<username>.json", methods=("GET", "PUT", "DELETE"))
    def user(self, request: Request, user: int, id: int | None = None, username: str | None = None) -> Response:
        if id is None:
            rows = self.db.read("SELECT id FROM user WHERE username = ?", (username,))
            id = rows[0][0] if rows else None
        row = self.user_row(id)
        if row is None:
            if request.method == "GET":
                raise not_found("User", id if id is not None else username)
            raise CytomineError(404, f"class be.cytomine.domain.security.User {id} not found", wrapper=True)
        if request.method == "GET":
            return reply(self.user_json(row))
        if request.method == "PUT":
            data = self.body_dict(request)
            before = self.user_json(row)
            merged = {k: data.get(k, before[k]) for k in ("username", *USER_FIELDS)}
            if self.db.read("SELECT 1 FROM user WHERE username = ? AND id != ?", (merged["username"], id)):
                raise CytomineError(409, f"User {merged['username']} already exist!", wrapper=True)
            with self.db.transaction() as cur:
                cur.execute("UPDATE user SET username = ?, name = ?, data = ?, updated = ? WHERE id = ?",
                            (merged["username"], f"{merged['firstname']} {merged['lastname']}",
                             json.dumps({k: merged[k] for k in USER_FIELDS}), now_ms(), id))
            obj = self.user_json(self.user_row(id) or ())
            return self.command("Edit", "user", "user", obj, f"User {obj['username']} ({obj['fullName']}) edited")
        if id == user:
            raise CytomineError(403, "You cannot delete your own account", wrapper=True)
        obj = self.user_json(row)
        with self.db.transaction() as cur:
            mine = [d["id"] for kind in ("secusersecrole", "projectuser") for d in self.docs(kind, cur, user=id)]
            self.doc_delete(cur, mine)
            cur.execute("DELETE FROM user WHERE id = ?", (id,))
        return self.command("Delete", "user", "user", obj, f"User {obj['username']} ({obj['fullName']}) deleted")

    # -- members of projects, users of ontologies -----------------------------------------------------
    @route("/api/project/<int:project>/user.json", methods=("GET",))
    def project_users(self, request: Request, user: int, project: int) -> Response:
        if not self.db.read("SELECT 1 FROM project WHERE id = ?", (project,)):
            raise not_found("Project", project)
        return self.envelope(request, self.users_where({d["user"] for d in self.docs("projectuser", project=project)}))

    @route("/api/project/<int:project>/admin.json", methods=("GET",))
    def project_admins(self, request: Request, user: int, project: int) -> Response:
        if not self.db.read("SELECT 1 FROM project WHERE id = ?", (project,)):
            raise not_found("Project", project)
        ids = {d["user"] for d in self.docs("projectuser", project=project) if d.get("admin")}
        return self.envelope(request, self.users_where(ids))

    @route("/api/ontology/<int:ontology>/user.json", methods=("GET",))
    def ontology_users(self, request: Request, user: int, ontology: int) -> Response:
        if not self.db.read("SELECT 1 FROM ontology WHERE id = ?", (ontology,)):
            raise not_found("Ontology", ontology)
        projects = {r[0] for r in self.db.read("SELECT id FROM project WHERE ontology = ?", (ontology,))}
        return self.envelope(request, self.users_where({d["user"] for d in self.docs("projectuser") if d["project"] in projects}))

    @route("/api/project/<int:project>/user/<int:member>.json", "/api/project/<int:project>/user/<int:member>/admin.json",
           methods=("POST", "DELETE"))
    def project_member(self, request: Request, user: int, project: int, member: int) -> Response:
        """Add or remove a member (``/admin.json``: make or unmake a manager) — RestUserController."""
        if not self.db.read("SELECT 1 FROM project WHERE id = ?", (project,)):
            raise not_found("Project", project)
        if self.user_row(member) is None:
            raise not_found("User", member)
        admin = request.path.endswith("/admin.json")
        with self.db.transaction() as cur:
            found = self.docs("projectuser", cur, project=project, user=member)
            if request.method == "POST" and not found:
                self.doc_add(cur, "projectuser", {"project": project, "user": member, "admin": admin})
            elif request.method == "POST":
                self.doc_update(cur, found[0]["id"], {"project": project, "user": member, "admin": admin or found[0]["admin"]})
            elif found and admin:
                self.doc_update(cur, found[0]["id"], {"project": project, "user": member, "admin": False})
            elif found:
                self.doc_delete(cur, [found[0]["id"]])
        verb = "added to" if request.method == "POST" else "removed from"
        return reply({"message": f"User {member} {verb} project {project}{' as manager' if admin else ''}"})

    # -- roles -------------------------------------------------------------------------------------
    def role_json(self, doc: dict[str, Any]) -> dict[str, Any]:
        return {"class": "be.cytomine.domain.security.SecRole", "id": doc["id"], "created": doc["created"],
                "updated": doc["updated"], "authority": doc["authority"]}

    def user_role_json(self, doc: dict[str, Any]) -> dict[str, Any]:
        role = self.doc("secrole", doc["role"]) or {}
        return {"class": "be.cytomine.domain.security.SecUserSecRole", "id": doc["id"], "created": doc["created"],
                "updated": doc["updated"], "user": doc["user"], "role": doc["role"], "authority": role.get("authority")}

    @route("/api/role.json", methods=("GET",))
    def roles(self, request: Request, user: int) -> Response:
        return self.envelope(request, [self.role_json(d) for d in self.docs("secrole")])

    @route("/api/role/<int:id>.json", methods=("GET",))
    def role(self, request: Request, user: int, id: int) -> Response:
        doc = self.doc("secrole", id)
        if doc is None:
            raise not_found("SecRole", id)
        return reply(self.role_json(doc))

    @route("/api/user/<int:member>/role.json", methods=("GET", "POST"))
    def user_roles(self, request: Request, user: int, member: int) -> Response:
        if self.user_row(member) is None:
            raise not_found("User", member)
        if request.method == "GET":
            return self.envelope(request, [self.user_role_json(d) for d in self.docs("secusersecrole", user=member)])
        data = self.body_dict(request)
        role = data.get("role")
        with self.db.transaction() as cur:
            if self.doc("secrole", role, cur) is None:
                raise CytomineError(404, f"SecRole {role} not found", wrapper=True)
            if self.docs("secusersecrole", cur, user=member, role=role):
                raise CytomineError(409, f"User {member} has already role {role}", wrapper=True)
            rid = self.doc_add(cur, "secusersecrole", {"user": member, "role": role})
            obj = self.user_role_json(self.doc("secusersecrole", rid, cur) or {})
        return self.command("Add", "secUserSecRole", "secusersecrole", obj, f"User {member} has now role {obj['authority']}")

    @route("/api/user/<int:member>/role/<int:role>.json", methods=("GET", "DELETE"))
    def user_role(self, request: Request, user: int, member: int, role: int) -> Response:
        found = self.docs("secusersecrole", user=member, role=role)
        if not found:
            raise CytomineError(404, f"SecUserSecRole not found with filters : {{user={member}, role={role}}}")
        obj = self.user_role_json(found[0])
        if request.method == "GET":
            return reply(obj)
        with self.db.transaction() as cur:
            self.doc_delete(cur, [found[0]["id"]])
        return self.command("Delete", "secUserSecRole", "secusersecrole", obj, f"User {member} has no more role {obj['authority']}")
