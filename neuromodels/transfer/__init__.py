"""Copying models between servers: ``model.copy_to(target)`` and ``collection.copy_to(target)``.

Paths (source -> target, what is copied; each is declared by the target's resource, ``copies_from``):

- NeuroMorpho.org -> CATMAID: neurons with their nodes; species, brain region, cell type,
  archive and the NeuroMorpho id/name become annotations (``"species: rat"``).
- CATMAID -> CATMAID: neurons with nodes, annotations and tags, and the connectors between the
  copied neurons with their links; volumes.
- Cytomine -> Cytomine: annotations with their geometries and terms (matched by name in the
  target's ontology; missing ones reported, or created with ``create_terms=True``) onto an
  image the caller names (``image=``).
- Clio -> Clio: body annotations between datasets or versions.

Anything else raises :class:`~neuromodels.NotSupported` with the reason.

Resuming without duplicates: every copy carries a marker naming its source,
``"copied from <source>#<kind>/<id>"`` (``<source>`` is the source URL, its project or dataset
and version), written in the same request that creates the copy: CATMAID's import origin
of the skeleton (out of the annotation list; an annotation on servers without import origins),
plus ``"copied from <source>"`` on all copies, so one query finds them; a line of a volume's
comment, a ``copied_from`` property on Clio and on Cytomine annotations (Cytomine writes it
just after the annotation: an unmarked one with the copy's geometry counts too). A second call reads the markers first
and creates only what is missing (and completes copies an interruption left without their tags,
terms or connectors). Each copy knows its source: ``copy.copied_from`` (an :class:`Origin`), so
``{c.copied_from.id: c.id for c in copies}`` is the id map.

>>> from neuromodels.transfer import Origin, Transform
>>> Origin("https://catmaid.example.org/1", "neuron", 16).marker
'copied from https://catmaid.example.org/1#neuron/16'
>>> Origin.parse("copied from https://catmaid.example.org/1#neuron/16").id
'16'
>>> Transform(scale=1000)([[1.0, 2.0, 3.0]]).tolist()
[[1000.0, 2000.0, 3000.0]]
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

if TYPE_CHECKING:
    from ..connection import Connection
    from ..core.model import Model

from .core import (
    CHUNK, CopyReport, MARKER_PREFIX, Origin, Transform, TransformChanged, _Job, as_transform, log,
    source_name, transform_label,
)
from .cli import cli_copy, connection_from_name


__all__ = ["CHUNK", "MARKER_PREFIX", "CopyCollectionMixin", "CopyModelMixin", "CopyReport", "Origin",
           "Transform", "TransformChanged", "as_transform", "cli_copy", "connection_from_name", "copy_models",
           "source_name", "transform_label"]


# -- mixins for the models and collections ------------------------------------------------------------
class CopyModelMixin:
    """``model.copy_to(target)`` and ``model.copied_from`` (kept in the model's private
    ``_copied_from`` field)."""

    __slots__ = ()
    _copied_from: Any

    @property
    def copied_from(self) -> Origin | None:
        """Where this model was copied from (set on what ``copy_to`` returns), else None."""
        value = getattr(self, "_copied_from", None)
        return value if isinstance(value, Origin) else None

    def copy_to(self, target: "Connection", *, connection: "Connection | None" = None, **options: Any) -> Any:
        """Save a copy of this model on ``target`` (or find the one made before) and return it.
        ``connection`` is where this model lives (default: the current connection); the options
        are those of :func:`copy_models`.

        >>> from neuromodels import Neuron, NeuronCollection
        >>> from neuromodels.testing import serve, connect
        >>> other = serve("catmaid").start()
        >>> pn = NeuronCollection(annotation="PN").fetch(nodes=False)[0]   # on the current connection
        >>> copy = Neuron.fetch(pn.id).copy_to(connect(other, progress=False))
        >>> copy.copied_from.id == pn.id, copy.name == pn.name, copy.id is not None
        (True, True, True)
        >>> other.stop()
        """
        from ..models import COLLECTIONS

        for collection_class in COLLECTIONS:
            if isinstance(self, collection_class.model):
                _check_copy_options(options)
                copies = copy_models(collection_class([self]), target, source=connection, **options)
                return copies[0]
        raise TypeError(f"{type(self).__name__} models cannot be copied")


class CopyCollectionMixin:
    """``collection.copy_to(target)``, ``copies.copy_report`` and ``copies.id_map()``."""

    @property
    def copy_report(self) -> CopyReport | None:
        """The :class:`CopyReport` of the copy that returned this collection, else None."""
        value = self.__dict__.get("_copy_report")
        return value if isinstance(value, CopyReport) else None

    def copy_to(self, target: "Connection", *, connection: "Connection | None" = None, **options: Any) -> Any:
        """Save copies of the members on ``target`` and return them in order (a collection of
        the same kind, ``.copy_report`` telling what happened). ``connection`` is where the
        members live (default: the current connection). See :func:`copy_models` for options.

        >>> from neuromodels import NeuronCollection
        >>> from neuromodels.testing import serve, connect
        >>> other = serve("catmaid").start()
        >>> pns = NeuronCollection(annotation="PN").fetch()                 # on the current connection
        >>> copies = pns.copy_to(connect(other, progress=False), transform=Transform(offset=(0, 0, 40)))
        >>> len(copies), len(copies.copy_report.created), sorted(copies.id_map()) == sorted(n.id for n in pns)
        (2, 2, True)
        >>> again = pns.copy_to(connect(other, progress=False), transform=Transform(offset=(0, 0, 40)))
        >>> len(again.copy_report.existing), [c.id for c in again] == [c.id for c in copies]
        (2, True)
        >>> other.stop()
        """
        _check_copy_options(options)
        return copy_models(self, target, source=connection, **options)  # type: ignore[arg-type]

    def id_map(self) -> dict[Any, Any]:
        """Source id -> copy id for members that are copies."""
        return {m.copied_from.id: m.id for m in self if getattr(m, "copied_from", None) is not None}  # type: ignore[attr-defined]


def _route(model: type, source: "Connection", target: "Connection") -> Callable[[list[Any], _Job], list[Any]]:
    """The copier the target's resource declares for the source's backend (``copies_from``), or
    NotSupported with the reason it declares (``not_supported["copy"]``, else why it cannot
    create, else that the two do not map onto each other)."""
    import importlib

    from ..core.capabilities import Create
    from ..core.errors import NotSupported

    name, src, tgt = model.__name__, source.backend.name, target.backend.name
    resource = target.backend.resource(model)
    where = resource.copies_from.get(src)
    if where is not None:
        module, _, function = where.partition(":")
        copier: Callable[[list[Any], _Job], list[Any]] = getattr(importlib.import_module(module), function)
        return copier
    reason = resource.not_supported.get("copy")
    if reason is None and not isinstance(resource, Create):
        reason = resource.not_supported.get("create") or resource.not_supported.get("*")
    if reason is None and src != tgt:
        reason = f"{src} {name.lower()}s and {tgt} {name.lower()}s do not map onto each other"
    if reason is None:
        reason = f"there is nothing of this kind to copy between {src} servers"
    sources = ", ".join(f"{s}->{tgt}" for s in resource.copies_from)
    raise NotSupported(f"copying {name.lower()}s from {src} to {tgt} is not supported: {reason} "
                       f"(supported: {sources + ' ' + name.lower() + 's' if sources else 'none'})")


def _check_copy_options(options: Mapping[str, Any]) -> None:
    """A misspelt option of copy_to is a TypeError naming the close ones, like every option."""
    import inspect

    from ..core.capabilities import did_you_mean

    accepted = [name for name, p in inspect.signature(copy_models).parameters.items()
                if p.kind is inspect.Parameter.KEYWORD_ONLY and name != "source"]
    for name in options:
        if name not in accepted:
            raise TypeError(f"copy_to() got an unknown option {name!r}{did_you_mean(name, accepted)}; "
                            f"it accepts: {', '.join(accepted)}")


def copy_models(
    items: "Iterable[Model]",
    target: "Connection",
    *,
    source: "Connection | None" = None,
    dry_run: bool = False,
    transform: Any = None,
    image: Any = None,
    create_terms: bool = False,
    connectors: bool | str = "between",
    source_key: str | None = None,
    chunk_size: int = CHUNK,
    update: bool = False,
) -> Any:
    """Copy ``items`` (a collection or models of one kind, living on ``source``) to ``target``.

    Returns the copies in the order of ``items`` — made now or found from an earlier run — as
    a collection of the items' kind whose ``copy_report`` says what happened. Each copy's
    ``copied_from`` names its source.

    - ``dry_run``: only read; the report lists what would be created and new copies have no id.
    - ``transform``: coordinates on the target from those on the source: a :class:`Transform`,
      a number (scale), ``{"scale": .., "offset": ..}`` or a function of an N×3 array.
    - ``image``: Cytomine target image id (or a dict source image id -> target image id).
    - ``create_terms``: Cytomine: create terms missing from the target ontology (else they are
      listed in ``copy_report.missing_terms`` and left off the copies).
    - ``connectors``: CATMAID: ``"between"`` copies connectors linking two or more of the copied
      neurons; ``"any"`` also those linked to one; ``False`` none.
    - ``source_key``: the source's name in markers (default: its URL, project and version);
      keep it when the source moves to another address.
    - ``chunk_size``: neurons per step (loaded from the source while the previous is saved).
    - ``update``: CATMAID neurons and volumes and Cytomine annotations remember the transform
      they were copied with (``"copy transform: ..."``, one annotation or comment line shared by
      all copies made with it; a ``copy_transform`` property). A copy again with another
      transform raises :class:`TransformChanged` before writing anything; with ``update=True``
      the stale copies are deleted and made again with the new transform
      (``copy_report.recopied``). Clio copies are recognised by their body, so a changed
      transform there rewrites the body's annotation.

    Interrupted (Ctrl-C, server down), call it again: it finds what is there by the markers
    and creates only the rest.
    """
    from ..core.collection import Collection
    from ..connection import Connection
    from ..core.errors import NoConnection, PartialSaveError
    from ..models import COLLECTIONS

    if not isinstance(target, Connection):
        raise TypeError(f"copy_to needs the target Connection, not {type(target).__name__}")
    if source is None and isinstance(items, Collection):
        source = items.__dict__.get("_connection")  # where the collection was fetched, if it says
    try:
        src = Connection.current(source)
    except NoConnection:
        raise NoConnection("copy_to needs the connection the models live on: pass connection=<source> "
                           "or call it inside `with source:`") from None
    if src is target:
        raise ValueError("the source and the target are the same connection")
    if connectors not in (True, False, "between", "any"):
        raise ValueError(f"connectors must be 'between', 'any' or False, not {connectors!r}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a whole number >= 1, not {chunk_size!r}")
    # (the members as they are: a query not run yet is run below, on the source)
    models = list(items._items if isinstance(items, Collection) else items)
    collection_class: type[Collection[Any]] | None = type(items) if isinstance(items, Collection) else None
    if collection_class is None:
        if not models:
            raise ValueError("nothing to copy (and no collection to tell the kind)")
        collection_class = next(c for c in COLLECTIONS if isinstance(models[0], c.model))
    model = collection_class.model
    for m in models:
        if not isinstance(m, model):
            raise TypeError(f"copy_to copies models of one kind; found {type(m).__name__} among {model.__name__}s")
    route = _route(model, src, target)
    if source_name(src) == source_name(target) and src.backend.name == target.backend.name:
        raise ValueError(f"the source and the target are the same server ({source_name(src)}): a copy there would "
                         "copy the copies on the next run; copy to another server or project")
    if not models and isinstance(items, Collection) and (items.modifiers or not items.fetched):
        # A query not run yet: run it on the source (neurons without nodes: those are loaded
        # only for what is missing on the target).
        options = {"nodes": False} if model.__name__ == "Neuron" else {}
        models = list(items.fetch(connection=src, **options))
    key = source_key or source_name(src)
    report = CopyReport(source=key, target=source_name(target), kind=model.__name__.lower(), dry_run=dry_run)
    job = _Job(src, target, key, report, as_transform(transform), dry_run,
               {"image": image, "create_terms": create_terms,
                "connectors": "between" if connectors is True else connectors, "chunk": chunk_size},
               update=bool(update))
    started = time.perf_counter()
    try:
        copies = route(models, job)
    finally:
        report.seconds = time.perf_counter() - started
    result = collection_class(copies)
    object.__setattr__(result, "_copy_report", report)
    log.info("%s", report)
    if report.failed:
        first = report.failed[0][1]
        error = PartialSaveError(f"{report}; first error: {first}", saved=[c for c in copies if c.id is not None],
                                 failed=[(o, e) for o, e in report.failed], unknown=[])
        error.copy_report = report  # type: ignore[attr-defined]
        error.copies = result  # type: ignore[attr-defined]
        raise error
    return result
