"""The bundled Clio store's views, one module per resource (mixins of :class:`..base.ClioBase`)."""
