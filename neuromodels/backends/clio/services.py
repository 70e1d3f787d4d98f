"""What the Clio store serves beside body annotations, as functions of the (current)
connection: the caller's roles, a dataset's versions (tag <-> DVID UUID) and point annotations.

The test store (clio-py's ``test=True``) is another server: connect to
:data:`TEST_STORE_URL` as to the production store (:data:`STORE_URL`).
"""

from __future__ import annotations

from typing import Any, Callable

import pandas as pd
import requests

from ...connection import Connection
from ...core.errors import NotSupported
from ...transport import parse_json
from ...core.backend import check_id, segment

#: The production store and the test store clio-py writes to with ``test=True``.
STORE_URL = "https://clio-store-vwzoicitea-uk.a.run.app"
TEST_STORE_URL = "https://clio-test-7fdj77ed7q-uk.a.run.app"
#: The columns of a point annotation (clio-store's annotations v3), in this order.
POINT_COLUMNS = ["user", "key", "kind", "pos", "prop", "tags", "title", "description"]


def clio_connection(connection: Connection | None, what: str) -> Connection:
    """The connection to use, which must speak to a Clio store."""
    conn = Connection.current(connection)
    if conn.backend.name != "clio":
        raise NotSupported(f"{what} is a Clio call; this connection is to a {conn.backend.name} server")
    return conn


def dataset_of(conn: Connection, dataset: str | None) -> str:
    name: str = check_id(dataset if dataset is not None else conn.project, str,
                         "the Clio dataset (dataset=, or project= on the connection)")
    return name


def shaped(check: Callable[[Any], bool], shape: str) -> Callable[[requests.Response], Any]:
    """A ``parse=`` callback: the JSON body, which must be ``shape``."""
    def parse(response: requests.Response) -> Any:
        body = parse_json(response)
        if not check(body):
            raise TypeError(f"Clio answered with {type(body).__name__}, not {shape}")
        return body
    return parse


def _neurons(conn: Connection, dataset: str | None, rest: str, check: Callable[[Any], bool], shape: str) -> Any:
    path = f"/v2/json-annotations/{segment(dataset_of(conn, dataset))}/neurons/{rest}"
    return conn.transport.request("GET", path, parse=shaped(check, shape))


def roles(*, connection: Connection | None = None) -> dict[str, Any]:
    """Who the token belongs to and what it may do (``/v2/roles``): ``email``, ``global_roles``,
    ``datasets`` (dataset -> its roles, e.g. ``clio_general``, ``clio_write``), ``groups``.

    >>> roles()["datasets"]["VNC"]
    ['clio_general', 'clio_write']
    """
    conn = clio_connection(connection, "roles()")
    found: dict[str, Any] = conn.transport.request(
        "GET", "/v2/roles", parse=shaped(lambda b: isinstance(b, dict) and "email" in b, "a user record"))
    return found


def versions(dataset: str | None = None, *, connection: Connection | None = None) -> dict[str, str]:
    """The dataset's versions: tag -> DVID UUID (``.../neurons/versions``).

    >>> versions()["v0.3.32"]
    '74ea83'
    """
    conn = clio_connection(connection, "versions()")
    found = _neurons(conn, dataset, "versions", lambda b: isinstance(b, dict), "an object of tag -> uuid")
    return {str(k): str(v) for k, v in found.items()}


def head_tag(dataset: str | None = None, *, connection: Connection | None = None) -> str:
    """The newest version's tag (it may differ from the dataset's default, ``Project.extra["tag"]``).

    >>> head_tag()
    'v0.3.33'
    """
    conn = clio_connection(connection, "head_tag()")
    return str(_neurons(conn, dataset, "head_tag", lambda b: isinstance(b, str), "a tag"))


def head_uuid(dataset: str | None = None, *, connection: Connection | None = None) -> str:
    """The newest version's DVID UUID.

    >>> head_uuid() == versions()[head_tag()]
    True
    """
    conn = clio_connection(connection, "head_uuid()")
    return str(_neurons(conn, dataset, "head_uuid", lambda b: isinstance(b, str), "a uuid"))


def tag_to_uuid(tag: str, dataset: str | None = None, *, connection: Connection | None = None) -> str:
    """The DVID UUID of a version tag (NotFound for a tag the dataset lacks).

    >>> tag_to_uuid("v0.3.31")
    '2b6f0e'
    """
    conn = clio_connection(connection, "tag_to_uuid()")
    check_id(tag, str, "version tag")
    return str(_neurons(conn, dataset, f"tag_to_uuid/{segment(tag)}", lambda b: isinstance(b, str), "a uuid"))


def uuid_to_tag(uuid: str, dataset: str | None = None, *, connection: Connection | None = None) -> str:
    """The version tag of a DVID UUID (a unique prefix is enough).

    >>> uuid_to_tag("2b6f")
    'v0.3.31'
    """
    conn = clio_connection(connection, "uuid_to_tag()")
    check_id(uuid, str, "DVID uuid")
    return str(_neurons(conn, dataset, f"uuid_to_tag/{segment(uuid)}", lambda b: isinstance(b, str), "a tag"))


def point_annotations(groups: str | list[str] | None = None, *, user: str | None = None, dataset: str | None = None,
                      connection: Connection | None = None) -> pd.DataFrame:
    """Point, line and sphere annotations (``/v2/annotations/{dataset}``): the caller's own, or
    with ``groups`` also those of the groups' members (the caller must belong to them); ``user``
    reads another user's (admins only). One row each: user, key, kind, pos, prop, tags, title,
    description.

    >>> len(point_annotations()), len(point_annotations("flyem"))
    (2, 3)
    """
    conn = clio_connection(connection, "point_annotations()")
    params: dict[str, str] = {}
    if groups:
        names = [groups] if isinstance(groups, str) else list(groups)
        if not all(isinstance(g, str) and g and "," not in g for g in names):
            raise ValueError(f"groups= is a group name or a list of them, not {groups!r}")
        params["groups"] = ",".join(names)
    if user is not None:
        params["user"] = check_id(user, str, "user email")
    found = conn.transport.request(
        "GET", f"/v2/annotations/{segment(dataset_of(conn, dataset))}", params=params or None,
        parse=shaped(lambda b: isinstance(b, list) and all(isinstance(r, dict) for r in b), "a list of annotations"))
    table = pd.DataFrame.from_records(found)
    for column in POINT_COLUMNS:
        if column not in table:
            table[column] = None
    return table[POINT_COLUMNS + [c for c in table.columns if c not in POINT_COLUMNS]]
