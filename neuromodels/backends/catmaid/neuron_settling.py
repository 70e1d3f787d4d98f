"""What became of a CATMAID neuron import whose reply was lost (the Settle capability of neurons)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ...connection import Connection
from ...core.capabilities import Settle, Settlement
from ...core.backend import required
from ...models import Neuron
from ..settling import settle_each
from . import api, replies
from .converter import form_list


class NeuronSettling(Settle[Neuron]):
    """Mixed into the CATMAID neuron resource, which provides these:"""

    if TYPE_CHECKING:
        def _entities(self, conn: Connection, form: list[tuple[str, str]], limit: int | None) -> list[dict[str, Any]]: ...
        def load(self, conn: Connection, skids: Sequence[int], *, nodes: bool = True) -> dict[int, Any]: ...

    def settle(self, conn: Connection, models: Sequence[Neuron]) -> list[Settlement]:
        """An import whose reply was lost is adopted only when the server shows it is ours: a
        neuron with its exact name, node count and root position, whose skeleton id is above the
        highest one that existed when the import was sent (ids only grow), whose root the server
        records as created after the send (server clock, from its ``Date`` header), by the
        token's user where that is known, and whose skeleton no other model of this process
        holds. None: it was not stored (sent again). Several, an import this process did not
        send, or a lookup that failed: unknown, never guessed (each neuron is looked up on its
        own, so one failed read leaves only its own neuron unknown)."""
        from_date = api.date_offset(conn)
        return settle_each(conn, models, lambda model: self._settle_one(conn, model, from_date))

    def _settle_one(self, conn: Connection, model: Neuron, from_date: float | None) -> Settlement:
        state = api.CatmaidState.of(conn)
        ticket = api.TICKETS.get(model)
        if ticket is None:
            return Settlement.unknown(
                "this process did not send its import, so no neuron on the server can be shown to be it")
        sent, mark = ticket
        form = [("types[0]", "neuron"), ("name", required(model.name, "its name")), ("name_exact", "true")]
        others = api.claimed(conn, model)
        skids = [s for e in self._entities(conn, form, None) for s in e["skeleton_ids"] if s > mark and s not in others]
        sent_nodes = required(model.nodes, "its nodes")
        root = sent_nodes.loc[sent_nodes["parent_id"] == -1, ["x", "y", "z"]].to_numpy()
        loaded = self.load(conn, skids) if skids else {}
        if set(skids) - set(loaded):
            # Listed by name but not readable now (deleted since, or a partial answer): no proof
            # either way.
            return Settlement.unknown(f"neuron(s) named {model.name!r} could not be read to compare")
        shaped: dict[int, int] = {}  # skeleton id -> its root node id
        for neuron in loaded.values():
            nodes = neuron.nodes
            if nodes is None:
                continue
            candidate = nodes.loc[nodes["parent_id"] == -1, ["x", "y", "z"]].to_numpy()
            if len(nodes) == len(sent_nodes) and candidate.shape == root.shape and np.allclose(candidate, root):
                shaped[neuron.id] = int(nodes.loc[nodes["parent_id"] == -1, "node_id"].iloc[0])
        if not shaped:
            return Settlement.absent()
        own_node, own_answered = state.own()
        asked = list(shaped.values()) + ([own_node] if own_node else [])
        info = api.read(conn, "/node/user-info", form_list("node_ids", asked), replies.user_info)
        own = info.get(str(own_node)) if own_node else None
        if own is not None:  # an import of ours: the token's user, and the server's clock
            state.user = int(own["user"])
            api.observe_clock(conn, own["creation_time"], own_answered)
        skew, slack = api.clock_skew(conn, from_date)
        since = sent + skew - slack
        mine = [skid for skid, node in shaped.items()
                if api.epoch(info[str(node)]["creation_time"]) >= since
                and (state.user is None or int(info[str(node)]["user"]) == state.user)]
        if not mine:
            return Settlement.absent()  # only older neurons (anyone's) look like it
        adopted = api.CLAIMS.adopt(conn, "skeleton", model, mine)
        if adopted is None:
            return Settlement.unknown(
                f"{len(mine)} neurons named {model.name!r} with its nodes were created since the import was "
                "sent; which one is this import's cannot be told")
        found = loaded[adopted]
        model.neuron_id, model.nodes = found.neuron_id, found.nodes
        state.bump(adopted)
        return Settlement.stored(adopted)
