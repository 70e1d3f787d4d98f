"""Nodes across a project (CATMAID): lookups by node id, by tag, in a box or a volume.

Each function reads the current connection (or ``connection=``) and answers a table; ids are
checked before any request, and ids the server does not know are :class:`~neuromodels.NotFound`
naming them. Backends without node queries raise :class:`~neuromodels.NotSupported`.

>>> from neuromodels import nodes
>>> n = NeuronCollection(name="PN VA6 left").fetch()[0]
>>> first = int(n.nodes.node_id.min())
>>> int(nodes.skeletons([first])[first]) == n.id
True
>>> nodes.locations([first])[["x", "y", "z"]].values.tolist()
[[5040.0, 6010.0, 900.0]]
>>> nodes.info([first]).neuron_name.tolist()
['PN VA6 left']
"""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from .core.backend import as_list, check_id, check_name
from .backends.nodes import NodeQueries
from .connection import Connection


def _queries(connection: Connection | None) -> tuple[Connection, NodeQueries[Any]]:
    from .models import Neuron

    conn = Connection.current(connection)
    return conn, conn.backend.resource(Neuron).require(NodeQueries)


def _ids(values: Any, what: str = "node id") -> list[int]:
    ids = [check_id(v, int, what) for v in as_list(values)]
    if not ids:
        raise ValueError(f"no {what}s given")
    return list(dict.fromkeys(ids))


def skeletons(node_ids: Any, *, connection: Connection | None = None) -> pd.Series:
    """The skeleton (neuron id as neuromodels knows it) of each node: a Series indexed by node
    id (pymaid's ``get_skid_from_node``; one bulk request)."""
    conn, queries = _queries(connection)
    return queries.skeletons(conn, _ids(node_ids))


def info(node_ids: Any, *, connection: Connection | None = None) -> pd.DataFrame:
    """Per node: ``node_id``, ``skeleton_id``, ``skeleton_name``, ``neuron_id``, ``neuron_name``
    (pymaid's ``get_node_info``)."""
    conn, queries = _queries(connection)
    return queries.info(conn, _ids(node_ids))


def locations(node_ids: Any, *, connection: Connection | None = None) -> pd.DataFrame:
    """``node_id``, ``x``, ``y``, ``z`` of treenodes and connectors alike, in the order given,
    without knowing their skeletons (pymaid's ``get_node_location``)."""
    conn, queries = _queries(connection)
    return queries.locations(conn, _ids(node_ids))


def find(*, tags: Any = None, neurons: Any = None, ids: Any = None, connection: Connection | None = None) -> pd.DataFrame:
    """Nodes by tag (any of ``tags``), within ``neurons`` (skeleton ids) and/or by node id, in
    one request (pymaid's ``find_nodes``): ``node_id``, ``parent_id``, ``x``, ``y``, ``z``,
    ``confidence``, ``radius``, ``skeleton_id``, ``edition_time`` (UTC), ``creator_id``.

    >>> from neuromodels import nodes
    >>> n = NeuronCollection(name="PN VA6 right").fetch()[0]
    >>> n.tags = {"doc end": [int(n.nodes.node_id.max())]}
    >>> _ = n.update()
    >>> nodes.find(tags="doc end").skeleton_id.tolist() == [n.id]
    True
    """
    tag_list = [str(t) for t in as_list(tags)] if tags is not None else []
    for t in tag_list:
        check_name(t, "a tag")
    skids = _ids(neurons, "skeleton id") if neurons is not None else []
    nodes = _ids(ids) if ids is not None else []
    if not (tag_list or skids or nodes):
        raise ValueError("find() needs tags=, neurons= or ids=")
    conn, queries = _queries(connection)
    return queries.find(conn, tag_list, skids, nodes)


def details(node_ids: Any, *, connection: Connection | None = None) -> pd.DataFrame:
    """Who made and reviewed each node and when (pymaid's ``get_node_details``):
    ``node_id``, ``creator_id``, ``editor_id``, ``creation_time``, ``edition_time`` (UTC),
    ``reviewer_ids``, ``review_times`` (lists). Treenodes and connectors alike."""
    conn, queries = _queries(connection)
    return queries.details(conn, _ids(node_ids))


def table(neurons: Any, *, connection: Connection | None = None) -> pd.DataFrame:
    """Every node of these neurons (skeleton ids) with its details (pymaid's ``get_node_table``):
    ``neuron``, the node columns, ``editor_id``, ``creation_time``, ``reviewer_ids``, ``tags``.

    >>> from neuromodels import nodes
    >>> skid = NeuronCollection(name="PN VA6 left").fetch(nodes=False)[0].id
    >>> sorted(nodes.table([skid]).columns)[:4]
    ['confidence', 'creation_time', 'creator_id', 'edition_time']
    """
    conn, queries = _queries(connection)
    return queries.table(conn, _ids(neurons, "skeleton id"))


def labels(*, connection: Connection | None = None) -> pd.DataFrame:
    """Every use of a tag on a treenode in the project (pymaid's ``get_label_list``):
    ``label_id``, ``tag``, ``skeleton_id``, ``node_id``."""
    conn, queries = _queries(connection)
    return queries.labels(conn)


def tags(node_ids: Any, *, connectors: bool = False, connection: Connection | None = None) -> dict[int, list[str]]:
    """Tags of treenodes, or of connectors with ``connectors=True`` (pymaid's ``get_node_tags``):
    node id -> tag names; untagged nodes are absent."""
    if not isinstance(connectors, bool):
        raise TypeError(f"connectors must be True or False, not {connectors!r}")
    conn, queries = _queries(connection)
    return queries.tags(conn, _ids(node_ids), connectors)


def in_box(bbox: Sequence[float] | Any, *, connection: Connection | None = None) -> pd.DataFrame:
    """Every treenode in a box, ``(minx, miny, minz, maxx, maxy, maxz)`` in nm or pymaid's
    ``[[minx, maxx], [miny, maxy], [minz, maxz]]`` (pymaid's ``get_nodes_in_volume``); the
    columns of :func:`find`.

    >>> from neuromodels import nodes
    >>> found = nodes.in_box((5000, 6000, 800, 5100, 6100, 1000))
    >>> sorted(set(found.x))
    [5040.0, 5080.0]
    """
    conn, queries = _queries(connection)
    return queries.in_box(conn, bbox)


def in_volume(volume: Any, *, connection: Connection | None = None) -> pd.DataFrame:
    """Every treenode inside a volume's mesh (id or name), as :func:`in_box`."""
    if isinstance(volume, bool) or not isinstance(volume, (str, int)) and not hasattr(volume, "__index__"):
        raise TypeError(f"volume must be a volume id or name, not {type(volume).__name__}")
    conn, queries = _queries(connection)
    return queries.in_volume(conn, volume)
