"""The bundled NeuroMorpho.org's views, one module per resource (mixins of :class:`..base.NeuroMorphoBase`)."""
