"""The core: what every backend shares, and nothing any feature or backend adds.

Read in this order (an hour for a newcomer):

* :mod:`~neuromodels.core.errors` — the exception tree;
* :mod:`~neuromodels.core.backend` — what a backend declares (its resources, auth, error
  parsing), filters and id checks;
* :mod:`~neuromodels.core.capabilities` — what a resource can do: one mixin per capability on
  its class line (Fetch, List, Create ...), the reasons for what it cannot;
* :mod:`~neuromodels.core.paging` and :mod:`~neuromodels.core.routes` — how a resource reads
  pages and which requests it sends, as values;
* :mod:`~neuromodels.core.state` — where a model stands with respect to the server;
* :mod:`~neuromodels.core.context` — which connection a call uses;
* :mod:`~neuromodels.core.model` and :mod:`~neuromodels.core.collection` — the Model and
  Collection bases users meet (fields, change tracking, list behaviour, query modifiers);
* :mod:`~neuromodels.core.operations` — the contract's reading rules, written once;
* :mod:`~neuromodels.core.writes` — the contract's writing rules, written once: a model's write
  is a batch of one;
* :mod:`~neuromodels.core.wire` — the cattrs converter factory each backend builds its own from.

The core imports no feature (copying, navis, Dask, images), nothing of the package outside it
(not even the connection module) and names no backend: features build on it
(:mod:`neuromodels.models` mixes them into the shared models) and backends declare onto it.
"""
