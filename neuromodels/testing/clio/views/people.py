"""The caller's roles (``/v2/roles``) and point annotations (``/v2/annotations``, clio-store's
annotations v3: per user, keyed by kind and position, widened to a group's members)."""

from __future__ import annotations

import json

from werkzeug.wrappers import Request, Response

from ...harness import route
from ..base import ClioBase, ClioError, reply
from ..store import EMAIL

KINDS = {"point": ("Pt", 3), "lineseg": ("Ln", 6), "sphere": ("Sp", 6)}


class PeopleViews(ClioBase):
    def groups_of(self, email: str) -> list[str]:
        return [g for (g,) in self.db.read("SELECT grp FROM member WHERE email = ? ORDER BY grp", (email,))]

    @route("/v2/roles", "/v2/roles/")
    def roles(self, request: Request, user: str) -> Response:
        """The caller's User record (pydantic's, without its token)."""
        datasets = {name: ["clio_general", "clio_write"] for (name,) in self.db.read("SELECT name FROM dataset")}
        return reply({"email": user, "name": user.split("@")[0].replace(".", " ").title(), "org": None,
                      "picture": None, "disabled": False, "global_roles": [] if user != EMAIL else ["clio_general"],
                      "datasets": datasets, "datasets_ignore_tos": datasets, "missing_tos": [],
                      "groups": self.groups_of(user)})

    @route("/v2/annotations/<dataset>", "/v2/annotations/<dataset>/")
    def points(self, request: Request, user: str, dataset: str) -> Response:
        self.meta(dataset)
        if request.method in ("POST", "PUT"):
            return self.write_points(request, user, dataset)
        if request.method != "GET":
            raise ClioError(405, "Method Not Allowed")
        members = {request.args.get("user") or user}
        groups = {g for g in request.args.get("groups", "").split(",") if g}
        if groups:
            mine = groups & set(self.groups_of(user))
            if not mine:
                raise ClioError(400, f"requestor {user} is not member of requested groups {groups}")
            for group in mine:
                members.update(e for (e,) in self.db.read("SELECT email FROM member WHERE grp = ?", (group,)))
        out = []
        for member in sorted(members):
            for key, data in self.db.read("SELECT key, data FROM point WHERE dataset = ? AND user = ? ORDER BY key",
                                          (dataset, member)):
                out.append({"user": member, "key": key, **json.loads(data)})
        return reply(out)

    def write_points(self, request: Request, user: str, dataset: str) -> Response:
        payload = request.get_json(silent=True)
        items = payload if isinstance(payload, list) else [payload]
        keys = []
        for item in items:
            if not isinstance(item, dict) or item.get("kind") not in KINDS or not isinstance(item.get("pos"), list):
                raise ClioError(422, [{"loc": ["body"], "msg": "field required", "type": "value_error.missing"}])
            prefix, size = KINDS[item["kind"]]
            if len(item["pos"]) != size:
                raise ClioError(422, [{"loc": ["body", "__root__"], "msg": f"{item['kind']} must have {size} elements in pos",
                                       "type": "value_error"}])
            owner = item.get("user") or user
            key = prefix + "_".join(str(int(v)) for v in item["pos"])
            data = {k: v for k, v in item.items() if k != "user"}
            with self.db.transaction() as cur:
                cur.execute("INSERT OR REPLACE INTO point VALUES (?, ?, ?, ?)", (dataset, owner, key, json.dumps(data)))
            keys.append(key)
        return reply({"key": keys[0]} if not isinstance(payload, list) else {"keys": keys})

    @route("/v2/annotations/<dataset>/<key>", "/v2/annotations/<dataset>/<key>/", methods=("DELETE",))
    def delete_point(self, request: Request, user: str, dataset: str, key: str) -> Response:
        owner = request.args.get("user_email") or user
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM point WHERE dataset = ? AND user = ? AND key = ?", (dataset, owner, key))
        return reply(None)



