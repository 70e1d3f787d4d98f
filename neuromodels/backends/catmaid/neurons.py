"""CATMAID skeletons as Neuron: bulk reads, imports, renames, node edits, settling, connectivity."""

from __future__ import annotations

import math
import time
from typing import Any, Callable, ClassVar, Iterator, Mapping, Sequence

import numpy as np
import requests

from ...connection import Connection
from ...core.errors import NotFound, ProtocolError
from ...formats.swc import roots
from ...models import Neuron
from ...core.backend import Filter, check_name, required
from ...core.capabilities import (
    BulkFetch, BulkUpdate, Count, Create, Delete, Errors, List, LoadNodes,
)
from ..settling import before_sending
from . import api, converter as cv, edits, finding, replies
from .api import chunks, pid
from .compact import copy_parsed, neurons_from_compact_many
from .circuits import CatmaidCircuits
from .nodequeries import CatmaidNodeQueries
from .proofreading import CatmaidProofreading
from .converter import form_list
from .provenance import CatmaidNeuronHistory
from .statistics import CatmaidNeuronStatistics

from .finding import annotation_groups
from .neuron_settling import NeuronSettling
from .origins import _by_skeleton, _origin_form
from .neuron_tables import NeuronCircuitsAndTables
from .common import INT, PAGE, _check_neuron_name, _same_frame, _ids
from ...core.paging import OffsetPaging, Page, Window, read_pages
from ...core.partitions import FieldTable, LongTable


