"""Copying models between servers: ``model.copy_to(target)`` and ``collection.copy_to(target)``.

Paths (source -> target, what is copied):

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
and version), written in the same request that creates the copy: a CATMAID annotation (plus
``"copied from <source>"`` on all copies, so one query finds them), a line of a volume's
comment, or a ``copied_from`` property on Clio. Cytomine annotations have no field to carry it:
there the copy is recognised by its image and geometry. A second call reads the markers first
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

import argparse
import concurrent.futures
import logging
import os
import re
import sys
import time
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence, TypeVar
from urllib.parse import urlsplit, urlunsplit

import attrs
import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from .collection import Collection
    from .connection import Connection
    from .model import Model
    from .resources import Annotation, Connector, Neuron, Volume

log = logging.getLogger("neuromodels")
MT = TypeVar("MT", bound="Model")

MARKER_PREFIX = "copied from "
_MARKER = re.compile(r"^copied from (?P<source>\S+)#(?P<kind>[a-z_]+)/(?P<id>\S+)$")
#: The Clio property that carries the marker.
CLIO_MARKER = "copied_from"
#: NeuroMorpho.org fields that become CATMAID annotations ("species: rat").
NEUROMORPHO_FIELDS = ("species", "brain_region", "cell_type", "archive")
#: Neurons per step: loaded from the source while the previous step is saved on the target.
CHUNK = 50


# -- what a copy knows about its source ----------------------------------------------------------
@attrs.frozen
class Origin:
    """Where a copy came from: the source (URL, project/dataset, version), the kind and the id."""

    source: str
    kind: str
    id: Any

    @property
    def marker(self) -> str:
        """The text written on the target that recognises this copy later."""
        return f"{MARKER_PREFIX}{self.source}#{self.kind}/{self.id}"

    @classmethod
    def parse(cls, text: Any) -> "Origin | None":
        """The origin a marker names (ids come back as strings), or None for other text."""
        match = _MARKER.match(text) if isinstance(text, str) else None
        return cls(match["source"], match["kind"], match["id"]) if match else None


def source_name(conn: "Connection") -> str:
    """The source part of a marker: URL without credentials, then ``/project`` and ``@version``."""
    parts = urlsplit(conn.url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    key = urlunsplit(parts._replace(netloc=netloc, query="", fragment="")).rstrip("/")
    if conn.project is not None:
        key += f"/{conn.project}"
    version = conn.options.get("version")
    if version:
        key += f"@{version}"
    return key.replace(" ", "%20")


# -- coordinates -------------------------------------------------------------------------------------
@attrs.frozen
class Transform:
    """``xyz * scale + offset`` (scale and offset: a number or one per axis).

    A scalar scale also scales node radii. Any function from an N×3 array to an N×3 array
    works as a transform too (radii then stay as they are).

    >>> Transform(scale=(1, 1, 2), offset=(10, 0, 0))([[1.0, 1.0, 1.0]]).tolist()
    [[11.0, 1.0, 2.0]]
    """

    scale: Any = 1.0
    offset: Any = 0.0

    def __call__(self, xyz: Any) -> np.ndarray:
        result: np.ndarray = np.asarray(xyz, dtype=float) * np.asarray(self.scale, dtype=float) + np.asarray(self.offset, dtype=float)
        return result

    @property
    def radius_scale(self) -> float | None:
        return abs(float(self.scale)) if np.ndim(self.scale) == 0 else None


def as_transform(value: Any) -> Callable[[np.ndarray], np.ndarray] | None:
    """None, a :class:`Transform`, a function, a number (scale) or ``{"scale": .., "offset": ..}``."""
    if value is None or isinstance(value, Transform):
        return value
    if isinstance(value, Mapping):
        unknown = set(value) - {"scale", "offset"}
        if unknown:
            raise ValueError(f"a transform mapping has scale and offset, not {', '.join(sorted(unknown))}")
        return Transform(**value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Transform(scale=value)
    if callable(value):
        return value  # type: ignore[no-any-return]
    raise TypeError(f"transform must be a Transform, a function of an N×3 array, a number or a mapping, not {value!r}")


def _apply(transform: Callable[[np.ndarray], np.ndarray] | None, xyz: np.ndarray) -> np.ndarray:
    if transform is None or len(xyz) == 0:
        return np.asarray(xyz, dtype=float)
    out = np.asarray(transform(np.asarray(xyz, dtype=float)), dtype=float)
    if out.shape != np.shape(xyz):
        raise ValueError(f"the transform returned shape {out.shape} for input of shape {np.shape(xyz)}")
    if not np.isfinite(out).all():
        raise ValueError("the transform produced non-finite coordinates")
    return out


def _transform_geometry(transform: Callable[[np.ndarray], np.ndarray] | None, geometry: Any) -> Any:
    if transform is None:
        return geometry
    import shapely

    def flat(xy: np.ndarray) -> np.ndarray:
        xyz = np.column_stack([xy, np.zeros(len(xy))])
        return _apply(transform, xyz)[:, :2]

    return shapely.transform(geometry, flat)


# -- the report ------------------------------------------------------------------------------------
@attrs.define
class CopyReport:
    """What a copy did (or, with ``dry_run=True``, would do)."""

    source: str
    target: str
    kind: str
    dry_run: bool = False
    created: list[Origin] = attrs.field(factory=list)
    existing: list[Origin] = attrs.field(factory=list)
    #: Copies found on the target that an interruption had left incomplete, now completed.
    completed: list[Origin] = attrs.field(factory=list)
    failed: list[tuple[Origin, BaseException]] = attrs.field(factory=list)
    connectors_created: int = 0
    connectors_existing: int = 0
    #: Connectors of the source neurons left out: linked to fewer than two copied neurons.
    connectors_skipped: int = 0
    missing_terms: list[str] = attrs.field(factory=list)
    created_terms: list[str] = attrs.field(factory=list)
    seconds: float = 0.0

    def __str__(self) -> str:
        verb = "would create" if self.dry_run else "created"
        parts = [f"{verb} {len(self.created)}", f"{len(self.existing)} already there"]
        if self.completed:
            parts.append(f"{len(self.completed)} completed")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        if self.connectors_created or self.connectors_existing:
            parts.append(f"connectors: {verb} {self.connectors_created}, {self.connectors_existing} already there")
        if self.missing_terms:
            parts.append(f"terms missing on the target: {', '.join(self.missing_terms)}")
        if self.created_terms:
            parts.append(f"terms {verb}: {', '.join(self.created_terms)}")
        return (f"copy of {self.kind}s from {self.source} to {self.target}: " + ", ".join(parts)
                + f" ({self.seconds:.2f} s)")


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
        from .resources import COLLECTIONS

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


# -- the engine -------------------------------------------------------------------------------------------
@attrs.define
class _Job:
    source: "Connection"
    target: "Connection"
    key: str
    report: CopyReport
    transform: Callable[[np.ndarray], np.ndarray] | None
    dry_run: bool
    options: dict[str, Any]

    def progress(self, total: int, desc: str) -> Any:
        from tqdm.auto import tqdm

        flag = self.target.progress
        return tqdm(total=total, desc=desc, unit="item", disable=None if flag is None else not flag, leave=False)


def _origin(job: _Job, kind: str, model: "Model") -> Origin:
    if model.id is None:
        raise ValueError(f"a {kind} without an id has no source to copy from; save it first")
    return Origin(job.key, kind, model.id)


def _mark(model: MT, origin: Origin) -> MT:
    object.__setattr__(model, "_copied_from", origin)  # models refuse unknown attributes; this is a field
    return model


_REASONS = {
    ("Neuron", "cytomine"): "Cytomine holds image annotations, not neuron reconstructions",
    ("Neuron", "clio"): "Clio holds body annotations, not skeletons",
    ("Neuron", "neuromorpho"): "NeuroMorpho.org is read-only",
    ("Annotation", "neuromorpho"): "NeuroMorpho.org is read-only",
    ("Volume", "neuromorpho"): "NeuroMorpho.org is read-only",
}


def _route(model: type, source: "Connection", target: "Connection") -> Callable[[list[Any], _Job], list[Any]]:
    name, src, tgt = model.__name__, source.backend.name, target.backend.name
    routes: dict[tuple[str, str, str], Callable[[list[Any], _Job], list[Any]]] = {
        ("Neuron", "neuromorpho", "catmaid"): _copy_neurons,
        ("Neuron", "catmaid", "catmaid"): _copy_neurons,
        ("Volume", "catmaid", "catmaid"): _copy_volumes,
        ("Annotation", "cytomine", "cytomine"): _copy_cytomine_annotations,
        ("Annotation", "clio", "clio"): _copy_clio_annotations,
    }
    route = routes.get((name, src, tgt))
    if route is not None:
        return route
    from .errors import NotFound, NotSupported

    reason = _REASONS.get((name, tgt))
    if reason is None and name == "Annotation" and src == tgt == "catmaid":
        reason = "CATMAID annotations travel with the neurons they annotate: copy the neurons"
    if reason is None and name == "Connector":
        reason = "connectors travel with the neurons they link: copy the neurons"
    if reason is None and src != tgt:
        reason = f"{src} {name.lower()}s and {tgt} {name.lower()}s do not map onto each other"
    if reason is None:
        reason = f"there is nothing of this kind to copy between {src} servers"
    supported = ", ".join(f"{k[1]}->{k[2]} {k[0].lower()}s" for k in routes)
    raise NotSupported(f"copying {name.lower()}s from {src} to {tgt} is not supported: {reason} "
                       f"(supported: {supported})")


def _check_copy_options(options: Mapping[str, Any]) -> None:
    """A misspelt option of copy_to is a TypeError naming the close ones, like every option."""
    import inspect

    from .backends.resource import did_you_mean

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

    Interrupted (Ctrl-C, server down), call it again: it finds what is there by the markers
    and creates only the rest.
    """
    from .collection import Collection
    from .connection import Connection
    from .errors import NoConnection, PartialSaveError
    from .resources import COLLECTIONS

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
    models = list(items)
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
    if not models and isinstance(items, Collection) and items.modifiers:
        # A query not run yet: run it on the source (neurons without nodes: those are loaded
        # only for what is missing on the target).
        options = {"nodes": False} if model.__name__ == "Neuron" else {}
        models = list(items.fetch(connection=src, **options))
    key = source_key or source_name(src)
    report = CopyReport(source=key, target=source_name(target), kind=model.__name__.lower(), dry_run=dry_run)
    job = _Job(src, target, key, report, as_transform(transform), dry_run,
               {"image": image, "create_terms": create_terms,
                "connectors": "between" if connectors is True else connectors, "chunk": chunk_size})
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


