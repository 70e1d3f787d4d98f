"""``neuromodels demo``: the everyday jobs end to end on the bundled local servers.

Each backend's part starts its bundled server on 127.0.0.1 (SQLite in a temporary folder), works
on it through the public API only, prints what it did and stops the server: no network, no
account, a few seconds in all.

>>> from neuromodels.demo import run
>>> lines = []
>>> run(["clio"], print_=lines.append)
>>> any("version v0.3.33" in line for line in lines)
True
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from .models import Neuron, NeuronCollection

Printer = Callable[[str], None]


def synthetic_neuron(seed: int, n_nodes: int = 300, name: str | None = None) -> Neuron:
    """A deterministic random-walk arbor: a soma and branching, slightly wandering neurites."""
    rng = np.random.default_rng(seed)
    soma = rng.uniform(2000, 14000, size=3) * np.array([1.0, 1.0, 0.25])
    positions = [soma]
    parents = [-1]
    direction = [rng.normal(size=3)]
    for i in range(1, n_nodes):
        # Mostly extend the newest tip; sometimes branch from an earlier node.
        parent = i - 1 if rng.random() > 0.06 else int(rng.integers(0, i))
        step = direction[parent] + rng.normal(scale=0.35, size=3)
        step = step / np.linalg.norm(step)
        positions.append(positions[parent] + step * rng.uniform(60.0, 180.0))
        parents.append(parent)
        direction.append(step)
    xyz = np.round(np.array(positions), 1)
    nodes = pd.DataFrame({
        "node_id": np.arange(1, n_nodes + 1),
        "parent_id": [p + 1 if p >= 0 else -1 for p in parents],
        "x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2],
        "radius": np.r_[400.0, np.full(n_nodes - 1, 40.0)],
        "type": np.r_[1, np.full(n_nodes - 1, 3)],
    })
    return Neuron(name=name or f"synthetic {seed}", nodes=nodes)


def cable_length(nodes: pd.DataFrame) -> float:
    """Total length of the edges between each node and its parent, in the nodes' unit.

    >>> nodes = pd.DataFrame({"node_id": [1, 2, 3], "parent_id": [-1, 1, 2],
    ...                       "x": [0.0, 3.0, 3.0], "y": [0.0, 4.0, 4.0], "z": [0.0, 0.0, 2.0]})
    >>> cable_length(nodes)
    7.0
    """
    xyz = nodes.set_index("node_id")[["x", "y", "z"]]
    children = nodes[nodes.parent_id >= 0]
    steps = children[["x", "y", "z"]].to_numpy(float) - xyz.loc[children.parent_id].to_numpy(float)
    return float(np.linalg.norm(steps, axis=1).sum())


def cable_lengths(neurons: NeuronCollection) -> dict[Any, float]:
    """Cable length per neuron id: the collection's own ``cable_length()`` where this version of
    the library has it, else computed from the node tables."""
    own = getattr(neurons, "cable_length", None)
    if callable(own):
        result = own()
        if isinstance(result, pd.Series):
            return {k: float(v) for k, v in result.items()}
        if isinstance(result, Mapping):
            return {k: float(v) for k, v in result.items()}
    return {n.id: cable_length(n.nodes) for n in neurons}


def _nodes(neuron: Neuron) -> pd.DataFrame:
    if neuron.nodes is None:
        raise ValueError(f"neuron {neuron.id} has no nodes loaded")
    nodes: pd.DataFrame = neuron.nodes
    return nodes


def _title(print_: Printer, text: str) -> None:
    print_(f"\n== {text} " + "=" * max(0, 76 - len(text)))


def _table(print_: Printer, frame: pd.DataFrame) -> None:
    for line in frame.to_string(index=False, max_colwidth=48).splitlines():
        print_("  " + line)


def parts() -> dict[str, str]:
    """Backend name -> where its part of the demo is (``"module:function"``), in the order they are
    shown: the shipped backends first, then any other that declares one (``Backend.demo``)."""
    from .backends import BUILTIN
    from .connection import available_backends, load_backend

    found: dict[str, str] = {}
    for name in sorted(available_backends(), key=lambda n: (n not in BUILTIN, list(BUILTIN).index(n) if n in BUILTIN else 0, n)):
        try:
            part = load_backend(name).demo
        except Exception:  # noqa: BLE001 - a broken third-party backend does not stop the others' demo
            continue
        if part:
            found[name] = part
    return found


def run(backends: Iterable[str] | None = None, print_: Printer = print) -> None:
    """Show the everyday jobs on each of ``backends`` (all of them by default), each on its own
    bundled server, printing through ``print_``."""
    import importlib

    started = time.perf_counter()
    available = parts()
    chosen = list(available) if backends is None else list(backends)
    unknown = [b for b in chosen if b not in available]
    if unknown:
        raise ValueError(f"no demo for {', '.join(map(repr, unknown))}; choose from {', '.join(available)}")
    for name in chosen:
        module, _, function = available[name].partition(":")
        getattr(importlib.import_module(module), function)(print_)
    print_(f"\nDone in {time.perf_counter() - started:.2f} s, on 127.0.0.1 only; the servers have stopped.")
