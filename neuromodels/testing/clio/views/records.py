"""Body records: all, by id, query, write (merge, replace, conditional), delete."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from werkzeug.wrappers import Request, Response

from ...harness import route
from ..base import PREFIX, ClioBase, ClioError, hidden, reply


class RecordViews(ClioBase):
    @route(f"{PREFIX}/all")
    def all_records(self, request: Request, user: str, dataset: str) -> Response:
        uuid, _ = self.node(dataset, None)  # /all ignores versions
        return reply([self.shown(r, request.args.get("show")) for r in self.records(uuid).values()])

    @route(f"{PREFIX}/id-number/<ids>")
    def id_number(self, request: Request, user: str, dataset: str, ids: str) -> Response:
        if request.method == "DELETE":
            uuid, _ = self.node(dataset, None)  # DELETE ignores versions: always the default node
            if not re.fullmatch(r"\d+", ids):
                raise ClioError(500, "", plain=True)
            with self.db.transaction() as cur:
                cur.execute("DELETE FROM record WHERE uuid = ? AND bodyid = ?", (uuid, int(ids)))
            return reply(None)
        uuid, _ = self.node(dataset, request.args.get("version"))
        try:
            wanted = [int(v) for v in ids.split(",") if v]
        except ValueError:
            raise ClioError(500, "", plain=True) from None
        records = self.records(uuid)
        return reply([self.shown(records[b], request.args.get("show")) for b in wanted if b in records])

    @staticmethod
    def match(record: dict[str, Any], query: dict[str, Any]) -> bool:
        for key, want in query.items():
            have = record.get(key)
            options = want if isinstance(want, list) else [want]
            ok = False
            for option in options:
                if isinstance(option, str) and option.startswith("re/"):
                    ok = ok or (isinstance(have, str) and re.search(option[3:], have) is not None)
                elif isinstance(option, str) and option.startswith("exists/"):
                    ok = ok or ((key in record) == (option == "exists/1"))
                else:
                    ok = ok or have == option
            if not ok:
                return False
        return True

    @route(f"{PREFIX}/query")
    def query(self, request: Request, user: str, dataset: str) -> Response:
        uuid, _ = self.node(dataset, request.args.get("version"))
        try:
            query = json.loads(request.get_data() or b"null")
        except ValueError:
            raise ClioError(422, [{"loc": ["body"], "msg": "value is not a valid dict", "type": "type_error.dict"}]) from None
        if isinstance(query, list) and not query:
            raise ClioError(500, "", plain=True)
        if not isinstance(query, (dict, list)):
            raise ClioError(422, [{"loc": ["body"], "msg": "value is not a valid list", "type": "type_error.list"},
                                  {"loc": ["body"], "msg": "value is not a valid dict", "type": "type_error.dict"}])
        records = self.records(uuid)
        queries = query if isinstance(query, list) else [query]
        hits = sorted({b for b, r in records.items() for q in queries if self.match(r, q)})
        if request.args.get("onlyid", "").lower() == "true":
            return reply(hits)
        return reply([self.shown(records[b], request.args.get("show")) for b in hits])

    @route(PREFIX)
    def write(self, request: Request, user: str, dataset: str) -> Response:
        if request.method not in ("POST", "PUT"):
            raise ClioError(405, "Method Not Allowed")
        uuid, locked = self.node(dataset, request.args.get("version"))
        try:
            payload = json.loads(request.get_data() or b"null")
        except ValueError:
            raise ClioError(422, [{"loc": ["body"], "msg": "value is not a valid dict", "type": "type_error.dict"}]) from None
        items = payload if isinstance(payload, list) else [payload]
        replace = request.args.get("replace", "").lower() == "true"
        conditional = {f for f in request.args.get("conditional", "").split(",") if f}
        designated = request.args.get("designated_user") or user
        stamp = dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")
        # Record by record, each in its own transaction; the first failure stops the rest.
        for item in items:
            if not isinstance(item, dict) or "bodyid" not in item:
                raise ClioError(400, "Cannot POST annotation when no bodyid field exists in JSON")
            dvid = self.meta(dataset, request)["dvid"]
            url = f"{dvid}/api/node/{uuid}/segmentation_annotations/key/{item['bodyid']}?u={designated}"
            if locked:
                raise ClioError(400, f"Error in writing bodyid <built-in function id>, status 400, {url}: "
                                     f"b'node {uuid} is locked and cannot be written (/api/node/{uuid}/segmentation_annotations/key/{item['bodyid']}).\\n'")
            if not isinstance(item["bodyid"], int) or isinstance(item["bodyid"], bool) or item["bodyid"] <= 0:
                raise ClioError(400, f"Error in writing bodyid <built-in function id>, status 400, {url}: "
                                     f"b'body id {item['bodyid']} is reserved and so cannot be stored (/api/node/{uuid}/segmentation_annotations/key/{item['bodyid']}).\\n'")
            with self.db.transaction() as cur:
                row = cur.execute("SELECT data FROM record WHERE uuid = ? AND bodyid = ?", (uuid, item["bodyid"])).fetchone()
                old = json.loads(row[0]) if row else {}
                new = {} if replace else dict(old)
                for key, value in item.items():
                    if key == "bodyid" or hidden(key):
                        continue
                    if key in conditional and old.get(key) not in (None,):
                        continue  # conditional: an existing value is never overwritten
                    if value is None:
                        new.pop(key, None)
                    elif old.get(key) != value or replace:
                        new[key] = value
                    if old.get(key) != value:
                        new[f"{key}_user"], new[f"{key}_time"] = designated, stamp
                new["bodyid"] = item["bodyid"]
                new.setdefault("user", designated)
                cur.execute("INSERT OR REPLACE INTO record VALUES (?, ?, ?)", (uuid, item["bodyid"], json.dumps(new)))
        return reply(None)