def _save(job: _Job, collection_class: type, models: Sequence["Model"], origins: Sequence[Origin]) -> list[bool]:
    """Save models on the target in one collection save; per model whether it is stored.
    Per-item refusals are recorded as failures; a server that stops answering stops the copy."""
    from .errors import PartialSaveError, ServerUnavailable

    if not models:
        return []
    batch = collection_class(list(models))
    try:
        batch.save(connection=job.target)
        return [True] * len(models)
    except PartialSaveError as e:
        if e.unknown or any(isinstance(err, ServerUnavailable) for _, err in e.failed):
            raise  # the target is in trouble: stop here; a second run resumes
        stored = {id(m) for m in e.saved}
        errors = {id(m): err for m, err in e.failed}
        for m, origin in zip(models, origins):
            if id(m) in errors:
                job.report.failed.append((origin, errors[id(m)]))
        return [id(m) in stored for m in models]


# -- neurons (NeuroMorpho or CATMAID -> CATMAID) ----------------------------------------------------------
def _neuron_name(neuron: "Neuron") -> str:
    name = (neuron.name or f"neuron {neuron.id}").replace("|", "/").strip() or f"neuron {neuron.id}"
    return name[:255]


def _label(text: str) -> str:
    return text[:255]


def _neuromorpho_annotations(neuron: "Neuron") -> list[str]:
    names = [f"neuromorpho id: {neuron.id}"]
    if neuron.name:
        names.append(_label(f"neuromorpho name: {neuron.name}"))
    for field in NEUROMORPHO_FIELDS:
        value = neuron.extra.get(field)
        for v in value if isinstance(value, list) else [value]:
            if v not in (None, ""):
                names.append(_label(f"{field.replace('_', ' ')}: {v}"))
    return names


