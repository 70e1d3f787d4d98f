"""The frame of the bundled CATMAID server: authentication as DRF and plain Django views do it,
CATMAID's error envelopes, and the queries several resources share."""

from __future__ import annotations

import itertools
import json
from typing import Any, Iterable

import msgpack
import orjson
from werkzeug.wrappers import Request, Response

from ..harness import App, View, route
from . import store
from .store import PROJECT_ID, iso_ms, next_ids, parse_iso
from .wire import (
    HTML_404,
    HTML_CSRF,
    DoesNotExist,
    Http404,
    PlainResponse,
    StateMatchingError,
    as_json_list,
    envelope,
    json_response,
)

__all__ = ["CatmaidBase", "route"]

SYNAPTIC_CODES = {"presynaptic_to": 0, "postsynaptic_to": 1, "gapjunction_with": 2, "desmosome_with": 3}


class CatmaidBase(App):
    """Authentication, error envelopes and the queries several resources share; the views are
    mixins in :mod:`.views`, assembled in :mod:`.app`.

    A view is declared ``@route(path, drf=True, methods=(...))`` for a Django REST framework view
    (JSON 401/403/404/405 bodies, method list enforced) or plain (any method, HTML 403 for a
    POST without credentials); ``public=True`` lets anonymous requests through."""

    schema = store.SCHEMA
    strict_slashes = True

    def seed(self, cur: Any) -> None:
        self.token = store.seed(cur, None)

    def credentials(self) -> dict[str, Any]:
        return {"project": PROJECT_ID, "token": self.token}

    # -- hooks ------------------------------------------------------------------------------------
    def authenticate(self, request: Request, view: View, args: dict[str, Any]) -> Any:
        drf = view.options.get("drf", False)
        header = request.headers.get("X-Authorization") or request.headers.get("Authorization") or ""
        user: int | None = None
        if header.startswith("Token "):
            rows = self.db.read("SELECT id FROM auth_user WHERE token = ?", (header[6:].strip(),))
            if rows:
                user = rows[0][0]
            elif drf:
                return self.json({"detail": "Invalid token."}, 401, **{"WWW-Authenticate": "Token"})
        if drf and view.methods is not None and request.method not in view.methods:
            return self.method_not_allowed(request, view)
        if user is None and not view.options.get("public", False):
            if request.method == "POST":
                if drf:
                    return self.json({"detail": "CSRF Failed: CSRF cookie not set."}, 403)
                return self.text(HTML_CSRF, 403, "text/html")
            pid = args.get("pid", PROJECT_ID)
            return envelope(PermissionError(
                f"User 'AnonymousUser' with ID 1 does not have the required permissions in project {pid}"),
                "PermissionError", 403)
        if "pid" in args and not self.db.read("SELECT 1 FROM project WHERE id = ?", (args["pid"],)):
            return envelope(DoesNotExist("Project matching query does not exist."), "DoesNotExist", 500)
        return user or store.ANONYMOUS_ID

    def error(self, request: Request, view: View, exc: Exception) -> Response | None:
        if isinstance(exc, PlainResponse):
            return exc.response
        if isinstance(exc, Http404):
            return self.json({"detail": "Not found."}, 404) if view.options.get("drf") else envelope(exc, "Http404", 404)
        if isinstance(exc, StateMatchingError):
            return envelope(exc, "StateMatchingError", 400)
        if isinstance(exc, DoesNotExist):
            return envelope(exc, exc.kind, 500)
        if isinstance(exc, (ValueError, KeyError, TypeError)):
            return envelope(exc if isinstance(exc, ValueError) else ValueError(str(exc)), "ValueError", 400)
        return None

    def render(self, request: Request, view: View, result: Any) -> Response:
        if isinstance(result, Response):
            response = result
        elif request.values.get("format") == "msgpack":
            response = Response(msgpack.packb(result), content_type="application/octet-stream")
        else:
            response = json_response(result)
        if view.options.get("drf") and view.methods:
            # What tells a DRF view from a plain Django one on the wire.
            response.headers.setdefault("Allow", ", ".join((*view.methods, "OPTIONS")))
            response.headers.setdefault("Vary", "Accept")
        return response

    def not_found(self, request: Request) -> Response:
        return self.text(HTML_404, 404, "text/html")

    def method_not_allowed(self, request: Request, view: View | None) -> Response:
        return self.json({"detail": f'Method "{request.method}" not allowed.'}, 405)

    def redirect(self, request: Request, location: str) -> Response:
        return Response("", status=301, headers={"Location": location})

    def fault_body(self, status: int) -> str:
        return orjson.dumps({"error": f"injected fault (HTTP {status})", "detail": "", "type": "Exception", "meta": None}).decode()

    # helpers ----------------------------------------------------------------------------------
    def neuron_of(self, skids: list[int]) -> dict[int, int]:
        rows = self.db.read(
            "SELECT skeleton_id, neuron_id FROM model_of WHERE skeleton_id IN (SELECT value FROM json_each(?))",
            (as_json_list(skids),))
        return dict(rows)

    def node_rows_json(self, skids: list[int]) -> dict[int, bytes]:
        """compact-detail node rows per skeleton as JSON bytes, from the cache or built once."""
        ids = as_json_list(skids)
        cached = dict(self.db.read(
            "SELECT skeleton_id, rows FROM skeleton_nodes_json WHERE skeleton_id IN (SELECT value FROM json_each(?))", (ids,)))
        missing = [s for s in skids if s not in cached]
        if missing:
            rows = self.db.read(
                "SELECT skeleton_id, id, parent_id, user_id, x, y, z, radius, confidence FROM treenode "
                "WHERE skeleton_id IN (SELECT value FROM json_each(?)) ORDER BY skeleton_id", (as_json_list(missing),))
            built = {s: b"[]" for s in missing}
            for skid, group in itertools.groupby(rows, key=lambda r: r[0]):
                built[skid] = orjson.dumps([r[1:] for r in group])
            with self.db.transaction() as cur:
                cur.executemany("INSERT OR REPLACE INTO skeleton_nodes_json VALUES (?, ?)", list(built.items()))
            cached.update(built)
        return cached

    def forget_nodes(self, cur: Any, skids: Iterable[int]) -> None:
        """Drop cached node rows after nodes of these skeletons changed."""
        cur.executemany("DELETE FROM skeleton_nodes_json WHERE skeleton_id = ?", [(s,) for s in skids])

    def details(self, pid: int, skids: list[int], connectors: bool, tags: bool, annotations: bool) -> dict[int, list[Any]]:
        """Per existing skeleton ``[node rows JSON bytes, connectors, tags, reviews, annotations]``."""
        ids = as_json_list(skids)
        existing = [r[0] for r in self.db.read(
            "SELECT m.skeleton_id FROM model_of m JOIN class_instance c ON c.id = m.skeleton_id "
            "WHERE c.project_id = ? AND m.skeleton_id IN (SELECT value FROM json_each(?))", (pid, ids))]
        nodes = self.node_rows_json(existing) if existing else {}
        result: dict[int, list[Any]] = {s: [nodes[s], [], {}, [], []] for s in existing}
        if connectors:
            for r in self.db.read(
                "SELECT tc.skeleton_id, tc.treenode_id, tc.connector_id, rel.name, c.x, c.y, c.z "
                "FROM treenode_connector tc JOIN connector c ON c.id = tc.connector_id "
                "JOIN relation rel ON rel.id = tc.relation_id "
                "WHERE tc.skeleton_id IN (SELECT value FROM json_each(?)) ORDER BY tc.id", (ids,)):
                if r[3] in SYNAPTIC_CODES and r[0] in result:
                    result[r[0]][1].append([r[1], r[2], SYNAPTIC_CODES[r[3]], r[4], r[5], r[6]])
        if tags:
            for skid, tag, node in self.db.read(
                "SELECT t.skeleton_id, l.tag, l.node_id FROM label l JOIN treenode t ON t.id = l.node_id "
                "WHERE t.skeleton_id IN (SELECT value FROM json_each(?)) ORDER BY l.tag, l.node_id", (ids,)):
                if skid in result:
                    result[skid][2].setdefault(tag, []).append(node)
        if annotations:
            for skid, aid in self.db.read(
                "SELECT m.skeleton_id, aw.annotation_id FROM model_of m JOIN annotated_with aw ON aw.entity_id = m.neuron_id "
                "WHERE m.skeleton_id IN (SELECT value FROM json_each(?)) ORDER BY aw.id", (ids,)):
                if skid in result:
                    result[skid][4].append([aid])
        return result

    @staticmethod
    def detail_bytes(entry: list[Any]) -> bytes:
        """One compact-detail body, the cached node rows spliced in as they are."""
        nodes: bytes = entry[0]
        return b"[" + nodes + b"," + b",".join(orjson.dumps(part) for part in entry[1:]) + b"]"

    @staticmethod
    def detail_plain(entry: list[Any]) -> list[Any]:
        return [orjson.loads(entry[0]), *entry[1:]]

    def annotation_names(self, ids: list[int]) -> dict[str, str]:
        rows = self.db.read("SELECT id, name FROM class_instance WHERE id IN (SELECT value FROM json_each(?))",
                            (as_json_list(ids),))
        return {str(i): n for i, n in rows}

    def relations(self, pid: int) -> dict[str, int]:
        return {n: i for i, n in self.db.read("SELECT id, name FROM relation WHERE project_id = ?", (pid,))}

    def check_state(self, cur: Any, state_text: str | None, nodes: dict[int, str], self_id: int | None = None) -> None:
        """CATMAID's optimistic lock: ``nodes`` maps node id -> its current edition time; a dict
        state's own ``edition_time`` is that of ``self_id``."""
        if state_text is None:
            raise ValueError("No state provided")
        state = json.loads(state_text)
        if isinstance(state, dict) and state.get("nocheck"):
            return
        if isinstance(state, list):
            pairs = state
        else:
            pairs = [[k, v] for k, v in (state.get("c_links") or [])]
            if self_id is not None and state.get("edition_time"):
                pairs.append([self_id, state["edition_time"]])
        for node_id, edition in pairs:
            current = nodes.get(int(node_id))
            if current is None:
                continue
            if abs((parse_iso(current) - parse_iso(edition)).total_seconds()) > 0.001:
                raise StateMatchingError(f"The provided state differs from the database state: {state}")

    def annotate(self, cur: Any, pid: int, user: int, entity_ids: list[int], names: list[str]) -> tuple[dict[str, int], list[int], list[int]]:
        """Annotate entities with names (creating annotations). Returns (name->id, new, existing)."""
        ids: dict[str, int] = {}
        new, existing = [], []
        t = iso_ms()
        for name in names:
            row = cur.execute("SELECT id FROM class_instance WHERE project_id = ? AND kind = 'annotation' AND name = ?",
                              (pid, name)).fetchone()
            if row:
                ids[name] = row[0]
                existing.append(row[0])
            else:
                (aid,) = next_ids(cur, "ci")
                cur.execute("INSERT INTO class_instance VALUES (?, ?, 'annotation', ?, ?, ?, ?)", (aid, pid, name, user, t, t))
                ids[name] = aid
                new.append(aid)
            cur.executemany("INSERT OR IGNORE INTO annotated_with (project_id, entity_id, annotation_id, user_id, creation_time) "
                            "VALUES (?, ?, ?, ?, ?)", [(pid, e, ids[name], user, t) for e in entity_ids])
        return ids, new, existing

    def log_operation(self, cur: Any, pid: int, user: int, operation: str, xyz: Iterable[float] | None, text: str) -> None:
        """One row of the project's operation log (logs/list)."""
        x, y, z = xyz if xyz is not None else (0.0, 0.0, 0.0)
        cur.execute("INSERT INTO log (project_id, user_id, operation, time, x, y, z, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (pid, user, operation, iso_ms(), x, y, z, text))

    def label_id(self, cur: Any, pid: int, user: int, name: str) -> int:
        """The id of the label (tag) class instance of this name, created when new."""
        row = cur.execute("SELECT id FROM class_instance WHERE project_id = ? AND kind = 'label' AND name = ?", (pid, name)).fetchone()
        if row:
            return int(row[0])
        (lid,) = next_ids(cur, "ci")
        t = iso_ms()
        cur.execute("INSERT INTO class_instance VALUES (?, ?, 'label', ?, ?, ?, ?)", (lid, pid, name, user, t, t))
        return lid

    def skeleton_of(self, node: int) -> int:
        rows = self.db.read("SELECT skeleton_id FROM treenode WHERE id = ?", (node,))
        if not rows:
            raise ValueError(f"Could not find node #{node}")
        return int(rows[0][0])

    def drop_unused_annotations(self, cur: Any, ids: list[int]) -> list[int]:
        gone = []
        for aid in ids:
            if not cur.execute("SELECT 1 FROM annotated_with WHERE annotation_id = ?", (aid,)).fetchone():
                cur.execute("DELETE FROM annotated_with WHERE entity_id = ?", (aid,))
                cur.execute("DELETE FROM class_instance WHERE id = ? AND kind = 'annotation'", (aid,))
                gone.append(aid)
        return gone