# -- Neuron (skeleton) ------------------------------------------------------------------------------------
class CatmaidNeuron(NeuronSettling, NeuronCircuitsAndTables, BulkFetch[Neuron], List[Neuron], Count[Neuron],
                    Create[Neuron], BulkUpdate[Neuron], Delete[Neuron], LoadNodes[Neuron], CatmaidNeuronHistory,
                    CatmaidNeuronStatistics, CatmaidProofreading, CatmaidNodeQueries, CatmaidCircuits):
    #: The requests behind each operation (shown in the docs' capability tables).
    #: Listings through annotations/query-targets: rows from a position; the first page tells
    #: the total (``totalRecords``), the others are read in parallel.
    #: ``to_dask(table=...)``: every neuron's node or connector rows, its skeleton id first.
    tables = {"nodes": LongTable(FieldTable("nodes", "skeleton_id"), needs={"nodes": True}),
              "connectors": LongTable(FieldTable("connectors", "skeleton_id"), needs={"nodes": True})}
    paging = OffsetPaging(size=PAGE, start="range_start", length="range_length")
    #: copy_to: neurons from NeuroMorpho.org or another CATMAID (nodes, tags, annotations, connectors).
    copies_from = {"neuromorpho": "neuromodels.backends.catmaid.copying:copy_from_neuromorpho",
                   "catmaid": "neuromodels.backends.catmaid.copying:copy_from_catmaid"}
    endpoints = {
        "fetch": "POST /{project}/skeletons/compact-detail (bulk) + skeleton/neuronnames + neurons/from-models + annotations/forskeletons",
        "list": "POST /{project}/annotations/query-targets, then the bulk fetch",
        "create": "POST /{project}/skeletons/import (SWC) + label/treenode/{node}/update for tags",
        "update": "POST /{project}/neurons/rename (bulk) or neurons/{id}/rename, annotations/add|remove, node endpoints for node edits",
        "delete": "POST /{project}/neuron/{neuron_id}/delete",
        "read the connectivity of": "POST /{project}/skeletons/connectivity, skeleton/connectivity_matrix",
        "read or write the reviews of": "GET /{project}/skeleton/{id}/reviewed-nodes, POST node/{id}/reviewed",
        "read the history of": "GET /{project}/skeletons/change-history, skeletons/{id}/compact-detail?with_history, "
                               "POST skeletons/origin, skeletons/import-info",
        "read the contributions to": "POST /{project}/skeleton/contributor_statistics_multiple, node/user-info, "
                                     "annotations/table-list, skeletons/sampler-count; GET connectors/links/",
        "join, split or reroot": "POST /{project}/skeleton/join, skeleton/split, skeleton/reroot",
        "query the circuits of": "POST /{project}/skeletons/connectivity (link_types), graph/circlesofhell, graph/dps + "
                                 "skeletons/confidence-compartment-subgraph, skeletons/connectivity-counts, "
                                 "connector/list/many_to_many; connectors/ for partners in a volume",
        "query the nodes of": "POST /{project}/treenodes/compact-detail, nodes/location, node/user-info, "
                              "labels-for-nodes, node/list; GET treenodes/{id}/info, labels/stats",
    }
    fetch_options = list_options = {"nodes": True}
    writable = frozenset({"name", "annotations", "tags", "nodes"})
    creatable = frozenset({"name", "nodes", "annotations", "tags"})
    not_supported = {
        "field connectors": "connectors are models of their own on CATMAID: save Connector objects (from navis: "
                            "Neuron.from_navis(tn, connectors=None), then ConnectorCollection.from_navis(tn, "
                            "neuron=saved).save())",
        "field neuron_id": "the server assigns neuron ids",
    }
    #: Renames go out in one bulk request.
    batch_size, spread_chunks = 2000, False
    #: Reads by id: skeletons per compact-detail request (spread over the parallel workers; the
    #: server builds each reply in memory), and ids per name, neuron-id and annotation lookup.
    detail_chunk: ClassVar[int] = 25
    lookup_chunk: ClassVar[int] = 2000
    filters = {
        "ids": Filter("ids", INT, "skeleton ids, results in the order given", many=True),
        "annotation": Filter("annotation", (str, *INT), "annotation name or id; a list means all of them; "
                             "'/regex' (pymaid's form, '/(?i)pn' ignores case) means any annotation matching it",
                             many=True),
        "name": Filter("name", (str,), "case-insensitive substring of the neuron name"),
        "volume": Filter("volume", (str, *INT), "volume id or name: neurons with nodes in its bounding box"),
        **finding.FILTERS,
        "inside": Filter("inside", (str, *INT), "volume id or name: neurons with a node inside its mesh (the "
                         "nodes in its bounding box, tested against the mesh here)"),
    }

    # reading ------------------------------------------------------------------------------------
    def load(self, conn: Connection, skids: Sequence[int], *, nodes: bool = True) -> dict[int, Neuron]:
        """Neurons by skeleton id in one parallel step: bulk compact-detail in chunks, names,
        neuron ids and annotation names. Responses are parsed in the worker threads."""
        skids = list(dict.fromkeys(skids))
        if not skids:
            return {}
        size = max(1, min(self.detail_chunk, math.ceil(len(skids) / conn.max_workers)))
        tasks: list[tuple[str, Sequence[int]]] = []
        if nodes:
            tasks += [("detail", part) for part in chunks(skids, size)]
        tasks += [(kind, part) for part in chunks(skids, self.lookup_chunk) for kind in ("names", "neurons", "annotations")]

        def run(task: tuple[str, Sequence[int]]) -> Any:
            kind, part = task
            if kind == "detail":
                return self._details(conn, part)
            if kind == "names":
                return api.read(conn, "/skeleton/neuronnames", form_list("skids", part), replies.names_by_key)
            if kind == "neurons":
                return api.read(conn, "/neurons/from-models", form_list("model_ids", part),
                                lambda body: {str(k): v for k, v in replies.id_map(body).items()})
            return api.read(conn, "/annotations/forskeletons", form_list("skeleton_ids", part), replies.annotations_of)

        values = conn.transport.map_values(run, tasks, desc="loading neurons" if nodes else None)
        details: dict[int, Neuron] = {}
        names: dict[str, str] = {}
        nids: dict[str, int] = {}
        annotations: dict[int, list[str]] = {}
        for (kind, _), value in zip(tasks, values):
            if kind == "detail":
                details.update(value)
            elif kind == "names":
                names.update(value)
            elif kind == "neurons":
                nids.update(value)
            else:
                label, on = value
                for skid, ids in on.items():
                    annotations[skid] = sorted(label.get(str(i), str(i)) for i in ids)
        result: dict[int, Neuron] = {}
        for skid in skids:
            key = str(skid)
            if key not in nids or (nodes and skid not in details):
                continue
            neuron = cv.converter.structure({"skeleton_id": skid, "neuron_id": int(nids[key]), "name": names.get(key),
                                             "annotations": annotations.get(skid, [])}, Neuron)
            detail = details.get(skid)
            if detail is not None:  # the tables parsed in .compact
                neuron.nodes, neuron.connectors, neuron.tags = detail.nodes, detail.connectors, detail.tags
                neuron.extra.update(detail.extra)
            result[skid] = neuron
        return result

    def _details(self, conn: Connection, skids: Sequence[int]) -> dict[int, Neuron]:
        """Node, connector and tag tables of these skeletons (one bulk compact-detail)."""
        data = form_list("skeleton_ids", skids) + [("with_connectors", "true"), ("with_tags", "true")]
        # Parsed inside the request, so a cut-off body is a ProtocolError and retried.
        parse: Callable[[requests.Response], dict[int, Neuron]] = lambda r: neurons_from_compact_many(r.content)
        if conn.transport.cache is not None:  # a warm read copies the tables parsed before
            parse = conn.transport.cache.reusing("catmaid.compact-detail", parse, copy_parsed)
        found: dict[int, Neuron] = conn.transport.request(
            "POST", f"/{pid(conn)}/skeletons/compact-detail", data=data, read=True, parse=parse)
        return found

    def fetch_many(self, conn: Connection, ids: Sequence[Any], context: Mapping[str, Any],
                   **options: Any) -> dict[Any, Any]:
        return dict(self.load(conn, ids, nodes=bool(options.get("nodes", True))))

    def load_nodes(self, conn: Connection, neurons: Sequence[Neuron]) -> None:
        found = self.load(conn, [n.id for n in neurons])
        missing = [n.id for n in neurons if n.id not in found]
        if missing:
            raise NotFound(f"{len(missing)} skeleton(s) not found", missing=missing)
        for n in neurons:
            loaded = found[n.id]
            n.nodes, n.connectors, n.tags = loaded.nodes, loaded.connectors, loaded.tags

    def _annotation_groups(self, conn: Connection, wanted: Any) -> list[str]:
        return annotation_groups(conn, wanted)

    def _query(self, conn: Connection, modifiers: Mapping[str, Any]) -> tuple[list[tuple[str, str]], set[int] | None]:
        """query-targets form for the filters, and the skeleton ids a volume allows (None: any)."""
        finding.check(modifiers)
        form: list[tuple[str, str]] = [("types[0]", "neuron")]
        if modifiers.get("annotation") is not None:
            # one key per annotation: all of them (AND); ids within a key: any of them (OR)
            groups = self._annotation_groups(conn, modifiers["annotation"])
            form += form_list("annotated_with", groups)
            if modifiers.get("include_sub_annotations"):
                form += finding.sub_annotation_form(groups)
        if modifiers.get("name") is not None:
            form.append(("name", modifiers["name"]))
        within = None
        if modifiers.get("volume") is not None:
            vid = api.volume_id(conn, modifiers["volume"])
            within = set(api.get(conn, "/skeletons/in-bounding-box", volume_id=vid, shape=replies.int_list))
        allowed = finding.restrict(conn, modifiers)  # creator, reviewer, size, soma, origin
        if allowed is not None:
            within = allowed if within is None else within & allowed
        if modifiers.get("inside") is not None:
            found = {int(s) for s in self.in_volume(conn, modifiers["inside"])["skeleton_id"]}
            within = found if within is None else within & found
        return form, within

    def match_ids(self, conn: Connection, modifiers: Mapping[str, Any]) -> set[Any]:
        form, within = self._query(conn, modifiers)
        if within is not None and len(form) == 1:
            return within
        found = {s for e in self._entities(conn, form, None) for s in e["skeleton_ids"]}
        return found if within is None else found & within

    def pages(self, conn: Connection, modifiers: Mapping[str, Any], limit: int | None, *, nodes: bool = True, **options: Any) -> Iterator[Sequence[Neuron]]:
        form, within = self._query(conn, modifiers)
        if within is not None and len(form) == 1:  # only a volume: its skeletons, in id order
            skids = sorted(within)[:limit]
            for part in chunks(skids, PAGE):
                found = self.load(conn, part, nodes=nodes)
                yield [found[s] for s in part if s in found]
            return
        # Without nodes the entities are the neurons, so they must carry their annotations;
        # with nodes, load() reads the annotations in bulk anyway.
        for page in self._entity_pages(conn, form, None if within is not None else limit, with_annotations=not nodes):
            if within is not None:
                page = [e for e in page if any(s in within for s in e["skeleton_ids"])]
            skids = [s for e in page for s in e["skeleton_ids"]]
            if nodes:
                found = self.load(conn, skids)
                yield [found[s] for s in skids if s in found]
            else:
                yield [n for e in page for n in cv.neurons_from_entity(e)]

    def _entity_pages(self, conn: Connection, form: list[tuple[str, str]], limit: int | None, *,
                      with_annotations: bool = False) -> Iterator[Sequence[dict[str, Any]]]:
        def page(window: Window) -> Page[dict[str, Any]]:
            page_form = form + [(k, str(v)) for k, v in self.paging.params(window).items()] + [
                ("sort_by", "id"), ("sort_dir", "asc"), ("with_annotations", cv.flag(with_annotations))]
            total, entities = api.read(conn, "/annotations/query-targets", page_form, replies.entities)
            return Page(entities, total_items=total)

        return read_pages(conn, self.paging, page, limit, desc="listing neurons")

    def _entities(self, conn: Connection, form: list[tuple[str, str]], limit: int | None) -> list[dict[str, Any]]:
        return [e for page in self._entity_pages(conn, form, limit) for e in page]

    def count(self, conn: Connection, modifiers: Mapping[str, Any]) -> int:
        if "ids" in modifiers:
            rest = {k: v for k, v in modifiers.items() if k != "ids"}
            wanted = set(_ids(modifiers["ids"]))
            return len(wanted & self.match_ids(conn, rest)) if rest else len(wanted)
        form, within = self._query(conn, modifiers)
        if within is not None:
            return len(self.match_ids(conn, modifiers))
        total: int = api.read(conn, "/annotations/query-targets", form + [("range_start", "0"), ("range_length", "1")],
                              lambda body: replies.entities(body)[0])
        return total

    # writing -------------------------------------------------------------------------------------
    def validate(self, model: Neuron, operation: str) -> None:
        if model.name is not None or operation == "create":
            _check_neuron_name(model.name)
        for a in model.annotations or []:
            check_name(a, "an annotation name")
        if model.tags:
            for tag, nodes in model.tags.items():
                check_name(tag, "a tag")
                if "," in tag:
                    raise ValueError(f"CATMAID sends tags comma-separated, so a tag cannot contain ',': {tag!r}")
        if operation == "update" and model.nodes is not None and not _same_frame(model.nodes, model.original("nodes")):
            if model.original("nodes") is None:
                raise ValueError("this neuron's nodes were not loaded, so there is no difference to send; fetch() it")
            edits.check_table(model.original("nodes"), model.nodes)
        if operation == "create":
            if model.nodes is None or len(model.nodes) == 0:
                raise ValueError("a neuron needs nodes to be created on CATMAID (Neuron.from_swc)")
            found = roots(model.nodes)
            if len(found) != 1:
                raise ValueError(f"CATMAID stores one tree per skeleton; this neuron has {len(found)} roots")
            coords = model.nodes[["x", "y", "z"]].to_numpy(dtype=float)
            if not np.isfinite(coords).all():
                raise ValueError("node coordinates must be finite (found NaN or infinity)")

    def create(self, conn: Connection, model: Neuron, modifiers: Mapping[str, Any]) -> None:
        data = [("name", model.name)] + form_list("annotations", model.annotations or []) + _origin_form(model)
        files = {"file": ("neuron.swc", cv.swc_for_import(model).encode(), "application/octet-stream")}
        state = api.CatmaidState.of(conn)
        # What settle() compares the server's records with, should the reply be lost.
        with before_sending():
            mark = api.watermark(conn)
        api.TICKETS[model] = (time.time(), mark)
        # Read inside the request: a reply without the ids is an unknown outcome, never a failure.
        sent_ids = {int(i) for i in required(model.nodes, "its nodes")["node_id"]}

        def imported(body: Any) -> tuple[int, int, dict[int, int]]:
            skid, nid, mapping = cv.imported(body)
            if not sent_ids <= set(mapping):
                raise ProtocolError(f"the import's node map lacks {len(sent_ids - set(mapping))} of the nodes sent")
            return skid, nid, mapping

        skid, nid, mapping = api.write(conn, "/skeletons/import", data, files=files, shape=imported)
        api.claim(conn, skid, model)
        if len(mapping):
            state.note_import(next(iter(mapping.values())), time.time())
        nodes = required(model.nodes, "its nodes").copy()
        nodes["node_id"] = nodes["node_id"].map(mapping).astype("int64")
        nodes["parent_id"] = nodes["parent_id"].map(mapping).fillna(-1).astype("int64")
        model.nodes = nodes
        model.id, model.neuron_id = skid, nid
        if not model.annotations:
            model.annotations = ["Import"]  # what CATMAID adds when no annotation is sent
        if model.tags:
            tags = {t: [mapping.get(int(n), int(n)) for n in ids] for t, ids in model.tags.items()}
            edits.write_tags(conn, {}, tags)
            model.tags = tags

    def update(self, conn: Connection, model: Neuron, changes: Mapping[str, Any], modifiers: Mapping[str, Any]) -> None:
        if model.neuron_id is None:
            model.neuron_id = api.require_neuron_ids(conn, [model.id])[model.id]
        if "name" in changes:
            try:
                api.write(conn, f"/neurons/{model.neuron_id}/rename", {"name": model.name})
            except NotFound as e:
                raise _by_skeleton(e, model, "deleted") from None
        if "annotations" in changes:
            api.sync_annotations(conn, model.original("annotations") or [], model.annotations or [],
                                 target=("skeleton_ids", model.id), entity=model.neuron_id)
        if "nodes" in changes:
            mapping = edits.write_nodes(conn, model)
            # The server's tables replace ours (new rows get their creator, stored values).
            fresh = self._details(conn, [model.id]).get(model.id)
            if fresh is not None:
                model.nodes, model.connectors = fresh.nodes, fresh.connectors
            if model.tags is not None:
                # Tags may name new rows by the ids the user gave them; tags of deleted nodes
                # went with them. The tags are then set against what the server now holds.
                # Only the user's own tag changes are applied to what the server holds now.
                live = set(model.nodes["node_id"].tolist()) if model.nodes is not None else set()
                mine = {(t, mapping.get(int(n), int(n))) for t, ids in model.tags.items() for n in ids}
                before = {(t, int(n)) for t, ids in (model.original("tags") or {}).items() for n in ids}
                held = fresh.tags if fresh is not None and fresh.tags is not None else model.original("tags")
                now = {(t, int(n)) for t, ids in (held or {}).items() for n in ids}
                result = {(t, n) for t, n in (now | (mine - before)) - (before - mine) if n in live}
                tags: dict[str, list[int]] = {}
                for t, n in sorted(result):
                    tags.setdefault(t, []).append(n)
                edits.write_tags(conn, held or {}, tags)
                model.tags = tags
        elif "tags" in changes:
            edits.write_tags(conn, model.original("tags") or {}, model.tags or {})

    def prepare(self, conn: Connection, models: Sequence[Neuron], operation: str) -> None:
        """Skeleton ids -> neuron ids for every model in one request (renames and deletes
        address the neuron)."""
        unmapped = [m.id for m in models if m.neuron_id is None]
        mapping = api.neuron_ids(conn, unmapped) if unmapped else {}
        for m in models:
            if m.neuron_id is None and m.id in mapping:
                m.neuron_id = mapping[m.id]

    def update_chunk(self, conn: Connection, chunk: Sequence[Neuron], modifiers: Mapping[str, Any]) -> Errors:
        """Renames go out in one ``neurons/rename`` request; other changes one neuron at a time."""
        renames = [m for m in chunk if set(m.changes()) == {"name"} and m.neuron_id is not None]
        errors: dict[int, BaseException | None] = {}
        if len(renames) > 1:
            try:
                done = api.write(conn, "/neurons/rename", cv.form_rows("names", [(m.neuron_id, m.name) for m in renames]),
                                 shape=replies.renamed)
                for m in renames:
                    errors[id(m)] = None if m.neuron_id in done else NotFound(f"neuron {m.neuron_id} was not renamed")
            except Exception as e:  # noqa: BLE001 - one request for all: all share its fate
                errors.update({id(m): e for m in renames})
        for m in chunk:
            if id(m) not in errors:
                try:
                    self.update(conn, m, m.changes(), modifiers)
                    errors[id(m)] = None
                except Exception as e:  # noqa: BLE001 - per neuron
                    errors[id(m)] = e
        return [errors[id(m)] for m in chunk]

    def delete(self, conn: Connection, model: Neuron) -> None:
        if model.neuron_id is None:
            model.neuron_id = api.require_neuron_ids(conn, [model.id])[model.id]
        try:
            api.write(conn, f"/neuron/{model.neuron_id}/delete")
        except NotFound as e:
            raise _by_skeleton(e, model, "deleted") from None
