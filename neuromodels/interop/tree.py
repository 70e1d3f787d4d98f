"""Neurons as navis.TreeNeuron and collections as navis.NeuronList.

A conversion keeps the node table (every column, root's parent -1), the connectors (with
navis' ``type`` column beside ours, ``relation``), the tags, the soma, the name, the id and the
units. ``Neuron.from_navis`` gives a new neuron (no id, like ``Neuron.from_swc``): saving it
creates it; the navis id stays in ``extra["navis_id"]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

import numpy as np
import pandas as pd

from .optional import require
from .units import length_scale, scale_columns, target_units

if TYPE_CHECKING:
    from ..connection import Connection
    from ..models import Neuron, NeuronCollection

#: Our connector relations and the integer ``type`` codes pymaid uses (read by from_navis).
RELATION_TYPES = {"presynaptic_to": 0, "postsynaptic_to": 1, "gapjunction_with": 2, "abutting": 3}
TYPE_RELATIONS = {v: k for k, v in RELATION_TYPES.items()}

#: The SWC structure type of a soma node.
SWC_SOMA = 1


def _units(neuron: "Neuron", units: Any) -> Any:
    """Explicit units, else those the neuron came with, else its current server's, else None."""
    if units is not None:
        return units
    if neuron.extra.get("units"):
        return neuron.extra["units"]
    from ..connection import Connection
    from ..core.errors import NoConnection

    try:
        return Connection.current().backend.units
    except NoConnection:
        return None


def _soma(nodes: pd.DataFrame, tags: dict[str, list[int]]) -> Any:
    """The soma node: the one tagged "soma", else the SWC soma node (the root where it is one)."""
    tagged = [int(n) for n in tags.get("soma", [])]
    if tagged:
        return tagged[0] if len(tagged) == 1 else tagged
    if "type" not in nodes or nodes.empty:
        return None
    somas = nodes.loc[nodes["type"] == SWC_SOMA, ["node_id", "parent_id"]]
    if somas.empty:
        return None
    roots = somas.loc[somas["parent_id"] == -1, "node_id"]
    return int(roots.iloc[0] if not roots.empty else somas["node_id"].iloc[0])


def _navis_connectors(connectors: pd.DataFrame) -> pd.DataFrame:
    """navis reads a connector's kind from ``type`` (a label containing "pre"/"post", or 0/1)
    and treats ``relation`` as another name for it: the relation names go there, losslessly."""
    table = connectors.copy()
    if "relation" in table:
        table = table.drop(columns=["type"], errors="ignore").rename(columns={"relation": "type"})
        table["type"] = table["type"].astype(str)
    return table.reset_index(drop=True)


def _relation(value: Any) -> str:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return TYPE_RELATIONS.get(int(value), str(value))
    text = str(value)
    if text.isdigit():
        return TYPE_RELATIONS.get(int(text), text)
    lower = text.lower()
    if lower in RELATION_TYPES:
        return lower
    if "pre" in lower:
        return "presynaptic_to"
    if "post" in lower:
        return "postsynaptic_to"
    return text


def _our_connectors(table: pd.DataFrame) -> pd.DataFrame:
    connectors = table.copy().reset_index(drop=True)
    if "relation" not in connectors:
        kinds = connectors["type"] if "type" in connectors else pd.Series(["?"] * len(connectors))
        connectors["relation"] = [_relation(t) for t in kinds]
        connectors = connectors.drop(columns=["type"], errors="ignore")
        order = [c for c in ("node_id", "connector_id", "relation", "x", "y", "z") if c in connectors]
        connectors = connectors[order + [c for c in connectors.columns if c not in order]]
    for column in ("node_id", "connector_id"):
        if column in connectors:
            connectors[column] = connectors[column].astype("int64")
    return connectors


