"""After CATMAID neurons are copied onto another CATMAID: copies found from an earlier run get
their node map (matched by position) and the tags an interruption kept from them, then the
connectors between the copied neurons are made, or completed where they exist."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...transfer.core import Origin, _Job, _apply, _save

if TYPE_CHECKING:
    import pandas as pd

    from ...models import Neuron


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


def complete_catmaid_copies(job: _Job, models: list["Neuron"], copies: list["Neuron | None"],
                             origins: list[Origin], node_maps: dict[int, dict[int, int]]) -> None:
    """Copies found on the target get their node map (by position) and any tags an
    interruption kept from them; then the connectors between the copied neurons."""
    from ...models import Neuron, NeuronCollection

    found = [i for i, c in enumerate(copies) if c is not None and models[i].id not in node_maps]
    want_connectors = job.options["connectors"] in ("between", "any")
    if found and (want_connectors or any(models[i].tags for i in found)):
        from .copying import _load_nodes

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
    from ...models import Connector, ConnectorCollection, Link

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
