"""The bundled CATMAID server's views, speaking CATMAID's wire format (reference captures).

Only what real CATMAID does is mimicked: paths and their trailing slashes, list encodings,
the two authentication behaviours (DRF views vs plain Django views), the error envelopes.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import traceback
from typing import Any, Callable, Iterable

import msgpack
import orjson
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.wrappers import Request, Response

from ..harness import Database
from . import store
from .store import PROJECT_ID, iso_ms, next_ids, parse_iso

SYNAPTIC_CODES = {"presynaptic_to": 0, "postsynaptic_to": 1, "gapjunction_with": 2, "desmosome_with": 3}


# -- errors as CATMAID raises them ---------------------------------------------------------------------
class Http404(Exception):
    pass


class DoesNotExist(Exception):
    kind = "DoesNotExist"


class ObjectDoesNotExist(DoesNotExist):
    kind = "ObjectDoesNotExist"


class StateMatchingError(ValueError):
    pass


class PlainResponse(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def json_response(body: Any, status: int = 200, **kwargs: Any) -> Response:
    return Response(orjson.dumps(body), status=status, content_type="application/json", **kwargs)


def envelope(error: BaseException, kind: str, status: int) -> Response:
    detail = "Traceback (most recent call last):\n" + "".join(traceback.format_exception_only(type(error), error))
    return json_response({"error": str(error), "detail": detail, "type": kind, "meta": None}, status)


HTML_404 = ('<!DOCTYPE html>\n<html lang="en">\n<head>\n  <meta http-equiv="content-type" content="text/html; charset=utf-8">\n'
            "  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n")
HTML_CSRF = ('\n<!DOCTYPE html>\n<html lang="en">\n<head>\n  <meta http-equiv="content-type" content="text/html; charset=utf-8">\n'
             "  <title>403 Forbidden</title>\n</head>\n<body>\n<div id=\"summary\">\n  <h1>Forbidden <span>(403)</span></h1>\n"
             "  <p>CSRF verification failed. Request aborted.</p>\n</div>\n</body>\n</html>\n")


# -- request list encodings (CATMAID's get_request_list) -------------------------------------------------
def req_list(form: MultiDict, name: str, cast: Callable[[str], Any] = str, default: Any = None) -> Any:
    indexed: dict[int, str] = {}
    pattern = re.compile(re.escape(name) + r"\[(\d+)\]$")
    for key in form.keys():
        match = pattern.match(key)
        if match:
            indexed[int(match.group(1))] = form.get(key)
    if indexed:
        return [cast(indexed[i]) for i in sorted(indexed)]
    if f"{name}[]" in form:
        # jQuery-style repeated name[] keeps only the LAST value, split on commas.
        return [cast(v) for v in form.getlist(f"{name}[]")[-1].split(",") if v != ""]
    if name in form:
        return [cast(v) for v in form.getlist(name)]
    return [] if default is None else default


def req_rows(form: MultiDict, name: str) -> list[list[str]]:
    rows: dict[int, dict[int, str]] = {}
    pattern = re.compile(re.escape(name) + r"\[(\d+)\]\[(\d+)\]$")
    for key in form.keys():
        match = pattern.match(key)
        if match:
            rows.setdefault(int(match.group(1)), {})[int(match.group(2))] = form.get(key)
    return [[row[j] for j in sorted(row)] for _, row in sorted(rows.items())]


def req_bool(form: MultiDict, name: str, default: bool = False) -> bool:
    value = form.get(name)
    return default if value is None else value.lower() == "true"


def as_json_list(values: list[int]) -> str:
    return json.dumps([int(v) for v in values])


# -- the application -------------------------------------------------------------------------------------
class View:
    def __init__(self, func: Callable[..., Any], drf: bool, methods: tuple[str, ...], public: bool) -> None:
        self.func, self.drf, self.methods, self.public = func, drf, methods, public


class CatmaidBase:
    """Dispatch, authentication and shared queries; the views are in :mod:`.views`.

    A callable: Request -> Response."""

    def __init__(self, db_path: str, token: str | None = None) -> None:
        self.db = Database(db_path, store.SCHEMA)
        with self.db.transaction() as cur:
            self.token = store.seed(cur, token)
        self.views: dict[str, View] = {}
        rules = []
        for name in dir(self):
            func = getattr(self, name)
            spec = getattr(func, "_route", None)
            if spec:
                for path in spec["paths"]:
                    rules.append(Rule(path, endpoint=name))
                self.views[name] = View(func, spec["drf"], spec["methods"], spec["public"])
        self.url_map = Map(rules, strict_slashes=True, merge_slashes=False)
        self._lock = threading.Lock()

    # dispatch ------------------------------------------------------------------------------
    def __call__(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except RequestRedirect as e:
            return Response("", status=301, headers={"Location": e.new_url})
        except RouteNotFound:
            return Response(HTML_404, status=404, content_type="text/html")
        view = self.views[endpoint]
        user, bad_token = self.authenticate(request)
        if view.drf:
            if bad_token:
                return json_response({"detail": "Invalid token."}, 401, headers={"WWW-Authenticate": "Token"})
            if request.method not in view.methods:
                return json_response({"detail": f'Method "{request.method}" not allowed.'}, 405)
        if user is None and not view.public:
            if request.method == "POST":
                if view.drf:
                    return json_response({"detail": "CSRF Failed: CSRF cookie not set."}, 403)
                return Response(HTML_CSRF, status=403, content_type="text/html")
            pid = args.get("pid", PROJECT_ID)
            return envelope(PermissionError(
                f"User 'AnonymousUser' with ID 1 does not have the required permissions in project {pid}"),
                "PermissionError", 403)
        try:
            if "pid" in args and not self.db.read("SELECT 1 FROM project WHERE id = ?", (args["pid"],)):
                raise DoesNotExist("Project matching query does not exist.")
            result = view.func(request, user or store.ANONYMOUS_ID, **args)
        except PlainResponse as e:
            return e.response
        except Http404 as e:
            if view.drf:
                return json_response({"detail": "Not found."}, 404)
            return envelope(e, "Http404", 404)
        except StateMatchingError as e:
            return envelope(e, "StateMatchingError", 400)
        except DoesNotExist as e:
            return envelope(e, e.kind, 500)
        except (ValueError, KeyError, TypeError) as e:
            return envelope(ValueError(str(e)) if not isinstance(e, ValueError) else e, "ValueError", 400)
        if isinstance(result, Response):
            return result
        if request.values.get("format") == "msgpack":
            return Response(msgpack.packb(result), content_type="application/octet-stream")
        return json_response(result)

    def authenticate(self, request: Request) -> tuple[int | None, bool]:
        header = request.headers.get("X-Authorization") or request.headers.get("Authorization") or ""
        if not header.startswith("Token "):
            return None, False
        rows = self.db.read("SELECT id FROM auth_user WHERE token = ?", (header[6:].strip(),))
        if not rows:
            return None, True
        return rows[0][0], False

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
        return b"[" + entry[0] + b"," + b",".join(orjson.dumps(part) for part in entry[1:]) + b"]"

    @staticmethod
    def detail_plain(entry: list[Any]) -> list[Any]:
        return [orjson.loads(entry[0]), *entry[1:]]

    def annotation_names(self, ids: list[int]) -> dict[str, str]:
        rows = self.db.read("SELECT id, name FROM class_instance WHERE id IN (SELECT value FROM json_each(?))",
                            (as_json_list(ids),))
        return {str(i): n for i, n in rows}

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
            cur.executemany("INSERT OR IGNORE INTO annotated_with (project_id, entity_id, annotation_id, user_id) VALUES (?, ?, ?, ?)",
                            [(pid, e, ids[name], user) for e in entity_ids])
        return ids, new, existing

    def drop_unused_annotations(self, cur: Any, ids: list[int]) -> list[int]:
        gone = []
        for aid in ids:
            if not cur.execute("SELECT 1 FROM annotated_with WHERE annotation_id = ?", (aid,)).fetchone():
                cur.execute("DELETE FROM annotated_with WHERE entity_id = ?", (aid,))
                cur.execute("DELETE FROM class_instance WHERE id = ? AND kind = 'annotation'", (aid,))
                gone.append(aid)
        return gone


def route(*paths: str, drf: bool = False, methods: tuple[str, ...] = ("GET", "POST"), public: bool = False) -> Callable[..., Any]:
    def mark(func: Callable[..., Any]) -> Callable[..., Any]:
        func._route = {"paths": paths, "drf": drf, "methods": methods, "public": public}  # type: ignore[attr-defined]
        return func
    return mark

