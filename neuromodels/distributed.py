"""Pulls bigger than one machine: collections as dask dataframes fetched by the workers.

``NeuronCollection(annotation="PN").to_dask()`` returns a :mod:`dask.dataframe` with one
partition per chunk of ids. Each partition is ``XCollection(ids=chunk, ...).fetch()`` followed
by ``to_dataframe()``, run by whichever worker computes it, so it sends the same bulk requests
with the same retries, timeouts and Retry-After handling as :meth:`fetch` does on one machine.

Which ids: the collection's ``ids=`` when given (nothing is sent until compute), else the driver
lists the matching ids once (a light listing: CATMAID without node tables) and the workers fetch
the objects. The columns (``meta``) come from fetching one row of the first partition that has
one, on the driver (at most eight are looked at), unless ``meta=`` is given.

The connection travels to the workers as a :class:`ConnectionRecipe`: the URL, backend, project
and options, with the credentials sealed in a :class:`Sealed` whose ``repr`` is masked, so no
repr, log line or task name on the dashboard shows them (task names are
``neuromodels-fetch-<hash>``; the hash is made without the credentials). Each worker process
builds one connection per recipe and reuses it.

dask is an optional extra (``pip install '.[dask]'`` in a checkout); ``import neuromodels`` never
imports it. See ``docs/dask.rst``.
"""

from __future__ import annotations

import threading
import uuid
import weakref
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Sequence

if TYPE_CHECKING:
    import pandas as pd

    from .connection import Connection

#: The most ids per partition by default (fewer when the backend's bulk requests are smaller).
PARTITION_SIZE = 200
#: Credential names a Connection takes, and how to read them back from one.
_CREDENTIALS = ("token", "public_key", "private_key", "http_password")


class Sealed:
    """Credentials that travel to dask workers: pickled with the task, never shown.

    >>> s = Sealed({"token": "tok-123"})
    >>> s, str(s), s.reveal()["token"]
    (Sealed('***'), '***', 'tok-123')
    """

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, str | None]) -> None:
        self._values = dict(values)

    def reveal(self) -> dict[str, str | None]:
        return dict(self._values)

    def __repr__(self) -> str:
        return "Sealed('***')"

    def __str__(self) -> str:
        return "***"

    def __reduce__(self) -> Any:
        return (Sealed, (self._values,))


class ConnectionRecipe:
    """What a worker needs to open the same connection: picklable, credentials sealed.

    >>> from neuromodels import Connection
    >>> conn = Connection("http://127.0.0.1:9", backend="catmaid", project=1, token="tok-123")
    >>> recipe = ConnectionRecipe.of(conn)
    >>> "tok-123" in repr(recipe), recipe.connect().token == "tok-123"
    (False, True)
    """

    #: The driver's own connections (weakly: they live as long as the user keeps them) and
    #: the ones a worker process made from recipes (kept for the next partition).
    _driver: ClassVar["weakref.WeakValueDictionary[str, Connection]"] = weakref.WeakValueDictionary()
    _made: ClassVar[dict[str, "Connection"]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, url: str, backend: str, project: Any, settings: dict[str, Any], credentials: Sealed,
                 key: str | None = None) -> None:
        self.url = url
        self.backend = backend
        self.project = project
        self.settings = settings
        self.credentials = credentials
        self.key = key or uuid.uuid4().hex

    @classmethod
    def of(cls, conn: "Connection") -> "ConnectionRecipe":
        settings: dict[str, Any] = {
            "timeout": conn.timeout, "retries": conn.retry, "max_workers": conn.max_workers,
            "verify": conn.verify, "progress": False, "max_body": conn.max_body, **conn.options,
        }
        public_key, private_key = conn.keys
        http = conn.http_auth
        if http is not None:
            settings["http_user"] = http[0]
        secrets = {"token": conn.token, "public_key": public_key, "private_key": private_key,
                   "http_password": http[1] if http is not None else None}
        recipe = cls(conn.url, conn.backend.name, conn.project, settings, Sealed(secrets))
        with cls._lock:
            cls._driver[recipe.key] = conn  # the driver reuses its own connection
        return recipe

    def connect(self) -> "Connection":
        """This process's connection for the recipe (made once, then reused)."""
        from .connection import Connection

        with self._lock:
            conn = self._driver.get(self.key) or self._made.get(self.key)
            if conn is None:
                secrets: dict[str, Any] = {k: v for k, v in self.credentials.reveal().items() if v is not None}
                conn = Connection(self.url, backend=self.backend, project=self.project, **self.settings, **secrets)
                self._made[self.key] = conn
            return conn

    def __repr__(self) -> str:
        project = f" project={self.project!r}" if self.project is not None else ""
        return f"<ConnectionRecipe {self.backend} {self.url}{project}>"

    def __dask_tokenize__(self) -> Any:
        return ("neuromodels-connection", self.url, self.backend, self.project, self.key)

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url, "backend": self.backend, "project": self.project, "settings": self.settings,
                "credentials": self.credentials, "key": self.key}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


