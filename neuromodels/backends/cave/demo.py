"""The CAVE part of ``neuromodels demo``, on the bundled server."""

from __future__ import annotations

import pandas as pd

from ...demo import Printer, _nodes, _table, _title
from ...models import Annotation, AnnotationCollection, ConnectorCollection, Neuron, NeuronCollection
from ...testing import connect, serve


def demo(print_: Printer = print) -> None:
    """Cell types read at a materialization version and live, rows written in one batch, a root's
    edit history and skeleton."""
    with serve("cave") as server, connect(server, progress=False):
        _title(print_, f"CAVE  (bundled deployment at {server.url}, datastack {server.project}, Bearer token)")
        then = AnnotationCollection(table="cell_types", version=1).fetch()
        live = AnnotationCollection(table="cell_types").fetch()
        print_(f"Table cell_types: {len(then)} rows at materialization version 1, {len(live)} live")
        basket = next(a for a in then if (a.properties or {}).get("cell_type") == "basket")
        moved = next(a for a in live if a.id == basket.id)
        history = NeuronCollection(lineage_of=(basket.targets or [0])[0]).fetch()
        print_(f"The basket cell (row {basket.id}) was on root {(basket.targets or [0])[0]} at version 1 and is on "
               f"{(moved.targets or [0])[0]} now: its lineage has {len(history)} roots (a split)")
        batch = AnnotationCollection([Annotation(properties={"pt_position": [1200 + 200 * j, 4000, 130],
                                                             "cell_type": f"bouton {j}", "classification_system": "demo"})
                                      for j in range(3)], table="cell_types").save()
        print_(f"Posted {len(batch)} rows in one request: ids {[a.id for a in batch]}")
        back = AnnotationCollection(table="cell_types", classification_system="demo").fetch()
        _table(print_, pd.DataFrame({"id": [a.id for a in back], "cell_type": [(a.properties or {}).get("cell_type") for a in back],
                                     "root": [(a.targets or [None])[0] for a in back]}))
        neuron = Neuron.fetch((back[0].targets or [0])[0])
        synapses = ConnectorCollection(neuron=neuron.id).fetch()
        print_(f"Neuron.fetch({neuron.id}): a skeleton of {len(_nodes(neuron))} nodes (nm); {len(synapses)} synapses")
        back.delete()
