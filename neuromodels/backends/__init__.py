"""The backends this package ships: each maps the shared models onto one kind of server by
declarations on the core (:mod:`neuromodels.core`). Other packages add theirs through the
``neuromodels.backends`` entry-point group, or :func:`neuromodels.connection.register_backend`."""

#: Backend name -> the module holding its ``BACKEND``.
BUILTIN: dict[str, str] = {
    "catmaid": "neuromodels.backends.catmaid",
    "cytomine": "neuromodels.backends.cytomine",
    "neuromorpho": "neuromodels.backends.neuromorpho",
    "clio": "neuromodels.backends.clio",
    "cave": "neuromodels.backends.cave",
}