class FetchPartition:
    """The task of one partition: fetch a chunk of ids (``key="ids"``) as one collection, or one
    collection per value of a filter (``key="image"``: the annotations of each image), and
    return the rows as a dataframe."""

    def __init__(self, recipe: ConnectionRecipe, collection: type, modifiers: dict[str, Any], options: dict[str, Any],
                 meta: "pd.DataFrame | None" = None, key: str = "ids",
                 table: "Callable[[Sequence[Any]], pd.DataFrame] | None" = None) -> None:
        self.recipe = recipe
        self.collection = collection
        self.modifiers = modifiers
        self.options = options
        self.meta = meta
        self.key = key
        #: Builds a long table (nodes, connectors, geometries) from the fetched objects, or None
        #: for one row per object (:mod:`neuromodels.distributed_tables`).
        self.table = table

    def frame(self, conn: "Connection", modifiers: dict[str, Any], limit: int | None = None) -> "pd.DataFrame":
        members = self.collection(**modifiers).fetch(limit, connection=conn, **self.options)
        if self.table is not None:
            return self.table(list(members))
        result: pd.DataFrame = members.to_dataframe(connection=conn)
        return result

    def __call__(self, values: Sequence[Any], limit: int | None = None) -> "pd.DataFrame":
        import pandas as pd

        conn = self.recipe.connect()
        if self.key == "ids":
            frame = self.frame(conn, {**self.modifiers, "ids": list(values)}, limit)
        else:
            parts = [self.frame(conn, {**self.modifiers, self.key: value}, limit) for value in values]
            frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        return conform(frame, self.meta)

    def __dask_tokenize__(self) -> Any:
        # The task names' hash: made from what identifies the query, never from the credentials.
        return ("neuromodels-fetch", self.recipe.__dask_tokenize__(), self.collection.__name__, self.key,
                repr(sorted(self.modifiers.items(), key=str)), repr(sorted(self.options.items(), key=str)),
                getattr(self.table, "__qualname__", None))

    def __repr__(self) -> str:
        return f"<FetchPartition {self.collection.__name__} by {self.key} via {self.recipe!r}>"


def conform(frame: "pd.DataFrame", meta: "pd.DataFrame | None") -> "pd.DataFrame":
    """``frame`` with ``meta``'s columns in its order and, where they convert, its dtypes."""
    if meta is None:
        return frame
    frame = frame.reindex(columns=meta.columns)
    for column, dtype in meta.dtypes.items():
        if frame[column].dtype != dtype:
            try:
                frame[column] = frame[column].astype(dtype)
            except (TypeError, ValueError):
                frame[column] = frame[column].astype(object)
    return frame.reset_index(drop=True)


def _require_dask() -> Any:
    try:
        import dask.dataframe as dd
    except ImportError as e:
        from .interop.optional import install_hint

        raise ImportError(f"to_dask() needs dask: {install_hint('dask')} "
                          "(dask[dataframe], and distributed for a cluster)") from e
    return dd


