"""Rich views in Jupyter: what ``_repr_html_`` of the models and collections shows.

A neuron is a small 2-D projection of its skeleton (inline SVG, x to the right, y down as in
CATMAID's views), an annotation its crop from the image (Cytomine, a PNG thumbnail) or its
geometry (an SVG elsewhere), a collection a table with counts. Everything the server sent is
escaped: a neuron named ``<script>`` is shown as text, never run.

Showing never writes and never fetches what the model has not loaded, except an annotation's
crop (one small read, on Cytomine only, with the current connection; any failure falls back to
the geometry).

>>> from neuromodels import Neuron, NeuronCollection
>>> n = Neuron.from_swc("1 1 0 0 0 4 -1\\n2 3 30 10 0 1 1\\n3 3 60 0 0 1 2\\n", name="PN <1>")
>>> html = n._repr_html_()
>>> "<svg" in html and "PN &lt;1&gt;" in html and "<1>" not in html
True
>>> "<table" in NeuronCollection([n])._repr_html_()
True
"""

from __future__ import annotations

import base64
import html
import io
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

if TYPE_CHECKING:
    from .core.collection import Collection
    from .core.model import Model

#: The colour of a skeleton's cable and the soma's fill.
CABLE = "#1f77b4"
SOMA = "#d62728"
#: Segments drawn at most per neuron (a 100,000-node neuron keeps a light page).
MAX_SEGMENTS = 20_000
#: Rows of a collection's table.
MAX_ROWS = 20
#: Columns of a collection's table (the first ones of ``to_row()``).
MAX_COLUMNS = 6


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