def _copy_nodes(job: _Job, nodes: "pd.DataFrame") -> "pd.DataFrame":
    columns = [c for c in ("node_id", "parent_id", "x", "y", "z", "radius", "type", "confidence") if c in nodes]
    table = nodes[columns].copy().reset_index(drop=True)
    xyz = _apply(job.transform, table[["x", "y", "z"]].to_numpy(dtype=float))
    table["x"], table["y"], table["z"] = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    scale = getattr(job.transform, "radius_scale", None)
    if scale is not None and "radius" in table:
        radius = table["radius"].to_numpy(dtype=float)
        table["radius"] = np.where(radius > 0, radius * scale, radius)
    return table


def _build_neuron(job: _Job, neuron: "Neuron", origin: Origin) -> "Neuron":
    from .resources import Neuron

    if neuron.nodes is None or len(neuron.nodes) == 0:
        raise ValueError(f"neuron {neuron.id} has no nodes to copy")
    annotations = list(neuron.annotations or [])
    if job.source.backend.name == "neuromorpho":
        annotations += _neuromorpho_annotations(neuron)
    annotations = [a for a in annotations if a != "Import"]  # CATMAID's mark of an import without annotations
    annotations += [_label(f"{MARKER_PREFIX}{job.key}"), origin.marker]
    tags = {t: [int(n) for n in ids] for t, ids in (neuron.tags or {}).items()} or None
    copy = Neuron(name=_neuron_name(neuron), nodes=_copy_nodes(job, neuron.nodes),
                  tags=tags, annotations=sorted(dict.fromkeys(annotations)))
    job.target.backend.resource(Neuron).validate(copy, "create")
    return copy


def _existing_neurons(job: _Job) -> dict[str, "Neuron"]:
    """Source id -> the copy already on the target, by the markers (one query)."""
    from .errors import NotFound
    from .resources import NeuronCollection

    found: dict[str, Neuron] = {}
    try:
        marked = NeuronCollection(annotation=_label(f"{MARKER_PREFIX}{job.key}")).fetch(nodes=False, connection=job.target)
    except NotFound:  # no marker annotation yet: nothing was copied before
        marked = NeuronCollection()
    for neuron in marked:
        for text in neuron.annotations or []:
            origin = Origin.parse(text)
            if origin is not None and origin.source == job.key and origin.kind == "neuron":
                earlier = found.get(origin.id)
                if earlier is not None:
                    log.warning("two copies of %s on the target (%s, %s); using the first", origin.marker, earlier.id, neuron.id)
                    if earlier.id < neuron.id:
                        continue
                found[origin.id] = neuron
    return found


