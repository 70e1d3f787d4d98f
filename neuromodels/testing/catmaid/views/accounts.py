"""The user a request acts as (``accounts/login``: pymaid reads it before a join)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from ..base import CatmaidBase, route
from ..store import ANONYMOUS_ID


class AccountViews(CatmaidBase):
    @route("/accounts/login", public=True, methods=("GET",))
    def login_info(self, request: Request, user: int) -> Any:
        """A GET answers the user context of the token's user (the anonymous user without one)."""
        rows = self.db.read("SELECT id, login FROM auth_user WHERE id = ?", (user,))
        uid, login = rows[0] if rows else (ANONYMOUS_ID, "AnonymousUser")
        context: dict[str, Any] = {"longname": "", "userid": uid, "username": login, "is_superuser": uid != ANONYMOUS_ID,
                                   "is_authenticated": uid != ANONYMOUS_ID, "userprofile": {}, "permissions": [],
                                   "domain": []}
        if uid == ANONYMOUS_ID:
            context["warning"] = " Not logged in"
        return context

    @route("/permissions", public=True, methods=("GET",))
    def permissions(self, request: Request, user: int) -> Any:
        """What the token's user may do per project, as CATMAID's ``permissions`` answers
        (``[{permission: {project id: true}}, [group names]]``); nothing for the anonymous user."""
        if user == ANONYMOUS_ID:
            return [{}, []]
        projects = [int(r[0]) for r in self.db.read("SELECT id FROM project")]
        granted = {str(p): True for p in projects}
        return [{"can_administer": granted, "can_annotate": granted, "can_browse": granted,
                 "can_import": granted}, []]
