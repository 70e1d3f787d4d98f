"""CATMAID project activity: the operation log, transactions, per-user daily statistics, the
annotation (entity) graph, and the server's users as the project's members."""

from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

import pandas as pd

from ...connection import Connection
from ...core.errors import NotSupported, ProtocolError
from ...core.paging import OffsetPaging, Page, Window, read_pages
from ...core.wire import integer
from ...models import Project
from ..extras import Members, User
from ..history import ProjectActivity
from . import api
from .common import PAGE
from .converter import form_list
from .provenance import utc
from .users import user_id, users

LOG_COLUMNS = ["user", "operation", "time", "x", "y", "z", "text"]
TRANSACTION_COLUMNS = ["transaction_id", "time", "user_id", "label", "change_type"]
DAY_FIELDS = {"new_nodes": "new_treenodes", "new_cable_length": "new_cable_length",
              "new_connectors": "new_connectors", "new_reviewed_nodes": "new_reviewed_nodes",
              "new_import_nodes": "new_import_treenodes", "new_import_cable_length": "new_import_cable_length"}
GRAPH_COLUMNS = ["entity_id", "entity_type", "entity_name", "skeleton_ids", "annotation_id", "annotation", "user_id"]


#: The log (DataTables' iDisplayStart/iDisplayLength) and the transaction list page alike.
LOG_PAGING = OffsetPaging(size=PAGE, start="iDisplayStart", length="iDisplayLength")
TRANSACTION_PAGING = OffsetPaging(size=PAGE, start="range_start", length="range_length")


class CatmaidProjectActivity(ProjectActivity[Project], Members[Project]):
    def logs(self, conn: Connection, operations: Sequence[str], user: Any, search: str | None,
             limit: int | None) -> pd.DataFrame:
        base = [("sSortDir_0", "desc"), ("iSortCol_0", "2"), ("search_freetext", search or "")]
        if user is not None:
            base.append(("user_id", str(user_id(conn, user))))
        rows: list[list[Any]] = []
        for operation in operations or ["-1"]:  # CATMAID filters one operation per request
            def page(window: Window, operation: str = operation) -> Page[Any]:
                form = base + [("operation_type", operation)] + [(k, str(v)) for k, v in LOG_PAGING.params(window).items()]
                found = api.read(conn, "/logs/list", form).get("aaData")
                if not isinstance(found, list):
                    raise ProtocolError("logs/list answered without its aaData rows")
                return Page(found)  # no total: the next page until one comes back short

            rows += [row for part in read_pages(conn, LOG_PAGING, page, limit, desc="reading the log") for row in part]
        frame = pd.DataFrame(rows, columns=LOG_COLUMNS)
        frame["time"] = utc(frame["time"])
        frame = frame.sort_values("time", ascending=False, kind="stable").reset_index(drop=True)
        return frame if limit is None else frame.head(limit)

    def transactions(self, conn: Connection, limit: int | None) -> pd.DataFrame:
        def page(window: Window) -> Page[Any]:
            body = api.get(conn, "/transactions/", **TRANSACTION_PAGING.params(window))
            found = body.get("transactions") if isinstance(body, dict) else None
            if not isinstance(found, list):
                raise ProtocolError("transactions/ answered without its transactions")
            total = body.get("total_count")
            return Page(found, total_items=None if total is None else integer(total, "total_count"))

        rows = [row for part in read_pages(conn, TRANSACTION_PAGING, page, limit, desc="reading transactions")
                for row in part]
        frame = pd.DataFrame(rows, columns=["transaction_id", "execution_time", "user_id", "label", "change_type"])
        frame = frame.rename(columns={"execution_time": "time"})
        frame["time"] = utc(frame["time"])
        return frame[TRANSACTION_COLUMNS]

    def user_history(self, conn: Connection, start: dt.date, end: dt.date) -> pd.DataFrame:
        # Real CATMAID fails (500 KeyError) when a day after end_date holds data: its per-day
        # table stops at end_date while some of its queries do not. Asking up to tomorrow (the
        # server counts days in its own time zone) avoids it; the days asked for are kept.
        tomorrow = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)
        body = api.get(conn, "/stats/user-history", start_date=start.isoformat(),
                       end_date=max(end, tomorrow).isoformat())
        table = body.get("stats_table") if isinstance(body, dict) else None
        if not isinstance(table, dict):
            raise ProtocolError("stats/user-history answered without its stats_table")
        rows = []
        for user, days in sorted(table.items(), key=lambda p: int(p[0])):
            for key, entry in sorted(days.items()):
                date = dt.datetime.strptime(key, "%Y%m%d").date()
                if entry and start <= date <= end:
                    rows.append({"user_id": int(user), "date": date,
                                 **{ours: float(entry.get(theirs, 0.0)) for ours, theirs in DAY_FIELDS.items()}})
        return pd.DataFrame(rows, columns=["user_id", "date", *DAY_FIELDS])

    def entity_graph(self, conn: Connection, types: Sequence[str], annotated_with: Any) -> pd.DataFrame:
        from .neurons import CatmaidNeuron

        form = form_list("types", types) + [("with_annotations", "true")]
        if annotated_with is not None:
            form += form_list("annotated_with", CatmaidNeuron()._annotation_groups(conn, annotated_with))
        rows = []
        for page in CatmaidNeuron()._entity_pages(conn, form, None, with_annotations=True):
            for entity in page:
                for a in entity.get("annotations") or []:
                    rows.append([int(entity["id"]), entity.get("type"), entity.get("name"),
                                 [int(s) for s in entity.get("skeleton_ids") or []] if entity.get("type") == "neuron" else None,
                                 int(a["id"]), a.get("name"), a.get("uid")])
        return pd.DataFrame(rows, columns=GRAPH_COLUMNS)

    # members: CATMAID's user list is server-wide ---------------------------------------------------
    def members(self, conn: Connection, model: Project, managers: bool) -> list[User]:
        if managers:
            raise NotSupported("catmaid cannot list the managers of Project: CATMAID's user list does not say who "
                               "administers a project")
        return users(conn)

    def current_user(self, conn: Connection) -> User:
        raise NotSupported("catmaid cannot tell the current user of Project: CATMAID's API does not say which "
                           "user a token belongs to (Project.members() lists every user)")