# -- neurons --------------------------------------------------------------------------------------------
def skeleton_svg(nodes: Any, *, width: int = 240, height: int = 160, soma: Iterable[int] = ()) -> str:
    """The x-y projection of a node table as an inline SVG: one path for the cable, a circle
    for each soma node. An empty table is an empty frame.

    >>> import pandas as pd
    >>> nodes = pd.DataFrame({"node_id": [1, 2], "parent_id": [-1, 1], "x": [0.0, 10.0], "y": [0.0, 5.0]})
    >>> svg = skeleton_svg(nodes, width=100, height=60, soma=[1])
    >>> svg.startswith("<svg") and "<path" in svg and "<circle" in svg
    True
    """
    frame = f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="white" stroke="#ddd"/>'
    if nodes is None or len(nodes) == 0:
        return _svg(width, height, frame)
    ids = nodes["node_id"].to_numpy()
    xy = nodes[["x", "y"]].to_numpy(dtype=float)
    low, high = xy.min(axis=0), xy.max(axis=0)
    span = np.maximum(high - low, 1e-9)
    pad = 6.0
    factor = float(min((width - 2 * pad) / span[0], (height - 2 * pad) / span[1]))
    offset = np.array([(width - span[0] * factor) / 2, (height - span[1] * factor) / 2])
    points = (xy - low) * factor + offset
    where = {int(i): k for k, i in enumerate(ids.tolist())}
    parents = nodes["parent_id"].to_numpy()
    children = [k for k, p in enumerate(parents.tolist()) if int(p) in where]
    if len(children) > MAX_SEGMENTS:
        children = children[:: len(children) // MAX_SEGMENTS + 1]
    moves = []
    for k in children:
        a, b = points[where[int(parents[k])]], points[k]
        moves.append(f"M{a[0]:.1f} {a[1]:.1f}L{b[0]:.1f} {b[1]:.1f}")
    body = frame
    if moves:
        body += f'<path d="{"".join(moves)}" stroke="{CABLE}" stroke-width="1.2" fill="none" stroke-linecap="round"/>'
    elif len(points):
        body += f'<circle cx="{points[0][0]:.1f}" cy="{points[0][1]:.1f}" r="2" fill="{CABLE}"/>'
    for s in soma:
        if int(s) in where:
            x, y = points[where[int(s)]]
            body += f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{SOMA}"/>'
    return _svg(width, height, body)


def _svg(width: int, height: int, body: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" class="neuromodels-picture">{body}</svg>')


def neuron_html(neuron: Any) -> str:
    """A neuron's card: name, id, counts and its projection (when its nodes are loaded)."""
    title = f"<b>{_e(neuron.name or 'neuron')}</b> <span style='color:#666'>id {_e(neuron.id)}</span>"
    if neuron.nodes is None:
        picture = "<div style='color:#666'>(nodes not loaded: <code>fetch()</code> it)</div>"
        facts = ""
    else:
        soma = (neuron.tags or {}).get("soma") or []
        picture = skeleton_svg(neuron.nodes, soma=soma)
        unit = neuron.cable_length_unit
        facts = (f"{len(neuron.nodes):,} nodes, cable {neuron.cable_length:,.1f}{' ' + _e(unit) if unit else ''}"
                 + (f", {len(neuron.connectors):,} connector links" if neuron.connectors is not None else ""))
    annotations = ", ".join(_e(a) for a in neuron.annotations or [])
    lines = [title, facts, f"annotations: {annotations}" if annotations else ""]
    text = "<br>".join(line for line in lines if line)
    return f"<div class='neuromodels-neuron'>{picture}<div>{text}</div></div>"


# -- annotations ------------------------------------------------------------------------------------------
def geometry_svg(geometry: Any, *, width: int = 160, height: int = 120) -> str:
    """A shapely geometry drawn to fit the box (y down, as in image coordinates).

    >>> from shapely.geometry import box
    >>> "<path" in geometry_svg(box(0, 0, 10, 5)) or "<polygon" in geometry_svg(box(0, 0, 10, 5))
    True
    """
    frame = f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="white" stroke="#ddd"/>'
    if geometry is None or getattr(geometry, "is_empty", True):
        return _svg(width, height, frame)
    import shapely

    minx, miny, maxx, maxy = geometry.bounds
    span = max(maxx - minx, 1e-9), max(maxy - miny, 1e-9)
    pad = 6.0
    factor = min((width - 2 * pad) / span[0], (height - 2 * pad) / span[1])
    ox, oy = (width - span[0] * factor) / 2, (height - span[1] * factor) / 2
    fitted = shapely.transform(geometry, lambda xy: (xy - np.array([minx, miny])) * factor + np.array([ox, oy]))
    # shapely writes the SVG elements; the stroke width is in our box's units
    shape = fitted.svg(scale_factor=1.0, fill_color=CABLE)
    return _svg(width, height, frame + shape)


def _png(array: np.ndarray) -> str:
    from PIL import Image

    data = np.asarray(array)
    if data.dtype != np.uint8:
        data = np.clip(data, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(data).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def annotation_picture(annotation: Any, *, max_size: int = 160) -> str:
    """The crop of a stored annotation as an <img> (PNG) where its server crops (Cytomine), else
    its geometry's SVG."""
    if annotation.id is not None and annotation.image is not None and annotation.geometry is not None:
        try:
            from .connection import Connection
            from .imaging import Crop

            if Connection.current().backend.resource(type(annotation)).can(Crop):  # (a server that crops)
                minx, miny, maxx, maxy = annotation.geometry.bounds
                scale = min(1.0, max_size / max(maxx - minx, maxy - miny, 1.0))
                crop = annotation.crop(scale=scale)
                return (f'<img src="data:image/png;base64,{_png(crop)}" width="{crop.shape[1]}" '
                        f'height="{crop.shape[0]}" class="neuromodels-picture" alt="crop of annotation {_e(annotation.id)}">')
        except Exception:  # noqa: BLE001 - a picture is a nicety: any failure shows the geometry instead
            pass
    return geometry_svg(annotation.geometry)


def annotation_html(annotation: Any) -> str:
    facts = [f"<b>annotation</b> <span style='color:#666'>id {_e(annotation.id)}</span>"]
    if annotation.name:
        facts.append(_e(annotation.name))
    if annotation.image is not None:
        facts.append(f"image {_e(annotation.image)}")
    if annotation.terms:
        facts.append("terms " + ", ".join(_e(t) for t in annotation.terms))
    if annotation.geometry is not None:
        facts.append(_e(getattr(annotation.geometry, "geom_type", "")))
    return (f"<div class='neuromodels-annotation'>{annotation_picture(annotation)}"
            f"<div>{'<br>'.join(facts)}</div></div>")


# -- any model, and collections ---------------------------------------------------------------------------
def model_html(model: "Model") -> str:
    """A model's card: its kind, id and fields as a small table (neurons and annotations draw)."""
    kind = type(model).__name__
    if kind == "Neuron":
        return neuron_html(model)
    if kind == "Annotation":
        return annotation_html(model)
    rows = "".join(f"<tr><th style='text-align:left'>{_e(k)}</th><td>{_cell(v)}</td></tr>"
                   for k, v in list(model.to_row().items())[: MAX_COLUMNS + 4])
    return f"<div class='neuromodels-model'><b>{_e(kind)}</b><table>{rows}</table></div>"


def _cell(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        text = ", ".join(str(v) for v in value[:5]) + (" ..." if len(value) > 5 else "")
    else:
        text = "" if value is None else str(value)
    return _e(text[:80] + ("..." if len(text) > 80 else ""))


def collection_html(collection: "Collection[Any]") -> str:
    """A collection as a table: counts first, then up to :data:`MAX_ROWS` members (a neuron's
    row has its small projection where its nodes are loaded)."""
    kind = collection.model.__name__
    members = list(collection)
    filters = ", ".join(f"{_e(k)}={_e(v)}" for k, v in collection.modifiers.items())
    counts = [f"<b>{_e(type(collection).__name__)}</b>: {len(members):,} {_e(kind)}{'s' if len(members) != 1 else ''}"]
    if filters:
        counts.append(f"filters {filters}")
    if not members:
        note = " (not fetched yet: <code>fetch()</code> it)" if collection.modifiers else ""
        return f"<div class='neuromodels-collection'>{'; '.join(counts)}{note}</div>"
    stored = sum(m.id is not None for m in members)
    counts.append(f"{stored:,} stored, {len(members) - stored:,} new")
    if kind == "Neuron":
        loaded = [m for m in members if getattr(m, "nodes", None) is not None]
        counts.append(f"{sum(len(m.nodes) for m in loaded):,} nodes in {len(loaded):,} loaded")
    rows = [m.to_row() for m in members[:MAX_ROWS]]
    columns = list(dict.fromkeys(c for row in rows for c in row))[:MAX_COLUMNS]
    picture = kind == "Neuron"
    head = ("<th></th>" if picture else "") + "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = []
    for m, row in zip(members, rows):
        cells = ""
        if picture:
            nodes = getattr(m, "nodes", None)
            soma = (getattr(m, "tags", None) or {}).get("soma") or []
            cells += f"<td>{skeleton_svg(nodes, width=72, height=48, soma=soma) if nodes is not None else ''}</td>"
        cells += "".join(f"<td>{_cell(row.get(c))}</td>" for c in columns)
        body.append(f"<tr>{cells}</tr>")
    more = f"<div style='color:#666'>... and {len(members) - MAX_ROWS:,} more</div>" if len(members) > MAX_ROWS else ""
    return (f"<div class='neuromodels-collection'><div>{'; '.join(counts)}</div>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}</div>")


class HtmlModelMixin:
    """``_repr_html_`` for models: Jupyter shows :func:`model_html`."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        return model_html(self)  # type: ignore[arg-type]


class HtmlCollectionMixin:
    """``_repr_html_`` for collections: Jupyter shows :func:`collection_html`."""

    def _repr_html_(self) -> str:
        return collection_html(self)  # type: ignore[arg-type]


__all__ = ["HtmlCollectionMixin", "HtmlModelMixin", "annotation_html", "collection_html", "geometry_svg",
           "model_html", "neuron_html", "skeleton_svg"]
