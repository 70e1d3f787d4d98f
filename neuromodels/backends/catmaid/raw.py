"""Raw requests for CATMAID endpoints the models do not cover (pymaid's ``CatmaidInstance.fetch``).

``conn.get(path, params=...)`` and ``conn.post(path, data=...)`` go through the connection's
transport, so they carry its authentication, retries, deadlines, cache and typed errors. Lists
in ``params`` or ``data`` are sent the way CATMAID reads them (``skeleton_ids[0]=..``).

>>> conn.get(f"/{conn.project}/annotations/", params={"simple": True})["annotations"][0]["name"]
'PN'
>>> skid = NeuronCollection(name="PN VA6 left").fetch(nodes=False)[0].id
>>> conn.post(f"/{conn.project}/skeleton/neuronnames", data={"skids": [skid]}, read=True)
{'...': 'PN VA6 left'}
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from ...connection import Connection


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def form(values: Mapping[str, Any] | Sequence[tuple[str, Any]] | None) -> list[tuple[str, str]] | None:
    """Form or query pairs as CATMAID reads them: a list value becomes ``key[0]``, ``key[1]``
    ...; booleans ``true``/``false``; pairs given as pairs are kept as they are."""
    if values is None:
        return None
    if isinstance(values, (str, bytes)):
        raise TypeError("params and data take a dict or (key, value) pairs, not a string")
    items = list(values.items()) if isinstance(values, Mapping) else list(values)
    result: list[tuple[str, str]] = []
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
            raise TypeError(f"params and data take a dict or (key, value) pairs, not {item!r}")
        key, value = item
        if isinstance(value, (list, tuple)) or getattr(value, "ndim", 0) == 1:
            result += [(f"{key}[{k}]", _value(v)) for k, v in enumerate(list(value))]
        elif isinstance(value, Mapping):
            raise TypeError(f"{key!r}: send a nested value as JSON text (json.dumps), CATMAID reads it so")
        elif value is not None:
            result.append((key, _value(value)))
    return result


def check_path(path: Any) -> str:
    """A path below the server's root: ``/1/skeletons/``; refused before any request otherwise."""
    if not isinstance(path, str):
        raise TypeError(f"path must be a str such as '/1/skeletons/', not {type(path).__name__}")
    if not path.startswith("/") or "://" in path or path.startswith("//"):
        raise ValueError(f"path must start at the server's root with '/' (e.g. '/1/skeletons/'), not {path!r}; "
                         "the server is the connection's")
    if any(c.isspace() for c in path) or "\x00" in path or "/../" in path + "/":
        raise ValueError(f"path {path!r} has whitespace or a '..' segment")
    return path


def raw_request(conn: Connection, method: str, path: str, *, params: Any = None, data: Any = None,
                read: bool = False) -> Any:
    """One request through the connection's transport; the parsed JSON body."""
    path = check_path(path)
    return conn.transport.request(method, path, params=form(params), data=form(data), read=read)
