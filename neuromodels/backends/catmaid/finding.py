"""The ``NeuronCollection`` filters of pymaid's ``find_neurons`` and ``get_skids_by_origin`` on
CATMAID: creator, reviewer, dates, node count, soma, import origin and meta-annotation expansion.

Each filter that the annotation query cannot express becomes a set of allowed skeleton ids
(one request per user, origin or threshold); :func:`restrict` intersects them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Mapping

from ...connection import Connection
from ...core.backend import Filter, as_list
from ...core.errors import NotFound
from . import api
from .api import pid
from .common import INT
from .converter import form_list
from .users import user_ids


def _date(value: Any) -> None:
    to_date(value)


def to_date(value: Any) -> dt.date:
    """A date, datetime or ISO string (``"2024-05-01"``) -> a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ValueError(f"a date is a datetime.date, a datetime or 'YYYY-MM-DD', not {value!r}") from None


def _true(value: Any) -> None:
    if value is not True:
        raise ValueError("soma= takes True (neurons with a node tagged 'soma'); leave it out otherwise")


def _positive(value: Any) -> None:
    if value < 1:
        raise ValueError(f"min_nodes must be at least 1, not {value}")


USER = (str, *INT)
FILTERS = {
    "include_sub_annotations": Filter(
        "include_sub_annotations", (bool,), "with annotation=: also neurons annotated with annotations that "
        "the given ones meta-annotate, at any depth"),
    "created_by": Filter("created_by", USER, "user id or login: neurons with nodes this user created "
                         "(a list means any of them)", many=True),
    "reviewed_by": Filter("reviewed_by", USER, "user id or login: neurons with nodes this user reviewed "
                          "(a list means any of them)", many=True),
    "from_date": Filter("from_date", (str, dt.date), "with created_by= or reviewed_by=: nodes created or "
                        "reviewed on or after this date", check=_date),
    "to_date": Filter("to_date", (str, dt.date), "with created_by= or reviewed_by=: nodes created or "
                      "reviewed on or before this date", check=_date),
    "min_nodes": Filter("min_nodes", INT, "neurons with at least this many nodes", check=_positive),
    "soma": Filter("soma", (bool,), "True: neurons with a node tagged 'soma'", check=_true),
    "source_ids": Filter("source_ids", INT, "with source_url= and source_project=: neurons imported from "
                         "these skeleton ids of another server", many=True),
    "source_url": Filter("source_url", (str,), "the server the neurons were imported from"),
    "source_project": Filter("source_project", INT, "the project id on the server they came from"),
}
_SOURCE = ("source_ids", "source_url", "source_project")


def check(modifiers: Mapping[str, Any]) -> None:
    """Combinations CATMAID cannot answer, refused before any request."""
    dated = [k for k in ("from_date", "to_date") if modifiers.get(k) is not None]
    if dated and modifiers.get("created_by") is None and modifiers.get("reviewed_by") is None:
        raise ValueError(f"{' and '.join(dated)} need{'s' if len(dated) == 1 else ''} created_by= or reviewed_by= (CATMAID dates the nodes "
                         "a user created or reviewed)")
    given = [k for k in _SOURCE if modifiers.get(k) is not None]
    if given and len(given) != len(_SOURCE):
        missing = [k for k in _SOURCE if k not in given]
        raise ValueError(f"an origin lookup needs source_ids=, source_url= and source_project= together "
                         f"(missing: {', '.join(missing)})")
    if modifiers.get("include_sub_annotations") and modifiers.get("annotation") is None:
        raise ValueError("include_sub_annotations=True expands annotation=; give annotation= too")


def sub_annotation_form(groups: list[str]) -> list[tuple[str, str]]:
    """``sub_annotated_with[i]``: every annotation id of the ``annotated_with`` groups."""
    ids = list(dict.fromkeys(i for group in groups for i in group.split(",")))
    return form_list("sub_annotated_with", ids)


def _skeletons(conn: Connection, **params: Any) -> set[int]:
    return {int(s) for s in api.get(conn, "/skeletons/", **params)}


def restrict(conn: Connection, modifiers: Mapping[str, Any]) -> set[int] | None:
    """The skeleton ids these filters allow (None: they do not restrict)."""
    check(modifiers)
    allowed: set[int] | None = None

    def meet(found: set[int]) -> None:
        nonlocal allowed
        allowed = found if allowed is None else allowed & found

    dates: dict[str, str] = {}
    if modifiers.get("from_date") is not None:
        dates["from"] = to_date(modifiers["from_date"]).strftime("%Y%m%d")
    if modifiers.get("to_date") is not None:
        dates["to"] = to_date(modifiers["to_date"]).strftime("%Y%m%d")
    for key in ("created_by", "reviewed_by"):
        if modifiers.get(key) is not None:
            ids = user_ids(conn, modifiers[key])
            found: set[int] = set()
            for values in conn.transport.map_values(lambda u: _skeletons(conn, **{key: u}, **dates), ids):
                found |= values
            meet(found)
    if modifiers.get("min_nodes") is not None:
        meet(_skeletons(conn, nodecount_gt=int(modifiers["min_nodes"]) - 1))
    if modifiers.get("soma"):
        meet({int(row[2]) for row in api.get(conn, "/labels/stats") if row[1] == "soma"})
    if modifiers.get("source_ids") is not None:
        form = form_list("source_ids", [int(i) for i in as_list(modifiers["source_ids"])])
        form += [("source_url", modifiers["source_url"]), ("source_project_id", str(int(modifiers["source_project"])))]
        meet({int(s) for s in api.read(conn, "/skeletons/from-origin", form).values()})
    return allowed


def annotation_groups(conn: Connection, wanted: Any) -> list[str]:
    """One ``annotated_with`` value per wanted annotation (ids joined by commas mean any of
    them). An annotation that does not exist is NotFound naming the close matches."""
    index = api.annotation_index(conn)
    known = set(index.values())
    groups = []
    for a in as_list(wanted):
        if isinstance(a, str) and a.startswith("/"):
            try:
                pattern = re.compile(a[1:])
            except re.error as e:
                raise ValueError(f"annotation {a!r} is not a valid regular expression: {e}") from None
            ids = sorted(i for name, i in index.items() if pattern.search(name))
            if not ids:
                raise NotFound(f"no annotation in project {pid(conn)} matches the regular expression {a[1:]!r}",
                               missing=[a])
            groups.append(",".join(str(i) for i in ids))
        elif isinstance(a, str):
            if a not in index:
                raise NotFound(f"no annotation {a!r} in project {pid(conn)}{api.close_names(a, index)}; "
                               "'/regex' matches by regular expression ('/(?i)^pn$' ignores case)", missing=[a])
            groups.append(str(index[a]))
        else:
            if int(a) not in known:
                raise NotFound(f"no annotation with id {int(a)} in project {pid(conn)}"
                               f"{api.close_names(str(a), index)}", missing=[a])
            groups.append(str(int(a)))
    return groups
