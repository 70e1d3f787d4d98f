"""Copying neurons (NeuroMorpho.org or CATMAID -> CATMAID, with their connectors) and CATMAID
volumes."""

from __future__ import annotations

import concurrent.futures
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from ..models import Neuron

from .core import (
    MARKER_PREFIX, NEUROMORPHO_FIELDS, TRANSFORM_PREFIX, Origin, _Job, _apply, _mark, _origin, _save, label_of, log,
)


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


def _build_neuron(job: _Job, neuron: "Neuron", origin: Origin) -> "Neuron":
    from ..backends.catmaid.origins import IMPORT_ORIGIN
    from ..models import Neuron

    if neuron.nodes is None or len(neuron.nodes) == 0:
        raise ValueError(f"neuron {neuron.id} has no nodes to copy")
    annotations = list(neuron.annotations or [])
    if job.source.backend.name == "neuromorpho":
        annotations += _neuromorpho_annotations(neuron)
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
    from ..backends.catmaid.origins import skeletons_from_origin
    from ..core.errors import NotFound

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
    from ..core.errors import NotFound
    from ..models import NeuronCollection

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


def _load_nodes(job: _Job, neurons: list["Neuron"]) -> list[BaseException | None]:
    """Nodes for neurons that lack them, from the source: one bulk step, and one at a time
    only when the bulk step fails (so one missing file does not sink the rest)."""
    from ..models import NeuronCollection

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
    from ..models import Neuron, NeuronCollection

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
        NeuronCollection([existing[str(origins[i].id)] for i in sorted(stale)]).delete(connection=job.target)

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
        _complete_catmaid_copies(job, models, copies, origins, node_maps)
    return [c for c in copies if c is not None]


def _complete_catmaid_copies(job: _Job, models: list["Neuron"], copies: list["Neuron | None"],
                             origins: list[Origin], node_maps: dict[int, dict[int, int]]) -> None:
    """Copies found on the target get their node map (by position) and any tags an
    interruption kept from them; then the connectors between the copied neurons."""
    from ..models import Neuron, NeuronCollection

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
    from ..models import Connector, ConnectorCollection, Link

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
