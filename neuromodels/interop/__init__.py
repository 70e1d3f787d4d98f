"""Conversions to the analysis libraries users reach for next: navis and trimesh.

Both are optional extras (``pip install '.[navis]'``, ``'.[trimesh]'`` in a checkout).
Nothing here imports them until a conversion runs, so ``import neuromodels`` stays light.

>>> from neuromodels import Neuron
>>> n = Neuron.from_swc("1 1 0 0 0 2 -1\\n2 3 5 0 0 1 1\\n", name="demo")
>>> hasattr(n, "to_navis") and hasattr(Neuron, "from_navis")
True
"""

from __future__ import annotations

from .mesh import TrimeshVolumeMixin
from .optional import MissingExtra, require
from .synapses import NavisConnectorsMixin
from .tree import NavisCollectionMixin, NavisNeuronMixin

__all__ = ["MissingExtra", "NavisCollectionMixin", "NavisConnectorsMixin", "NavisNeuronMixin", "TrimeshVolumeMixin",
           "require"]