def _navis_soma(tn: Any) -> list[int]:
    """The soma node id(s) navis gives (``tn.soma``: an id, a list of ids or None)."""
    soma = getattr(tn, "soma", None)
    if soma is None:
        return []
    ids = soma if isinstance(soma, (list, tuple, np.ndarray, pd.Series)) else [soma]
    return [int(i) for i in ids if i is not None and not (isinstance(i, float) and np.isnan(i))]


class NavisNeuronMixin:
    """``Neuron.to_navis()`` and ``Neuron.from_navis(tn)`` (navis is imported on first use)."""

    __slots__ = ()

    def to_navis(self, *, units: Any = None, connection: "Connection | None" = None) -> Any:
        """This neuron as a ``navis.TreeNeuron``: nodes, connectors, tags, soma, name, id, units.

        ``units`` defaults to those the neuron came with, else the current connection's server's
        (CATMAID nm, NeuroMorpho.org µm). A neuron without nodes loads them first.

        >>> from neuromodels import Neuron
        >>> n = Neuron.from_swc("1 1 0 0 0 4 -1\\n2 3 10 0 0 1 1\\n", name="demo")
        >>> tn = n.to_navis(units="1 micrometer")
        >>> type(tn).__name__, tn.n_nodes, tn.soma, str(tn.units)
        ('TreeNeuron', 2, 1, '1 micrometer')
        """
        navis = require("navis")
        neuron: Neuron = self  # type: ignore[assignment]
        if neuron.nodes is None:
            if neuron.id is None:
                raise ValueError("this neuron has neither nodes nor an id to load them by")
            neuron.fetch(connection=connection)
        nodes = neuron.nodes.copy().reset_index(drop=True)  # type: ignore[union-attr]
        for column in ("node_id", "parent_id"):
            nodes[column] = nodes[column].astype("int64")
        tags = {str(k): [int(v) for v in vs] for k, vs in (neuron.tags or {}).items()}
        soma = _soma(nodes, tags)
        if "type" in nodes:
            # navis keeps its own node classes (root/slab/branch/end) in "type"; the SWC
            # structure id goes where navis' read_swc puts it.
            nodes = nodes.rename(columns={"type": "label"})
        kwargs: dict[str, Any] = {"name": neuron.name}
        if neuron.id is not None:
            kwargs["id"] = neuron.id
        unit = _units(neuron, units)
        if unit is not None:
            kwargs["units"] = unit
        tn = navis.TreeNeuron(nodes, **kwargs)
        if neuron.connectors is not None:
            tn.connectors = _navis_connectors(neuron.connectors)
        tn.tags = tags
        tn.soma = soma
        if neuron.annotations is not None:
            tn.annotations = list(neuron.annotations)
        if neuron.neuron_id is not None:
            tn.neuron_id = neuron.neuron_id
        return tn

    @classmethod
    def from_navis(cls, tn: Any, *, name: str | None = None, units: Any = None, **fields: Any) -> "Neuron":
        """A new neuron (no id, ready to ``save()``) from a ``navis.TreeNeuron``.

        Keeps nodes, connectors (``relation`` from navis' ``type`` where missing), tags, the soma
        (as the ``soma`` tag, CATMAID's), the name; the navis id goes to ``extra["navis_id"]``.
        Coordinates (and radii) are converted from the neuron's units to ``units`` (default: the
        current connection's server's, else nanometres), which ``extra["units"]`` then names; a
        neuron of units navis does not know as a length is ``ValueError``, one without units is
        taken as it is.

        >>> from neuromodels import Neuron
        >>> tn = Neuron.from_swc("1 1 0 0 0 4 -1\\n2 3 10 0 0 1 1\\n", name="demo").to_navis(units="8 nanometer")
        >>> new = Neuron.from_navis(tn, units="1 nanometer")
        >>> new.id, new.name, new.nodes.x.tolist(), new.extra["units"], new.tags
        (None, 'demo', [0.0, 80.0], '1 nanometer', {'soma': [1]})
        """
        navis = require("navis")
        if not isinstance(tn, navis.TreeNeuron):
            raise TypeError(f"from_navis takes a navis.TreeNeuron, not {type(tn).__name__}")
        if name is not None:
            from ..core.backend import check_name

            check_name(name, "name")
        nodes = tn.nodes.copy().reset_index(drop=True)
        for column in ("node_id", "parent_id"):
            nodes[column] = nodes[column].astype("int64")
        # navis' own node classes are derived data; the SWC structure id comes back as "type".
        nodes = nodes.drop(columns=["type"], errors="ignore")
        if "label" in nodes:
            nodes = nodes.rename(columns={"label": "type"})
        connectors = tn.connectors
        target = target_units(units)
        scale = length_scale(getattr(tn, "units", None), target)
        nodes = scale_columns(nodes, scale, ("x", "y", "z", "radius"))
        if connectors is not None:
            connectors = scale_columns(connectors, scale, ("x", "y", "z"))
        tags = {str(k): [int(v) for v in vs] for k, vs in (getattr(tn, "tags", None) or {}).items()}
        soma = _navis_soma(tn)
        if soma:
            tags["soma"] = sorted(set(tags.get("soma", [])) | set(soma))
        extra: dict[str, Any] = dict(fields.pop("extra", {}) or {})
        extra["navis_id"] = tn.id
        if scale is not None:
            extra["units"] = target
        annotations = getattr(tn, "annotations", None)
        neuron = cls(  # type: ignore[call-arg]
            name=name if name is not None else (str(tn.name) if tn.name is not None else None),
            nodes=nodes,
            connectors=fields.pop("connectors") if "connectors" in fields else (
                _our_connectors(connectors) if connectors is not None and len(connectors) else None),
            tags=tags or None,
            annotations=list(annotations) if isinstance(annotations, (list, tuple)) else None,
            extra=extra,
            **fields,
        )
        return neuron  # type: ignore[return-value]


