"""Proofreading of traced skeletons (CATMAID): join two neurons, split one at a node, reroot.

A capability in the style of :mod:`neuromodels.core.capabilities`: ``Neuron.join``,
``Neuron.split`` and ``Neuron.reroot`` call ``resource.require(Proofreading)``, so a backend
without it raises :class:`~neuromodels.NotSupported` with the reason from its
``not_supported`` table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.backend import check_id
from ..core.capabilities import M, Resource, capability

if TYPE_CHECKING:
    from ..connection import Connection


@capability
class Proofreading(Resource[M]):
    """Joins, splits and reroots that the server does in one transaction each."""

    operation = "join, split or reroot"

    def join(self, conn: "Connection", model: M, other: M, at: int, other_at: int | None) -> None:
        """Merge ``other`` into ``model``: ``other_at`` (None: the node of ``other`` nearest to
        ``at``) becomes a child of ``at``; ``model`` is reloaded, ``other`` is gone."""
        raise NotImplementedError

    def split(self, conn: "Connection", model: M, at: int, name: str | None) -> M:
        """Cut ``model`` above ``at``: ``at`` and everything downstream become a new neuron,
        returned; ``model`` is reloaded."""
        raise NotImplementedError

    def reroot(self, conn: "Connection", model: M, at: int) -> None:
        """Make the existing node ``at`` the root; ``model`` is reloaded."""
        raise NotImplementedError


def _node(value: Any, what: str) -> int:
    result: int = check_id(value, int, what)
    return result


class ProofreadingMixin:
    """``join``, ``split`` and ``reroot`` on :class:`~neuromodels.Neuron`."""

    __slots__ = ()

    if TYPE_CHECKING:  # what the model it is mixed into provides
        @classmethod
        def _resource(cls, connection: "Connection | None") -> tuple["Connection", Resource[Any]]: ...

    def _proofreading(self, what: str, connection: "Connection | None") -> tuple["Connection", Proofreading[Any]]:
        conn, resource = self._resource(connection)
        proofreading = resource.require(Proofreading)
        if getattr(self, "id", None) is None:
            raise ValueError(f"{what}() needs a stored neuron (this one has no id; save() it first)")
        return conn, proofreading

    def join(self, other: Any, *, at: Any, other_at: Any = None, connection: "Connection | None" = None) -> Any:
        """Merge ``other`` into this neuron (CATMAID's skeleton join): the node ``other_at`` of
        ``other`` (default: its node nearest to ``at``) becomes a child of this neuron's node
        ``at``, ``other``'s tree rerooted there. This neuron keeps its id and gains the union
        of both neurons' annotations; ``other`` no longer exists on the server. Returns this
        neuron, reloaded.

        >>> a = Neuron.from_swc("1 1 0 0 0 1 -1\\n2 3 10 0 0 1 1\\n", name="fragment a").save()
        >>> b = Neuron.from_swc("1 1 30 0 0 1 -1\\n2 3 20 0 0 1 1\\n", name="fragment b").save()
        >>> tip = int(a.nodes.node_id.max())
        >>> len(a.join(b, at=tip).nodes), b.state.value
        (4, 'deleted')
        >>> a.delete()
        """
        if not hasattr(other, "id") or other.id is None:
            raise ValueError("join() needs a stored neuron to merge in (it has no id)")
        if other is self or other.id == getattr(self, "id", None):
            raise ValueError("a neuron cannot be joined with itself")
        at = _node(at, "at (a node id of this neuron)")
        other_at = None if other_at is None else _node(other_at, "other_at (a node id of the other neuron)")
        conn, proofreading = self._proofreading("join", connection)
        proofreading.join(conn, self, other, at, other_at)
        return self

    def split(self, *, at: Any, name: str | None = None, connection: "Connection | None" = None) -> Any:
        """Cut this neuron above node ``at`` (CATMAID's skeleton split): ``at`` and everything
        downstream become a new neuron (named ``name``, else as the server names it), which
        is returned; both parts keep the annotations. This neuron is reloaded.

        >>> n = Neuron.from_swc("1 1 0 0 0 1 -1\\n2 3 10 0 0 1 1\\n3 3 20 0 0 1 2\\n", name="to cut").save()
        >>> middle = int(n.nodes.sort_values("node_id").node_id.iloc[1])
        >>> part = n.split(at=middle, name="cut off")
        >>> len(n.nodes), len(part.nodes), part.name
        (1, 2, 'cut off')
        >>> n.delete(); part.delete()
        """
        at = _node(at, "at (a node id of this neuron)")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a str, not {type(name).__name__}")
        conn, proofreading = self._proofreading("split", connection)
        return proofreading.split(conn, self, at, name)

    def replace(self, nodes: Any, *, connection: "Connection | None" = None) -> Any:
        """Replace this neuron's skeleton by ``nodes`` (a node table, a Neuron, or SWC text or
        path), keeping the neuron: its id, name and annotations, and its root node, which moves
        to the new root's place (pymaid's ``replace_skeleton``). Every other old node is deleted
        (with its tags and connector links) and the new ones are created, as node edits sent by
        :meth:`update`. Returns this neuron, updated.

        >>> n = Neuron.from_swc("1 1 0 0 0 1 -1\\n2 3 10 0 0 1 1\\n", name="to replace").save()
        >>> root = int(n.nodes.node_id.min())
        >>> again = n.replace("1 1 5 5 0 2 -1\\n2 3 5 15 0 2 1\\n3 3 5 25 0 2 2\\n")
        >>> len(again.nodes), root in set(again.nodes.node_id), again.id == n.id
        (3, True, True)
        >>> n.delete()
        """
        import pandas as pd

        from ..formats import swc

        if isinstance(nodes, pd.DataFrame):
            table = nodes
        elif getattr(nodes, "nodes", None) is not None:
            table = nodes.nodes
        else:
            table = swc.parse_swc(nodes)
        current = getattr(self, "nodes", None)
        if current is None:
            raise ValueError("replace() needs this neuron's nodes loaded (fetch() it first)")
        old_roots = current.loc[current["parent_id"] == -1, "node_id"].tolist()
        new_roots = table.loc[table["parent_id"] == -1, "node_id"].tolist()
        if len(new_roots) != 1 or len(old_roots) != 1:
            raise ValueError(f"replace() needs one root in each tree (the new nodes have {len(new_roots)})")
        ids = table["node_id"].astype("int64").tolist()
        # new rows get ids no stored node has (negative, -1 meaning "no parent"); the new root is the old one
        mapping = {old: -(k + 2) for k, old in enumerate(ids)}
        mapping[int(new_roots[0])] = int(old_roots[0])
        edited = pd.DataFrame({"node_id": [mapping[i] for i in ids],
                               "parent_id": [mapping.get(int(p), -1) for p in table["parent_id"].astype("int64")],
                               "x": table["x"].astype(float).to_numpy(), "y": table["y"].astype(float).to_numpy(),
                               "z": table["z"].astype(float).to_numpy()})
        for column, default in (("radius", -1.0), ("confidence", 5)):
            edited[column] = table[column].to_numpy() if column in table else default
        setattr(self, "nodes", edited)
        return self.update(connection=connection)  # type: ignore[attr-defined]

    def reroot(self, at: Any, *, connection: "Connection | None" = None) -> Any:
        """Make the existing node ``at`` the root (CATMAID's skeleton reroot, pymaid's
        push_new_root); returns this neuron, reloaded.

        >>> n = Neuron.from_swc("1 1 0 0 0 1 -1\\n2 3 10 0 0 1 1\\n", name="rerooted").save()
        >>> tip = int(n.nodes.node_id.max())
        >>> int(n.reroot(tip).nodes.set_index("node_id").loc[tip, "parent_id"])
        -1
        >>> n.delete()
        """
        at = _node(at, "at (a node id of this neuron)")
        conn, proofreading = self._proofreading("reroot", connection)
        proofreading.reroot(conn, self, at)
        return self