def _load_nodes(job: _Job, neurons: list["Neuron"]) -> list[BaseException | None]:
    """Nodes for neurons that lack them, from the source: one bulk step, and one at a time
    only when the bulk step fails (so one missing file does not sink the rest)."""
    from .resources import NeuronCollection

    missing = [n for n in neurons if n.nodes is None]
    if not missing:
        return [None] * len(neurons)
    try:
        NeuronCollection(missing).load_nodes(connection=job.source)
        return [None] * len(neurons)
    except Exception:  # noqa: BLE001 - find which ones
        errors: dict[int, BaseException] = {}
        workers = max(1, job.source.max_workers)
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            futures = {id(n): pool.submit(NeuronCollection([n]).load_nodes, connection=job.source) for n in missing if n.nodes is None}
            for n in missing:
                future = futures.get(id(n))
                if future is not None and future.exception() is not None:
                    errors[id(n)] = future.exception()  # type: ignore[assignment]
        return [errors.get(id(n)) for n in neurons]


def _match_nodes(source_xyz: np.ndarray, source_ids: np.ndarray, target: "pd.DataFrame") -> dict[int, int]:
    """Source node id -> target node id by position (copies keep positions, not ids)."""
    target_xyz = target[["x", "y", "z"]].to_numpy(dtype=float)
    target_ids = target["node_id"].to_numpy()
    index = {tuple(np.round(p, 2)): int(i) for p, i in zip(target_xyz, target_ids)}
    result: dict[int, int] = {}
    for p, i in zip(source_xyz, source_ids):
        hit = index.get(tuple(np.round(p, 2)))
        if hit is None and len(target_xyz):
            d = np.abs(target_xyz - p).max(axis=1)
            k = int(np.argmin(d))
            if d[k] <= max(1e-3, 1e-5 * float(np.abs(p).max())):
                hit = int(target_ids[k])
        if hit is not None:
            result[int(i)] = hit
    return result


def _copy_neurons(models: list["Neuron"], job: _Job) -> list["Neuron"]:
    from .resources import Neuron, NeuronCollection

    report = job.report
    origins = [_origin(job, "neuron", n) for n in models]
    existing = _existing_neurons(job)
    copies: list[Neuron | None] = [None] * len(models)
    todo: list[int] = []
    for i, origin in enumerate(origins):
        found = existing.get(str(origin.id))
        if found is not None:
            copies[i] = _mark(found, origin)
            report.existing.append(origin)
        else:
            todo.append(i)
    if job.dry_run:
        for i in todo:
            n = models[i]
            copies[i] = _mark(Neuron(name=_neuron_name(n), annotations=[origins[i].marker]), origins[i])
            report.created.append(origins[i])
        return [c for c in copies if c is not None]

    from_catmaid = job.source.backend.name == "catmaid"
    node_maps: dict[int, dict[int, int]] = {}  # source skeleton -> source node -> target node
    loaded_here = {i for i in todo if models[i].nodes is None}  # ours to drop once copied
    size = job.options["chunk"]
    steps = [todo[k : k + size] for k in range(0, len(todo), size)]
    bar = job.progress(len(todo), "copying neurons")
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as loader:
            # The next step's nodes download while this step saves on the target.
            pending = loader.submit(_load_nodes, job, [models[i] for i in steps[0]]) if steps else None
            for s, step in enumerate(steps):
                assert pending is not None
                errors = pending.result()
                pending = loader.submit(_load_nodes, job, [models[i] for i in steps[s + 1]]) if s + 1 < len(steps) else None
                built: list[tuple[int, Neuron]] = []
                for i, error in zip(step, errors):
                    if error is not None:
                        report.failed.append((origins[i], error))
                        continue
                    try:
                        built.append((i, _build_neuron(job, models[i], origins[i])))
                    except (ValueError, TypeError) as e:
                        report.failed.append((origins[i], e))
                stored = _save(job, NeuronCollection, [c for _, c in built], [origins[i] for i, _ in built])
                for (i, copy), ok in zip(built, stored):
                    if ok:
                        copies[i] = _mark(copy, origins[i])
                        report.created.append(origins[i])
                        src_nodes = models[i].nodes
                        assert src_nodes is not None and copy.nodes is not None
                        if from_catmaid:  # (the import kept the row order: node ids pair up)
                            node_maps[models[i].id] = dict(zip(src_nodes["node_id"].astype(int).tolist(),
                                                               copy.nodes["node_id"].astype(int).tolist()))
                bar.update(len(step))
                # Nodes this copy downloaded are not needed once copied (200 neurons add up);
                # those the caller had loaded stay.
                if not from_catmaid:
                    for i in step:
                        if copies[i] is not None and i in loaded_here:
                            models[i].nodes = None
    finally:
        bar.close()
    if from_catmaid:
        _complete_catmaid_copies(job, models, copies, origins, node_maps)
    return [c for c in copies if c is not None]