class NavisCollectionMixin:
    """``NeuronCollection.to_navis()`` and ``NeuronCollection.from_navis(nl)``."""

    def to_navis(self, *, units: Any = None, connection: "Connection | None" = None) -> Any:
        """The members as a ``navis.NeuronList``, in order. Members without nodes get them in
        one bulk step first (``load_nodes``).

        >>> from neuromodels import NeuronCollection
        >>> nl = NeuronCollection([Neuron.from_swc("1 1 0 0 0 4 -1\\n2 3 10 0 0 1 1\\n", name=name)
        ...                        for name in ("a", "b")]).to_navis(units="1 nanometer")
        >>> type(nl).__name__, [tn.name for tn in nl]
        ('NeuronList', ['a', 'b'])
        """
        navis = require("navis")
        members: NeuronCollection = self  # type: ignore[assignment]
        if any(n.nodes is None for n in members):
            members.load_nodes(connection=connection)
        if units is None:
            from ..connection import Connection

            try:
                units = Connection.current(connection).backend.units
            except Exception:  # noqa: BLE001 - no connection: each neuron's own units
                units = None
        return navis.NeuronList([n.to_navis(units=units if not n.extra.get("units") else None) for n in members])

    @classmethod
    def from_navis(cls, neurons: Iterable[Any]) -> "NeuronCollection":
        """New neurons (no ids) from a ``navis.NeuronList`` or any iterable of TreeNeurons.

        >>> from neuromodels import Neuron, NeuronCollection
        >>> nl = NeuronCollection([Neuron.from_swc("1 1 0 0 0 4 -1\\n2 3 10 0 0 1 1\\n", name=name)
        ...                        for name in ("a", "b")]).to_navis()
        >>> again = NeuronCollection.from_navis(nl)
        >>> [(n.id, n.name) for n in again]
        [(None, 'a'), (None, 'b')]
        """
        require("navis")
        collection = cls()
        model = collection.model  # type: ignore[attr-defined]
        for tn in neurons:
            collection.append(model.from_navis(tn))  # type: ignore[attr-defined]
        return collection  # type: ignore[return-value]
