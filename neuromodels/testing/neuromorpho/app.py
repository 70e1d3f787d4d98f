"""The bundled NeuroMorpho.org: HAL envelopes, select (GET q/fq and POST JSON), fields and
partitions, morphometry, persistence vectors, literature, the SWC files (standardized and
original) and PNG images, over the synthetic neurons of :mod:`.store`."""

from __future__ import annotations

from .views.fields import FieldViews
from .views.files import FileViews
from .views.literature import LiteratureViews
from .views.measures import MeasureViews
from .views.neurons import NeuronViews


class NeuroMorphoApp(NeuronViews, FieldViews, MeasureViews, LiteratureViews, FileViews):
    """Every endpoint the bundled NeuroMorpho.org serves."""
