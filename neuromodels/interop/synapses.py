"""navis' connector table as :class:`~neuromodels.Connector` models (CATMAID stores connectors as
objects of their own, linked to nodes, so a neuron's table is saved through a collection)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .optional import require
from .tree import _our_connectors
from .units import length_scale, scale_columns, target_units

if TYPE_CHECKING:
    from ..models import ConnectorCollection, Neuron  # noqa: F401 - in annotations


def _node_map(tn: Any, neuron: "Neuron | None", scale: float | None) -> dict[int, int] | None:
    """navis node id -> the saved neuron's node id. ``Neuron.from_navis`` keeps the node order
    and saving renumbers in place, so rows pair up by position; the coordinates must agree, or
    the neuron is not the one made from ``tn`` (or was edited since) and pairing is refused."""
    if neuron is None:
        return None
    if neuron.id is None or neuron.nodes is None:
        raise ValueError("neuron= must be the saved Neuron.from_navis(tn) (it has no id or no nodes)")
    theirs = scale_columns(tn.nodes, scale, ("x", "y", "z"))
    ours = neuron.nodes
    same = len(theirs) == len(ours) and all(
        np.allclose(theirs[c].to_numpy(dtype=float), ours[c].to_numpy(dtype=float)) for c in ("x", "y", "z"))
    if not same:
        raise ValueError(f"neuron {neuron.id} is not the saved copy of this navis neuron: its nodes differ "
                         "(save Neuron.from_navis(tn) first and pass that neuron)")
    return dict(zip(tn.nodes["node_id"].astype(int).tolist(), ours["node_id"].astype(int).tolist()))


class NavisConnectorsMixin:
    """``ConnectorCollection.from_navis(tn, neuron=...)``."""

    @classmethod
    def from_navis(cls, tn: Any, *, neuron: "Neuron | None" = None, units: Any = None) -> "ConnectorCollection":
        """New connectors (no ids) from a ``navis.TreeNeuron``'s connector table: one
        :class:`~neuromodels.Connector` per ``connector_id``, linked to its nodes with the
        relation navis' ``type`` names (``pre``/``post``, pymaid's 0-3 codes or CATMAID's names).

        Pass the saved ``Neuron.from_navis(tn)`` as ``neuron`` to link the connectors to its
        nodes on the server (their ids change on saving); coordinates are converted like the
        neuron's (``units``).

        >>> import pandas as pd
        >>> from neuromodels import ConnectorCollection, Neuron
        >>> pn = Neuron.from_swc("1 1 0 0 0 4 -1\\n2 3 10 0 0 1 1\\n", name="pn")
        >>> tn = pn.to_navis(units="1 nanometer")
        >>> tn.connectors = pd.DataFrame({"connector_id": [7, 7], "node_id": [2, 1], "type": ["pre", "post"],
        ...                               "x": [5, 5], "y": [0, 0], "z": [0, 0]})
        >>> saved = Neuron.from_navis(tn, connectors=None).save()
        >>> links = ConnectorCollection.from_navis(tn, neuron=saved).save()[0].links
        >>> sorted((link.relation, link.node_id in set(saved.nodes.node_id)) for link in links)
        [('postsynaptic_to', True), ('presynaptic_to', True)]
        >>> saved.delete()
        """
        navis = require("navis")
        if not isinstance(tn, navis.TreeNeuron):
            raise TypeError(f"from_navis takes a navis.TreeNeuron, not {type(tn).__name__}")
        from ..models import Connector, Link

        scale = length_scale(getattr(tn, "units", None), target_units(units))
        mapping = _node_map(tn, neuron, scale)
        collection: ConnectorCollection = cls()  # type: ignore[assignment]
        table = tn.connectors
        if table is None or not len(table):
            return collection
        table = _our_connectors(scale_columns(table, scale, ("x", "y", "z")))
        for _, rows in table.groupby("connector_id", sort=True):
            first = rows.iloc[0]
            links = [Link(node_id=mapping[int(node)] if mapping is not None else int(node), relation=str(relation))
                     for node, relation in zip(rows["node_id"], rows["relation"])]
            collection.append(Connector(x=float(first["x"]), y=float(first["y"]), z=float(first["z"]),
                                        links=links))
        return collection
