"""The bundled CATMAID's views, one module per resource; each is a mixin of :class:`..base.CatmaidBase`."""