def _complete_catmaid_copies(job: _Job, models: list["Neuron"], copies: list["Neuron | None"],
                             origins: list[Origin], node_maps: dict[int, dict[int, int]]) -> None:
    """Copies found on the target get their node map (by position) and any tags an
    interruption kept from them; then the connectors between the copied neurons."""
    from .resources import Neuron, NeuronCollection

    found = [i for i, c in enumerate(copies) if c is not None and models[i].id not in node_maps]
    want_connectors = job.options["connectors"] in ("between", "any")
    if found and (want_connectors or any(models[i].tags for i in found)):
        _load_nodes(job, [models[i] for i in found])
        loaded = NeuronCollection(ids=[copies[i].id for i in found]).fetch(connection=job.target)  # type: ignore[union-attr]
        repairs: list[Neuron] = []
        repaired: list[Origin] = []
        for i, fresh in zip(found, loaded):
            copy = copies[i]
            assert copy is not None and fresh.nodes is not None and models[i].nodes is not None
            copy.nodes, copy.connectors, copy.tags = fresh.nodes, fresh.connectors, fresh.tags
            copy.neuron_id = fresh.neuron_id
            copy.mark_clean()
            src = models[i].nodes
            assert src is not None
            mapping = _match_nodes(_apply(job.transform, src[["x", "y", "z"]].to_numpy(dtype=float)),
                                   src["node_id"].to_numpy(), fresh.nodes)
            node_maps[models[i].id] = mapping
            wanted = {t: sorted({mapping[int(n)] for n in ids if int(n) in mapping}) for t, ids in (models[i].tags or {}).items()}
            have = {t: sorted(ids) for t, ids in (copy.tags or {}).items()}
            merged = dict(have)
            for t, ids in wanted.items():
                merged[t] = sorted(set(have.get(t, [])) | set(ids))
            if merged != have:
                copy.tags = merged
                repairs.append(copy)
                repaired.append(origins[i])
        if repairs:
            _save(job, NeuronCollection, repairs, repaired)
            job.report.completed.extend(repaired)
    if want_connectors:
        _copy_connectors(job, models, copies, node_maps)


def _copy_connectors(job: _Job, models: list["Neuron"], copies: list["Neuron | None"],
                     node_maps: dict[int, dict[int, int]]) -> None:
    from .resources import Connector, ConnectorCollection, Link

    report = job.report
    copied = {models[i].id: c.id for i, c in enumerate(copies) if c is not None and models[i].id in node_maps}
    if not copied:
        return
    source_connectors = ConnectorCollection(neuron=sorted(copied)).fetch(connection=job.source)
    need = 2 if job.options["connectors"] == "between" else 1
    planned: list[tuple[Connector, np.ndarray]] = []
    for c in source_connectors:
        links = []
        for link in c.links or []:
            if link.skeleton_id is None or link.skeleton_id not in copied:
                continue
            node = node_maps.get(link.skeleton_id, {}).get(link.node_id)
            if node is not None:
                links.append(Link(node_id=node, relation=link.relation, skeleton_id=copied[link.skeleton_id],
                                  confidence=link.confidence))
        if len({l.skeleton_id for l in links}) < need:
            report.connectors_skipped += 1
            continue
        xyz = _apply(job.transform, np.array([[c.x, c.y, c.z]], dtype=float))[0]
        planned.append((Connector(x=float(xyz[0]), y=float(xyz[1]), z=float(xyz[2]), confidence=c.confidence,
                                  links=links), xyz))
    there = ConnectorCollection(neuron=sorted(copied.values())).fetch(connection=job.target)
    by_position: dict[tuple[float, ...], list[Connector]] = {}
    for t in there:
        by_position.setdefault(tuple(np.round([t.x, t.y, t.z], 2)), []).append(t)
    new: list[Connector] = []
    fix: list[Connector] = []
    for connector, xyz in planned:
        candidates = by_position.get(tuple(np.round(xyz, 2)), [])
        wanted = {(l.node_id, l.relation) for l in connector.links or []}
        best = max(candidates, key=lambda t: len(wanted & {(l.node_id, l.relation) for l in t.links or []}), default=None)
        if best is None or not wanted & {(l.node_id, l.relation) for l in best.links or []}:
            new.append(connector)
            continue
        candidates.remove(best)
        report.connectors_existing += 1
        have = {(l.node_id, l.relation) for l in best.links or []}
        if not wanted <= have:
            best.links = list(best.links or []) + [l for l in connector.links or [] if (l.node_id, l.relation) not in have]
            fix.append(best)
    if new:
        ConnectorCollection(new).save(connection=job.target)
        report.connectors_created += len(new)
    if fix:
        ConnectorCollection(fix).save(connection=job.target)


