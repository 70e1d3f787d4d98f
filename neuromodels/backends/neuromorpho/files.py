"""The files beside the API: a neuron's original upload (the Source-Version folder) and its PNG
image (``png_url`` in its record). Both are found from the neuron's metadata."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote, urlsplit

from ...connection import Connection
from ...core.errors import NotFound, ProtocolError
from ...models import Neuron
from ...core.backend import segment
from .measures import neuron_ids
from .queries import connection_for

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _metadata(conn: Connection, neuron: Any) -> Neuron:
    """The neuron with its metadata: as given when it has it, else read (no nodes)."""
    if isinstance(neuron, Neuron) and neuron.name and neuron.extra.get("archive"):
        return neuron
    return Neuron.fetch(neuron_ids(neuron)[0], nodes=False, connection=conn)


def _bytes(conn: Connection, path: str, what: str, neuron: Neuron) -> bytes:
    body: bytes = conn.transport.request("GET", path, parse=lambda r: r.content, max_body=None)
    if b"<html" in body[:500].lower():  # the file server answers a missing file with an HTML page
        raise NotFound(f"NeuroMorpho.org has no {what} for {neuron.name}", missing=[neuron.id], status=200,
                       method="GET", path=path)
    return body


def _save(body: bytes, path: str | os.PathLike[str] | None) -> bytes:
    if path is not None:
        with open(path, "wb") as fh:
            fh.write(body)
    return body


def original_file(neuron: Any, path: str | os.PathLike[str] | None = None, *,
                  connection: Connection | None = None) -> bytes:
    """The reconstruction as its authors uploaded it (Source-Version, in its own format: the
    extension of ``original_format``), as bytes; written to ``path`` when given.

    >>> original_file(1000)[:11]
    b'; cnic_000:'
    """
    conn = connection_for(connection, "original_file()")
    n = _metadata(conn, neuron)
    fmt = str(n.extra.get("original_format") or "")
    if "." not in fmt:
        raise NotFound(f"neuron {n.name} names no original format ({fmt!r}) to find its original file by",
                       missing=[n.id])
    ext = fmt.rsplit(".", 1)[1]
    archive = segment(str(n.extra["archive"]).lower())
    file_path = f"/dableFiles/{archive}/Source-Version/{segment(n.name)}.{segment(ext)}"
    return _save(_bytes(conn, file_path, "original file", n), path)


def png(neuron: Any, path: str | os.PathLike[str] | None = None, *, connection: Connection | None = None) -> bytes:
    """The neuron's PNG image (its record's ``png_url``, read through this connection: the
    record's links name the server by plain http), as bytes; written to ``path`` when given.

    >>> png(1000)[:4]
    b'\\x89PNG'
    """
    conn = connection_for(connection, "png()")
    n = _metadata(conn, neuron)
    url = n.extra.get("png_url")
    if not url:
        raise NotFound(f"neuron {n.name} has no png_url", missing=[n.id])
    image_path = quote(urlsplit(str(url)).path, safe="/%")
    body = _bytes(conn, image_path, "PNG image", n)
    if not body.startswith(PNG_MAGIC):
        raise ProtocolError(f"the image of {n.name} is not a PNG", method="GET", path=image_path)
    return _save(body, path)
