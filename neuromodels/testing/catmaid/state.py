"""CATMAID's optimistic locking: the ``state`` a write carries, checked against the database inside
the write's transaction before anything changes.

Shapes: parent ``{"parent": [id, et]}``, node ``{"edition_time": et}``, edge ``{"edition_time": et,
"children": [[id, et], ...]}``, neighborhood (node, parent, ALL children, ALL links), multinode
``[[id, et], ...]`` (exactly the touched nodes) and connector ``{"edition_time": et, "c_links": ...}``;
``{"nocheck": true}`` skips every check. Edition times match within 1 ms.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterable

from .store import parse_iso
from .wire import DoesNotExist, StateMatchingError


class ProgrammingError(DoesNotExist):
    """What PostgreSQL raises when a state's time is a number (HTTP 500)."""

    kind = "ProgrammingError"


def parse(text: str | None) -> Any:
    """The parsed state, or None when it says ``nocheck``."""
    if text is None:
        raise ValueError("No state provided")
    try:
        state = json.loads(text)
    except ValueError:
        raise ValueError(f"Invalid state provided, could not parse JSON: {text}") from None
    if isinstance(state, dict) and state.get("nocheck"):
        return None
    return state


def mismatch(state: Any) -> StateMatchingError:
    return StateMatchingError(f"The provided state differs from the database state: {state!r}")


def same(stored: str | None, given: Any) -> bool:
    if not isinstance(given, str):
        raise ProgrammingError(f"cannot cast type numeric to timestamp with time zone\nLINE 4:         AND t.edition_time >=({given}::timestamptz...\n")
    if stored is None or given == "":
        return False
    return abs((parse_iso(stored) - parse_iso(given)).total_seconds()) <= 0.001


def edition(cur: sqlite3.Connection, table: str, node: int) -> str | None:
    row = cur.execute(f"SELECT edition_time FROM {table} WHERE id = ?", (node,)).fetchone()
    return None if row is None else str(row[0])


def check_node(cur: sqlite3.Connection, text: str | None, node: int) -> None:
    state = parse(text)
    if state is None:
        return
    if not isinstance(state, dict) or "edition_time" not in state:
        raise ValueError(f"No valid state provided, missing edition time in state: {state}")
    if not same(edition(cur, "treenode", node), state["edition_time"]):
        raise mismatch(state)


def check_parent(cur: sqlite3.Connection, text: str | None, parent: int) -> None:
    state = parse(text)
    if state is None or parent == -1:
        return
    if not isinstance(state, dict) or not isinstance(state.get("parent"), list) or len(state["parent"]) != 2:
        raise ValueError(f"No valid state provided, missing parent in state: {state}")
    pid, et = state["parent"]
    if int(pid) != parent or not same(edition(cur, "treenode", parent), et):
        raise mismatch(state)


def _children(cur: sqlite3.Connection, state: dict[str, Any], node: int, complete: bool) -> None:
    listed = state.get("children")
    if not isinstance(listed, list):
        raise ValueError(f"No valid state provided, missing children in state: {state}")
    actual = {r[0]: r[1] for r in cur.execute("SELECT id, edition_time FROM treenode WHERE parent_id = ?", (node,))}
    for child, et in listed:
        if int(child) not in actual or not same(actual[int(child)], et):
            raise mismatch(state)
    if complete and {int(c) for c, _ in listed} != set(actual):
        raise mismatch(state)


def check_edge(cur: sqlite3.Connection, text: str | None, parent: int) -> None:
    """treenode/insert: the parent's own time and each listed child (current, really a child)."""
    state = parse(text)
    if state is None:
        return
    if not isinstance(state, dict) or "edition_time" not in state:
        raise ValueError(f"No valid state provided, missing edition time in state: {state}")
    if not same(edition(cur, "treenode", parent), state["edition_time"]):
        raise mismatch(state)
    _children(cur, state, parent, complete=False)


def check_neighborhood(cur: sqlite3.Connection, text: str | None, node: int) -> None:
    """The node, its parent (or that it is a root), ALL its children and ALL its links."""
    state = parse(text)
    if state is None:
        return
    if not isinstance(state, dict) or "edition_time" not in state:
        raise ValueError(f"No valid state provided, missing edition time in state: {state}")
    row = cur.execute("SELECT parent_id, edition_time FROM treenode WHERE id = ?", (node,)).fetchone()
    if row is None or not same(row[1], state["edition_time"]):
        raise mismatch(state)
    parent = state.get("parent")
    if parent is None:
        if row[0] is not None:
            raise mismatch(state)
    elif row[0] is None or int(parent[0]) != row[0] or not same(edition(cur, "treenode", row[0]), parent[1]):
        raise mismatch(state)
    _children(cur, state, node, complete=True)
    links = state.get("links")
    if not isinstance(links, list):
        raise ValueError(f"No valid state provided, missing links in state: {state}")
    actual = {r[0]: r[1] for r in cur.execute("SELECT id, edition_time FROM treenode_connector WHERE treenode_id = ?", (node,))}
    if {int(link) for link, _ in links} != set(actual) or not all(same(actual[int(k)], et) for k, et in links):
        raise mismatch(state)


def check_multinode(cur: sqlite3.Connection, text: str | None, nodes: Iterable[int], table: str = "treenode") -> None:
    """A list [[id, et], ...] that covers exactly the touched nodes, each current."""
    state = parse(text)
    if state is None:
        return
    if not isinstance(state, list):
        raise ValueError(f"No valid state provided, expected a list: {state}")
    given = {int(n): et for n, et in state}
    wanted = list(nodes)
    missing = [n for n in wanted if n not in given]
    if missing:
        raise ValueError(f"Couldn't find state info on node(s) {', '.join(map(str, missing))}")
    extra = [n for n in given if n not in wanted]
    if extra:
        raise ValueError(f"Couldn't find node in state: {extra[0]}")
    for n in wanted:
        stored = edition(cur, "treenode", n) if table == "treenode" else None
        if stored is None:
            stored = edition(cur, "connector", n)
        if not same(stored, given[n]):
            raise mismatch(state)