# -- volumes (CATMAID -> CATMAID) ----------------------------------------------------------------------------------
def _copy_volumes(models: list["Volume"], job: _Job) -> list["Volume"]:
    from .resources import Volume, VolumeCollection

    report = job.report
    origins = [_origin(job, "volume", v) for v in models]
    existing: dict[str, Volume] = {}
    for v in VolumeCollection().fetch(connection=job.target):
        for line in (v.comment or "").splitlines():
            origin = Origin.parse(line.strip())
            if origin is not None and origin.source == job.key and origin.kind == "volume":
                existing.setdefault(origin.id, v)
    copies: list[Volume | None] = [None] * len(models)
    todo = []
    for i, origin in enumerate(origins):
        if str(origin.id) in existing:
            copies[i] = _mark(existing[str(origin.id)], origin)
            report.existing.append(origin)
        else:
            todo.append(i)
    if job.dry_run:
        for i in todo:
            copies[i] = _mark(Volume(name=models[i].name), origins[i])
            report.created.append(origins[i])
        return [c for c in copies if c is not None]
    need_mesh = [models[i] for i in todo if models[i].vertices is None or models[i].faces is None]
    with concurrent.futures.ThreadPoolExecutor(max(1, job.source.max_workers)) as pool:
        list(pool.map(lambda v: v.fetch(connection=job.source), need_mesh))
    built = []
    for i in todo:
        v = models[i]
        comment = (v.comment.rstrip() + "\n" if v.comment else "") + origins[i].marker
        built.append((i, Volume(name=v.name, comment=comment, vertices=_apply(job.transform, np.asarray(v.vertices, dtype=float)),
                                faces=np.asarray(v.faces))))
    stored = _save(job, VolumeCollection, [c for _, c in built], [origins[i] for i, _ in built])
    for (i, copy), ok in zip(built, stored):
        if ok:
            copies[i] = _mark(copy, origins[i])
            report.created.append(origins[i])
    return [c for c in copies if c is not None]


# -- Cytomine annotations -------------------------------------------------------------------------------------------
def _geometry_key(geometry: Any) -> str:
    import shapely

    return str(shapely.to_wkt(shapely.normalize(geometry), rounding_precision=2, trim=True))


def _copy_cytomine_annotations(models: list["Annotation"], job: _Job) -> list["Annotation"]:
    from .resources import Annotation, AnnotationCollection, ImageInstance, Project, Term, TermCollection

    report = job.report
    image = job.options["image"]
    if image is None:
        raise ValueError("say onto which image of the target the annotations go: image=<image id> "
                         "(or a dict source image id -> target image id)")
    images = dict(image) if isinstance(image, Mapping) else None
    origins = [_origin(job, "annotation", a) for a in models]
    for a in models:
        if a.geometry is None:
            a.fetch(connection=job.source)

    def target_image(a: Annotation) -> int:
        if images is None:
            return int(image)
        if a.image not in images:
            raise ValueError(f"image= has no target image for source image {a.image}")
        return int(images[a.image])

    # Terms: source ids -> names -> target ids (by name, in the target project's ontology).
    wanted_images = sorted({target_image(a) for a in models})
    target_projects: dict[int, Any] = {i: ImageInstance(id=i).fetch(connection=job.target).project
                       for i in wanted_images}
    target_terms: dict[Any, dict[str, int]] = {}
    ontologies: dict[Any, Any] = {}
    for project in set(target_projects.values()):
        ontology = Project().fetch(project, connection=job.target).ontology
        ontologies[project] = ontology
        vocabulary = TermCollection(ontology=ontology).fetch(connection=job.target) if ontology is not None else []
        target_terms[project] = {str(term.name): term.id for term in vocabulary}
    source_ids = sorted({t for a in models for t in a.terms or []})
    source_terms: dict[int, Any] = {}
    if source_ids:
        for project in sorted({a.project for a in models if a.project is not None}):
            for term in TermCollection(project=project).fetch(connection=job.source):
                source_terms[term.id] = term
        for term_id in source_ids:
            if term_id not in source_terms:
                source_terms[term_id] = Term(id=term_id).fetch(connection=job.source)
    for project, names in target_terms.items():
        missing = sorted({source_terms[t].name for t in source_ids} - set(names))
        if not missing:
            continue
        if job.options["create_terms"] and ontologies[project] is not None:
            new = [Term(name=n, ontology=ontologies[project],
                        color=next((s.color for s in source_terms.values() if s.name == n), None) or "#9E9E9E")
                   for n in missing]
            if not job.dry_run:
                TermCollection(new).save(connection=job.target)
                names.update({str(term.name): term.id for term in new})
            report.created_terms.extend(n for n in missing if n not in report.created_terms)
        else:
            report.missing_terms.extend(n for n in missing if n not in report.missing_terms)

    # What is there: the target images' annotations, by geometry.
    there: dict[tuple[int, str], list[Annotation]] = {}
    for i in wanted_images:
        for held in AnnotationCollection(image=i).fetch(connection=job.target):
            if held.geometry is not None:
                there.setdefault((i, _geometry_key(held.geometry)), []).append(held)
    copies: list[Annotation | None] = [None] * len(models)
    new_copies: list[tuple[int, Annotation]] = []
    fixes: list[Annotation] = []
    fixed: list[Origin] = []
    for k, (a, origin) in enumerate(zip(models, origins)):
        img = target_image(a)
        project = target_projects[img]
        geometry = _transform_geometry(job.transform, a.geometry)
        terms: list[int] = sorted({target_terms[project][source_terms[t].name] for t in a.terms or []
                                   if source_terms[t].name in target_terms[project]})
        hits = there.get((img, _geometry_key(geometry)))
        if hits:
            found = hits.pop(0)
            report.existing.append(origin)
            if not set(terms) <= set(found.terms or []):
                found.terms = sorted(set(found.terms or []) | set(terms))
                fixes.append(found)
                fixed.append(origin)
            copies[k] = _mark(found, origin)
        else:
            new_copies.append((k, Annotation(geometry=geometry, image=img, project=project, terms=terms)))
    if job.dry_run:
        for k, copy in new_copies:
            copies[k] = _mark(copy, origins[k])
            report.created.append(origins[k])
        return [c for c in copies if c is not None]
    if fixes:
        _save(job, AnnotationCollection, fixes, fixed)
        report.completed.extend(fixed)
    stored = _save(job, AnnotationCollection, [c for _, c in new_copies], [origins[k] for k, _ in new_copies])
    for (k, copy), ok in zip(new_copies, stored):
        if ok:
            copies[k] = _mark(copy, origins[k])
            report.created.append(origins[k])
    return [c for c in copies if c is not None]


