"""Copies of neurons on CATMAID, from NeuroMorpho.org or another CATMAID (``copies_from`` of
:class:`~.neurons.CatmaidNeuron`): nodes moved by the transform, tags, annotations, and the
source's metadata as annotations; each copy remembers its origin in CATMAID's import origin
record (or a marker annotation on servers without one). Connectors between copied CATMAID
neurons follow in :mod:`.copy_connectors`."""

from __future__ import annotations

import concurrent.futures
from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from ...models import Neuron

from ...transfer.core import (
    MARKER_PREFIX, TRANSFORM_PREFIX, Origin, _Job, _apply, _mark, _origin, _save, label_of, log,
)

#: NeuroMorpho.org fields that become CATMAID annotations ("species: rat").
NEUROMORPHO_FIELDS = ("species", "brain_region", "cell_type", "archive")


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


def _origin_source(job: _Job) -> tuple[str, int]:
    """The import origin's ``source_url`` and ``source_project_id``: the marker's source name
    (URL, project, version: what ``source_key`` replaces) and the source's project id (0 where
    it has none, as NeuroMorpho.org)."""
    project = job.source.project
    return job.key, project if isinstance(project, int) and not isinstance(project, bool) else 0


def _uses_origin(job: _Job) -> bool:
    """Whether copies carry their per-neuron marker as CATMAID's import origin (decided by the
    first lookup: a server without ``skeletons/from-origin`` gets marker annotations)."""
    return bool(job.options.get("origin"))


def _build_neuron(job: _Job, neuron: "Neuron", origin: Origin,
                  source_annotations: "Callable[[Neuron], list[str]]") -> "Neuron":
    from .origins import IMPORT_ORIGIN
    from ...models import Neuron

    if neuron.nodes is None or len(neuron.nodes) == 0:
        raise ValueError(f"neuron {neuron.id} has no nodes to copy")
    annotations = list(neuron.annotations or [])
    annotations += source_annotations(neuron)
    annotations = [a for a in annotations if a != "Import"]  # CATMAID's mark of an import without annotations
    annotations.append(_label(f"{MARKER_PREFIX}{job.key}"))  # one annotation for every copy of this source
    extra = {}
    if _uses_origin(job):
        # The per-neuron marker goes with the import, in CATMAID's own origin record: no
        # annotation per copied neuron in the target's annotation list.
        url, project = _origin_source(job)
        extra[IMPORT_ORIGIN] = {"url": url, "project": project, "id": int(origin.id)}
    else:
        annotations.append(origin.marker)
    if job.transform_label != "none":
        annotations.append(_label(f"{TRANSFORM_PREFIX}{job.transform_label}"))
    tags = {t: [int(n) for n in ids] for t, ids in (neuron.tags or {}).items()} or None
    copy = Neuron(name=_neuron_name(neuron), nodes=_copy_nodes(job, neuron.nodes),
                  tags=tags, annotations=sorted(dict.fromkeys(annotations)), extra=extra)
    job.target.backend.resource(Neuron).validate(copy, "create")
    return copy


def _by_origin(job: _Job, models: list["Neuron"]) -> dict[str, int]:
    """Source id -> skeleton id of copies recorded in CATMAID's import origins; decides whether
    this copy records its markers there (a server without the route, or source ids that are not
    numbers, get marker annotations)."""
    from .origins import skeletons_from_origin
    from ...core.errors import NotFound

    ids = [n.id for n in models]
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        job.options["origin"] = False
        return {}
    url, project = _origin_source(job)
    try:
        found = skeletons_from_origin(job.target, url, project, ids)
    except NotFound:  # a CATMAID older than import origins: markers as annotations
        job.options["origin"] = False
        return {}
    job.options["origin"] = True
    return {str(k): v for k, v in found.items()}


def _existing_neurons(job: _Job, models: list["Neuron"]) -> dict[str, "Neuron"]:
    """Source id -> the copy already on the target: by CATMAID's import origins (one query per
    500 ids), and by marker annotations (copies made before origins were used: one query)."""
    from ...core.errors import NotFound
    from ...models import NeuronCollection

    found: dict[str, Neuron] = {}
    origins = _by_origin(job, models)
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
    missing = {source: skid for source, skid in origins.items() if source not in found}
    if missing:
        fetched = NeuronCollection(ids=sorted(set(missing.values()))).fetch(nodes=False, connection=job.target)
        by_id = {n.id: n for n in fetched}
        for source, skid in missing.items():
            if skid in by_id:
                found[source] = by_id[skid]
    return found


