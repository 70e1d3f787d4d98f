"""CATMAID's wire conventions for the bundled server: its exceptions and error envelopes, and the
ways its views read lists, rows and booleans from a request."""

from __future__ import annotations

import json
import re
import traceback
from typing import Any, Callable

import orjson
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

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
def req_list(form: MultiDict[str, str], name: str, cast: Callable[[str], Any] = str, default: Any = None) -> Any:
    indexed: dict[int, str] = {}
    pattern = re.compile(re.escape(name) + r"\[(\d+)\]$")
    for key in form.keys():
        match = pattern.match(key)
        if match:
            indexed[int(match.group(1))] = form[key]
    if indexed:
        return [cast(indexed[i]) for i in sorted(indexed)]
    if f"{name}[]" in form:
        # jQuery-style repeated name[] keeps only the LAST value, split on commas.
        return [cast(v) for v in form.getlist(f"{name}[]")[-1].split(",") if v != ""]
    if name in form:
        return [cast(v) for v in form.getlist(name)]
    return [] if default is None else default


def req_rows(form: MultiDict[str, str], name: str) -> list[list[str]]:
    rows: dict[int, dict[int, str]] = {}
    pattern = re.compile(re.escape(name) + r"\[(\d+)\]\[(\d+)\]$")
    for key in form.keys():
        match = pattern.match(key)
        if match:
            rows.setdefault(int(match.group(1)), {})[int(match.group(2))] = form[key]
    return [[row[j] for j in sorted(row)] for _, row in sorted(rows.items())]


def req_bool(form: MultiDict[str, str], name: str, default: bool = False) -> bool:
    """CATMAID reads ``true``/``True``/``1`` as true (pymaid sends all three forms)."""
    value = form.get(name)
    return default if value is None else value.strip().lower() in ("true", "1")


def as_json_list(values: list[int]) -> str:
    return json.dumps([int(v) for v in values])