# -- Clio body annotations -----------------------------------------------------------------------------------------
def _is_point(key: str, value: Any) -> bool:
    return (("position" in key or "location" in key) and isinstance(value, (list, tuple)) and len(value) == 3
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value))


def _clio_properties(job: _Job, a: "Annotation", origin: Origin) -> dict[str, Any]:
    props = dict(a.properties or {})
    props.pop("bodyid", None)
    if job.transform is not None:
        for key, value in list(props.items()):
            if _is_point(key, value):
                moved = _apply(job.transform, np.array([value], dtype=float))[0]
                props[key] = [int(round(v)) if all(isinstance(x, int) for x in value) else float(v)
                              for v, x in zip(moved, value)]
    props[CLIO_MARKER] = origin.marker
    return props


def _copy_clio_annotations(models: list["Annotation"], job: _Job) -> list["Annotation"]:
    from .errors import NotFound
    from .resources import Annotation, AnnotationCollection

    report = job.report
    origins = [_origin(job, "annotation", a) for a in models]
    bodies = list(dict.fromkeys(int(a.id) for a in models))
    there: dict[int, Annotation] = {}
    ids = bodies
    while ids:
        try:
            there = {t.id: t for t in AnnotationCollection(ids=ids).fetch(connection=job.target)}
            break
        except NotFound as e:
            gone = set(e.missing or [])
            if not gone:
                raise
            ids = [i for i in ids if i not in gone]
    copies: list[Annotation] = []
    writes: list[Annotation] = []
    written: list[Origin] = []
    for a, origin in zip(models, origins):
        props = _clio_properties(job, a, origin)
        found = there.get(int(a.id))
        if found is not None and all(found.properties is not None and found.properties.get(k) == v for k, v in props.items()):
            report.existing.append(origin)
            copies.append(_mark(found, origin))
            continue
        copy = Annotation(id=int(a.id), properties=props)
        if found is not None:
            # Writes merge field by field: start from what the target holds.
            copy = found
            copy.properties = {**(found.properties or {}), **props}
        writes.append(copy)
        written.append(origin)
        copies.append(_mark(copy, origin))
    if job.dry_run:
        report.created.extend(written)
        return copies
    stored = _save(job, AnnotationCollection, writes, written)
    report.created.extend(o for o, ok in zip(written, stored) if ok)
    return copies


# -- the command line ------------------------------------------------------------------------------------------------
_ENV_FIELDS = {"URL": "url", "BACKEND": "backend", "PROJECT": "project", "TOKEN": "token",
               "PUBLIC_KEY": "public_key", "PRIVATE_KEY": "private_key", "HTTP_USER": "http_user",
               "HTTP_PASSWORD": "http_password"}


def connection_from_name(name: str, environ: Mapping[str, str] | None = None) -> "Connection":
    """A connection named on the command line: ``env`` (``Connection.from_env()``),
    ``env:PREFIX`` (``PREFIX_URL``, ``PREFIX_BACKEND``, ``PREFIX_PROJECT``, ``PREFIX_TOKEN``,
    ``PREFIX_PUBLIC_KEY``, ``PREFIX_PRIVATE_KEY``, ``PREFIX_HTTP_USER``, ``PREFIX_HTTP_PASSWORD``),
    or a profile name (``Connection.from_profile``, where this version has profiles).

    >>> env = {"SRC_URL": "catmaid+http://127.0.0.1:8000", "SRC_PROJECT": "1", "SRC_TOKEN": "t"}
    >>> connection_from_name("env:SRC", env)
    <Connection catmaid http://127.0.0.1:8000 project=1>
    """
    from .connection import Connection

    if name == "env" and environ is None:
        return Connection.from_env()  # (also pymaid's CATMAID_* variables)
    env = os.environ if environ is None else environ
    prefix = "NEUROMODELS" if name == "env" else (name[4:] if name.startswith("env:") else None)
    if prefix is not None:
        prefix = prefix.rstrip("_")
        kwargs: dict[str, Any] = {}
        for suffix, key in _ENV_FIELDS.items():
            value = env.get(f"{prefix}_{suffix}")
            if value:
                kwargs[key] = value
        if "url" not in kwargs:
            raise ValueError(f"{prefix}_URL is not set (naming {name!r})")
        project = kwargs.get("project")
        if isinstance(project, str) and project.lstrip("-").isdigit():
            kwargs["project"] = int(project)
        return Connection(kwargs.pop("url"), **kwargs)
    from_profile = getattr(Connection, "from_profile", None)
    if from_profile is None:
        raise ValueError(f"{name!r} is not env or env:PREFIX, and this version of neuromodels has no profiles")
    return from_profile(name)  # type: ignore[no-any-return]