class DaskCollectionMixin:
    """``to_dask`` on :class:`~neuromodels.NeuronCollection` and :class:`~neuromodels.AnnotationCollection`."""

    __slots__ = ()

    def to_dask(self, *, partition_size: int | None = None, meta: "pd.DataFrame | None" = None,
                connection: "Connection | None" = None, table: str | None = None, **options: Any) -> Any:
        """A dask dataframe of the matching objects (the rows of ``to_dataframe()``), each
        partition fetched by the dask worker that computes it.

        ``table``: a long table instead of one row per object, built on the workers: on CATMAID
        ``"nodes"`` or ``"connectors"`` (a neuron's table rows with its ``skeleton_id``), on
        Cytomine annotations ``"geometries"`` (id, image, project, shapely geometry).

        ``partition_size``: ids per partition (default: 200, or the backend's bulk request
        size when smaller, so a partition is one bulk request); on Cytomine annotations, images
        per partition (default 1). ``options`` go to every partition's ``fetch()``
        (e.g. ``nodes=False`` on CATMAID). Nothing is fetched for the rows until you compute.

        For example (the worked example of ``docs/dask.rst`` runs this on a LocalCluster)::

            ddf = NeuronCollection(annotation="PN").to_dask(nodes=False)
            ddf.npartitions, sorted(ddf.compute()["name"])   # (1, ['PN VA6 left', 'PN VA6 right'])
        """
        dd = _require_dask()

        collection: Any = self  # a Collection: this mixin declares nothing of its own to mypy
        conn, resource = collection._resource(connection)
        modifiers = dict(collection.modifiers)
        if partition_size is not None and (isinstance(partition_size, bool) or not isinstance(partition_size, int)
                                           or partition_size < 1):
            raise ValueError(f"partition_size must be a positive int, not {partition_size!r}")
        build = None
        if table is not None:  # checked before anything is sent
            from .distributed_tables import table_builder

            build = table_builder(resource, table, options)
        split = resource.partition_by
        if "ids" in modifiers or (split is None and resource.accepts_ids(conn)):
            key, values = "ids", _ids(type(self), conn, resource, modifiers, options)
            modifiers.pop("ids", None)
            size = partition_size or max(1, min(int(getattr(resource, "batch_size", 100) or 100), PARTITION_SIZE))
        elif split is not None:  # the resource's own way to split (Cytomine: by image)
            key, values = split.filter, split.values(conn, modifiers)
            modifiers.pop(key + "s", None)
            size = partition_size or 1
        else:
            from .core.errors import NotSupported

            raise NotSupported(f"{resource.backend_name} cannot split a {resource.model_name} query into "
                               "partitions: it fetches neither by ids nor by a filter it declares to split on")
        recipe = ConnectionRecipe.of(conn)
        task = FetchPartition(recipe, type(self), modifiers, options, None, key, build)
        learned = meta is not None
        if meta is None:
            # The columns of the first partition that has a row (an image without annotations
            # says nothing of the backend's columns), looked at lightly: one row each.
            for value in values[:META_PROBES]:
                first = task([value], limit=1)
                if len(first):
                    meta, learned = first.iloc[:0], True
                    break
            if meta is None:
                meta = build([]) if build is not None else type(collection)().to_dataframe(connection=conn)
        import dask

        # Lists and dicts (annotations, tags) stay Python objects: dask would turn every object
        # column into strings otherwise.
        with dask.config.set({"dataframe.convert-string": False}):
            if not values:
                return dd.from_pandas(meta, npartitions=1)
            # Partitions are made to these columns only when a row showed them; otherwise each
            # keeps its own (never dropped to fit a guess).
            task.meta = meta if learned else None
            chunks = [values[i:i + size] for i in range(0, len(values), size)]
            return dd.from_map(task, chunks, meta=meta, label="neuromodels-fetch", enforce_metadata=False)

#: How many partitions are looked at (one row each) for the columns before giving up on them.
META_PROBES = 8


def _ids(collection: type, conn: "Connection", resource: Any, modifiers: dict[str, Any],
         options: dict[str, Any]) -> list[Any]:
    """The ids given, or those of the matching objects (listed once, lightly)."""
    ids = modifiers.get("ids")
    if ids is not None:
        return list(ids) if isinstance(ids, (list, tuple, range)) else [ids]
    light = {k: v for k, v in options.items() if k in resource.list_options}
    if "nodes" in resource.list_options:
        light["nodes"] = False
    return [m.id for m in collection(**modifiers).iterator(connection=conn, **light)]


__all__ = ["ConnectionRecipe", "DaskCollectionMixin", "FetchPartition", "Sealed", "conform"]