def _delete_stale(job: _Job, old: list["Neuron"]) -> None:
    """Delete copies made with another transform, and what they leave behind on the target:
    connectors that linked only them (CATMAID keeps a connector whose links are gone) and the
    ``copy transform: ...`` annotations nothing carries any more."""
    from ...core.errors import NotFound
    from ...models import AnnotationCollection, Connector, ConnectorCollection, NeuronCollection

    linked = [c.id for c in ConnectorCollection(neuron=[n.id for n in old]).fetch(connection=job.target)]
    labels = sorted({a for n in old for a in n.annotations or [] if a.startswith(TRANSFORM_PREFIX)})
    NeuronCollection(old).delete(connection=job.target)
    orphans: list[int] = []
    if linked:
        try:
            ConnectorCollection(ids=linked).fetch(connection=job.target)
        except NotFound as gone:  # CATMAID answers 404 for a connector without links
            orphans = [int(i) for i in gone.missing or []]
    if orphans:
        ConnectorCollection([Connector(id=i) for i in orphans]).delete(connection=job.target)
    for label in labels:
        try:
            unused = [a for a in AnnotationCollection(name=label).fetch(connection=job.target) if not a.targets]
        except NotFound:
            continue
        if unused:
            AnnotationCollection(unused).delete(connection=job.target)


def _load_nodes(job: _Job, neurons: list["Neuron"]) -> list[BaseException | None]:
    """Nodes for neurons that lack them, from the source: one bulk step, and one at a time
    only when the bulk step fails (so one missing file does not sink the rest)."""
    from ...models import NeuronCollection

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


def copy_from_neuromorpho(models: list["Neuron"], job: _Job) -> list["Neuron"]:
    """NeuroMorpho.org neurons as CATMAID neurons, their metadata as annotations."""
    return _copy_neurons(models, job, _neuromorpho_annotations, from_catmaid=False)


def copy_from_catmaid(models: list["Neuron"], job: _Job) -> list["Neuron"]:
    """CATMAID neurons onto another CATMAID, then their node maps and the connectors between them."""
    return _copy_neurons(models, job, lambda neuron: [], from_catmaid=True)


def _copy_neurons(models: list["Neuron"], job: _Job, source_annotations: "Callable[[Neuron], list[str]]", *,
                  from_catmaid: bool) -> list["Neuron"]:
    """``from_catmaid``: the source keeps node ids in the row order the import keeps, so node
    maps pair up and connectors can follow."""
    from ...models import Neuron, NeuronCollection
    from .copy_connectors import complete_catmaid_copies

    report = job.report
    origins = [_origin(job, "neuron", n) for n in models]
    existing = _existing_neurons(job, models)
    copies: list[Neuron | None] = [None] * len(models)
    todo: list[int] = []
    made = {i: (o, label_of(existing[str(o.id)].annotations)) for i, o in enumerate(origins) if str(o.id) in existing}
    stale = job.stale("neuron", made)
    for i, origin in enumerate(origins):
        found = existing.get(str(origin.id))
        if found is not None and i not in stale:
            copies[i] = _mark(found, origin)
            report.existing.append(origin)
        else:
            todo.append(i)
    if job.dry_run:
        for i in todo:
            n = models[i]
            copies[i] = _mark(Neuron(name=_neuron_name(n), annotations=[origins[i].marker]), origins[i])
            (report.recopied if i in stale else report.created).append(origins[i])
        return [c for c in copies if c is not None]
    if stale:  # made with another transform: update=True asked for them to be made again
        _delete_stale(job, [existing[str(origins[i].id)] for i in sorted(stale)])

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
                        built.append((i, _build_neuron(job, models[i], origins[i], source_annotations)))
                    except (ValueError, TypeError) as e:
                        report.failed.append((origins[i], e))
                stored = _save(job, NeuronCollection, [c for _, c in built], [origins[i] for i, _ in built])
                for (i, copy), ok in zip(built, stored):
                    if ok:
                        copies[i] = _mark(copy, origins[i])
                        (report.recopied if i in stale else report.created).append(origins[i])
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
        complete_catmaid_copies(job, models, copies, origins, node_maps)
    return [c for c in copies if c is not None]
