"""The bundled NeuroMorpho.org: HAL envelopes, select (GET q/fq and POST JSON), fields,
morphometry and SWC files, over the synthetic neurons of :mod:`.store`."""

from __future__ import annotations

from .views.fields import FieldViews
from .views.files import FileViews
from .views.neurons import NeuronViews


class NeuroMorphoApp(NeuronViews, FieldViews, FileViews):
    """Every endpoint the bundled NeuroMorpho.org serves."""