_KINDS = {"neuron": "NeuronCollection", "neurons": "NeuronCollection", "volume": "VolumeCollection",
          "volumes": "VolumeCollection", "annotation": "AnnotationCollection", "annotations": "AnnotationCollection"}


def _value(text: str) -> Any:
    if "," in text:
        return [_value(t) for t in text.split(",") if t]
    return int(text) if text.lstrip("-").isdigit() else text


def cli_copy(argv: list[str]) -> int:
    """``neuromodels copy SOURCE TARGET KIND [filter=value ...] [--dry-run]``: copy what the
    filters select from SOURCE to TARGET, print the report; 0 when everything is there, 1 when
    some items failed, 2 for a usage error. SOURCE/TARGET: ``env``, ``env:PREFIX`` or a profile.

    >>> import os
    >>> from neuromodels.testing import serve
    >>> nmo, lab = serve("neuromorpho").start(), serve("catmaid").start()
    >>> os.environ.update(SRC_URL=f"neuromorpho+{nmo.url}", DST_URL=f"catmaid+{lab.url}",
    ...                   DST_PROJECT=str(lab.project), DST_TOKEN=lab.token)
    >>> cli_copy(["env:SRC", "env:DST", "neuron", "species=rat", "--scale", "1000", "--dry-run"])
    copy of neurons from http://127.0.0.1:... to http://127.0.0.1:.../1: would create 7, 0 already there (... s)
    neuron 1001 -> (new)
    ...
    0
    >>> for name in ("SRC_URL", "DST_URL", "DST_PROJECT", "DST_TOKEN"):
    ...     del os.environ[name]
    >>> nmo.stop(); lab.stop()
    """
    from . import resources
    from .errors import NeuromodelsError, PartialSaveError

    parser = argparse.ArgumentParser(prog="neuromodels copy", description="copy models between two servers")
    parser.add_argument("source", help="env, env:PREFIX (PREFIX_URL, PREFIX_TOKEN ...) or a profile name")
    parser.add_argument("target", help="env, env:PREFIX or a profile name")
    parser.add_argument("kind", choices=sorted(_KINDS), help="what to copy")
    parser.add_argument("filters", nargs="*", help="source filters as key=value (comma-separated values: a list)")
    parser.add_argument("--dry-run", action="store_true", help="only report what would be created")
    parser.add_argument("--scale", type=float, default=None, help="multiply coordinates by this")
    parser.add_argument("--offset", default=None, help="then add X,Y,Z")
    parser.add_argument("--image", type=int, default=None, help="Cytomine: the target image id")
    parser.add_argument("--create-terms", action="store_true", help="Cytomine: create terms missing on the target")
    parser.add_argument("--no-connectors", action="store_true", help="CATMAID: copy no connectors")
    parser.add_argument("--source-key", default=None, help="the source's name in the markers")
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0) if e.code in (0, None) else 2
    modifiers: dict[str, Any] = {}
    for item in args.filters:
        key, sep, text = item.partition("=")
        if not sep or not key:
            print(f"neuromodels copy: a filter is key=value, not {item!r}", file=sys.stderr)
            return 2
        modifiers[key] = _value(text)
    transform = None
    if args.scale is not None or args.offset is not None:
        offset: Any = 0.0
        if args.offset is not None:
            offset = [float(v) for v in args.offset.split(",")]
            if len(offset) not in (1, 3):
                print("neuromodels copy: --offset is X,Y,Z", file=sys.stderr)
                return 2
        transform = Transform(scale=1.0 if args.scale is None else args.scale, offset=offset)
    try:
        source = connection_from_name(args.source)
        target = connection_from_name(args.target)
        collection = getattr(resources, _KINDS[args.kind])(**modifiers)
        options = {"nodes": False} if _KINDS[args.kind] == "NeuronCollection" else {}
        collection.fetch(connection=source, **options)
        copies = collection.copy_to(target, connection=source, dry_run=args.dry_run, transform=transform,
                                    image=args.image, create_terms=args.create_terms,
                                    connectors=False if args.no_connectors else "between", source_key=args.source_key)
    except PartialSaveError as e:
        print(getattr(e, "copy_report", e))
        for origin, error in getattr(getattr(e, "copy_report", None), "failed", [])[:20]:
            print(f"  failed {origin.kind} {origin.id}: {error}", file=sys.stderr)
        return 1
    except (NeuromodelsError, ValueError, TypeError) as e:
        print(f"neuromodels copy: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    report = copies.copy_report
    print(report)
    for copy in copies:
        if copy.copied_from is not None:
            print(f"{copy.copied_from.kind} {copy.copied_from.id} -> {copy.id if copy.id is not None else '(new)'}")
    return 0
