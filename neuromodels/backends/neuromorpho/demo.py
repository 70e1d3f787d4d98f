"""The NeuroMorpho.org part of ``neuromodels demo``, on the bundled server."""

from __future__ import annotations

import pandas as pd

from ...demo import Printer, _nodes, _table, _title
from ...models import Neuron, NeuronCollection
from ...testing import connect, serve


def demo(print_: Printer = print) -> None:
    """A metadata query with the server's own fields, then one neuron's SWC nodes."""
    with serve("neuromorpho") as server, connect(server, progress=False):
        _title(print_, f"NeuroMorpho.org  (bundled server at {server.url}, read-only, no account)")
        query = NeuronCollection(species="rat", brain_region="hippocampus")
        found = query.fetch()
        print_(f"NeuronCollection(species='rat', brain_region='hippocampus'): {len(found)} neurons "
               f"(the server counts {query.count()}; every page followed)")
        _table(print_, pd.DataFrame({
            "neuron_id": [n.id for n in found], "name": [n.name for n in found],
            "archive": [n.extra.get("archive") for n in found],
            "cell type": [", ".join(n.extra.get("cell_type") or []) for n in found],
        }).head(5))
        neuron = Neuron.fetch(found[0].id)
        print_(f"\nNeuron.fetch({neuron.id}) -> {neuron.name!r}: {len(_nodes(neuron))} SWC nodes, first rows:")
        _table(print_, _nodes(neuron).head(4))
