"""Skeletons and neurons: compact detail, names, SWC import and export, rename, delete."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
from werkzeug.wrappers import Request, Response

from .. import store
from ..base import CatmaidBase, route
from ..store import iso_ms, next_ids
from .provenance import record_import
from .queries import list_skeletons
from ..swc_import import parse_swc
from ..wire import Http404, ObjectDoesNotExist, PlainResponse, as_json_list, req_bool, req_list, req_rows


def pg_time(text: str) -> str:
    """A stored time as PostgreSQL prints a timestamptz (space, microseconds, +00:00)."""
    return store.parse_iso(text).isoformat(sep=" ", timespec="microseconds")


class SkeletonViews(CatmaidBase):
    @route("/<int:pid>/skeletons/<int:skid>/compact-detail", drf=True, methods=("GET",))
    def compact_detail(self, request: Request, user: int, pid: int, skid: int) -> Any:
        args = request.args
        found = self.details(pid, [skid], req_bool(args, "with_connectors"), req_bool(args, "with_tags"),
                             req_bool(args, "with_annotations"))
        if skid not in found:
            raise Http404("No skeleton")
        if req_bool(args, "with_history"):
            self.with_history(found[skid], skid, req_bool(args, "with_connectors"))
        if args.get("format") == "msgpack":
            return self.detail_plain(found[skid])
        return Response(self.detail_bytes(found[skid]), content_type="application/json")

    def with_history(self, entry: list[Any], skid: int, connectors: bool) -> None:
        """Node rows [..8 columns, valid_from, valid_to, ordering]: 1 for the live rows (valid_from
        = edition time, valid_to = creation time, as CATMAID answers), 2 for past versions; the
        connector rows likewise gain [valid_from, valid_to]."""
        live = [[*r[:8], pg_time(r[8]), pg_time(r[9]), 1] for r in self.db.read(
            "SELECT id, parent_id, user_id, x, y, z, radius, confidence, edition_time, creation_time FROM treenode "
            "WHERE skeleton_id = ? ORDER BY id", (skid,))]
        past = [[*r[:8], pg_time(r[8]), pg_time(r[9]), 2] for r in self.db.read(
            "SELECT id, parent_id, user_id, x, y, z, radius, confidence, valid_from, valid_to FROM treenode_history "
            "WHERE skeleton_id = ? ORDER BY rowid", (skid,))]
        entry[0] = orjson.dumps(live + past)
        if entry[2]:
            # Tags with history are [node, time] pairs in CATMAID. Labels keep no time here: the
            # node's creation time stands in (a label cannot be older than its node).
            created = dict(self.db.read("SELECT id, creation_time FROM treenode WHERE skeleton_id = ?", (skid,)))
            entry[2] = {tag: [[n, pg_time(created[n])] for n in nodes if n in created] for tag, nodes in entry[2].items()}
        if connectors:
            codes = {"presynaptic_to": 0, "postsynaptic_to": 1, "gapjunction_with": 2, "desmosome_with": 3}
            rows = self.db.read(
                "SELECT l.treenode_id, l.connector_id, r.name, c.x, c.y, c.z, l.edition_time, l.creation_time "
                "FROM treenode_connector l JOIN relation r ON r.id = l.relation_id JOIN connector c ON c.id = l.connector_id "
                "WHERE l.skeleton_id = ? UNION ALL "
                "SELECT h.treenode_id, h.connector_id, r.name, c.x, c.y, c.z, h.valid_from, h.valid_to "
                "FROM link_history h JOIN relation r ON r.id = h.relation_id JOIN connector c ON c.id = h.connector_id "
                "WHERE h.skeleton_id = ?", (skid, skid))
            entry[1] = [[n, cid, codes[rel], x, y, z, pg_time(a), pg_time(b)] for n, cid, rel, x, y, z, a, b in rows if rel in codes]

    @route("/<int:pid>/skeletons/compact-detail", drf=True, methods=("POST",))
    def compact_detail_many(self, request: Request, user: int, pid: int) -> Any:
        form = request.form
        skids = req_list(form, "skeleton_ids", int)
        found = self.details(pid, skids, req_bool(form, "with_connectors"), req_bool(form, "with_tags"),
                             req_bool(form, "with_annotations"))
        present = [s for s in dict.fromkeys(skids) if s in found]
        if form.get("format") == "msgpack":
            return {"skeletons": {str(s): self.detail_plain(found[s]) for s in present}}
        body = b",".join(b'"%d":%s' % (s, self.detail_bytes(found[s])) for s in present)
        return Response(b'{"skeletons":{' + body + b"}}", content_type="application/json")

    @route("/<int:pid>/skeleton/<int:skid>/neuronname")
    def neuronname(self, request: Request, user: int, pid: int, skid: int) -> Any:
        rows = self.db.read("SELECT c.name, c.id FROM model_of m JOIN class_instance c ON c.id = m.neuron_id "
                            "WHERE m.skeleton_id = ? AND c.project_id = ?", (skid, pid))
        if not rows:
            raise ValueError(f"Couldn't find a neuron linking to a skeleton with ID {skid}")
        return {"neuronname": rows[0][0], "neuronid": rows[0][1]}

    @route("/<int:pid>/skeleton/neuronnames", drf=True, methods=("POST",))
    def neuronnames(self, request: Request, user: int, pid: int) -> Any:
        skids = req_list(request.form, "skids", int)
        rows = self.db.read("SELECT m.skeleton_id, c.name FROM model_of m JOIN class_instance c ON c.id = m.neuron_id "
                            "WHERE m.skeleton_id IN (SELECT value FROM json_each(?)) ORDER BY m.skeleton_id", (as_json_list(skids),))
        return {str(s): n for s, n in rows}

    @route("/<int:pid>/skeletons/", drf=True, methods=("GET",))
    def skeletons(self, request: Request, user: int, pid: int) -> Any:
        return list_skeletons(self.db, pid, request.args)

    @route("/<int:pid>/neurons/", drf=True, methods=("GET",))
    def neurons(self, request: Request, user: int, pid: int) -> Any:
        return [r[0] for r in self.db.read("SELECT id FROM class_instance WHERE project_id = ? AND kind = 'neuron' ORDER BY id", (pid,))]

    @route("/<int:pid>/neurons/from-models", drf=True, methods=("POST",))
    def from_models(self, request: Request, user: int, pid: int) -> Any:
        return {str(k): v for k, v in self.neuron_of(req_list(request.form, "model_ids", int)).items()}

    @route("/<int:pid>/neuron/<int:nid>/get-all-skeletons", drf=True, methods=("GET",))
    def all_skeletons(self, request: Request, user: int, pid: int, nid: int) -> Any:
        return [r[0] for r in self.db.read("SELECT skeleton_id FROM model_of WHERE neuron_id = ?", (nid,))]

    @route("/<int:pid>/skeletons/import", drf=True, methods=("POST",))
    def import_skeleton(self, request: Request, user: int, pid: int) -> Any:
        if len(request.files) != 1:
            raise PlainResponse(Response("No file received.", status=400, content_type="text/html"))
        upload = next(iter(request.files.values()))
        extension = (upload.filename or "").rsplit(".", 1)[-1].strip().lower()
        if extension not in ("swc", "eswc"):
            raise PlainResponse(Response(f'File type "{extension}" not understood. Known file types: swc',
                                         status=415, content_type="text/html"))
        nodes = parse_swc(upload.read().decode("utf-8", "replace"))
        form = request.form
        name = form.get("name")
        annotations = req_list(form, "annotations", str, default=["Import"])
        self._import_origin(form)  # refused before anything is stored; record_import keeps it
        t = iso_ms()
        with self.db.transaction() as cur:
            skid, nid = next_ids(cur, "ci", 2)
            cur.execute("INSERT INTO class_instance VALUES (?, ?, 'skeleton', ?, ?, ?, ?)", (skid, pid, name or f"skeleton {skid}", user, t, t))
            cur.execute("INSERT INTO class_instance VALUES (?, ?, 'neuron', ?, ?, ?, ?)", (nid, pid, name or f"neuron {nid}", user, t, t))
            cur.execute("INSERT INTO model_of VALUES (?, ?)", (skid, nid))
            first = next_ids(cur, "location", len(nodes.ids))[0]
            ids = list(range(first, first + len(nodes.ids)))
            parents = [None if p < 0 else first + p for p in nodes.parent_index.tolist()]
            x, y, z, r = nodes.xyzr.T.tolist()
            # The columns shared by every row are written into the statement (integers and our own
            # time stamp), so each row binds 6 values straight from zip(): no per-row tuple building.
            cur.executemany(f"INSERT INTO treenode VALUES (?, {int(pid)}, {int(skid)}, ?, {int(user)}, ?, ?, ?, ?, 5, "
                            f"'{t}', '{t}', {int(user)})", zip(ids, parents, x, y, z, r))
            cur.execute("INSERT INTO skeleton_nodes_json VALUES (?, ?)",
                        (skid, orjson.dumps([[i, p, user, *xyzr, 5] for i, p, *xyzr in zip(ids, parents, x, y, z, r)])))
            if annotations:
                self.annotate(cur, pid, user, [nid], annotations)
            record_import(cur, pid, skid, ids, form)
            root = int(np.flatnonzero(nodes.parent_index < 0)[0])
            self.log_operation(cur, pid, user, "create_neuron", nodes.xyzr[root, :3].tolist(),
                               f"Create neuron {nid} and skeleton {skid} via import. {', '.join(annotations)}")
        mapping = dict(zip(map(str, nodes.ids.tolist()), ids))
        return {"neuron_id": nid, "skeleton_id": skid, "node_id_map": mapping}

    @staticmethod
    def _import_origin(form: Any) -> tuple[str, int, int, str] | None:
        """The import's origin (``source_url``, ``source_project_id``, ``source_id``,
        ``source_type``) as CATMAID keeps it for ``skeletons/origin`` and ``from-origin``."""
        if not form.get("source_id"):
            return None
        url, project = form.get("source_url"), form.get("source_project_id")
        if not url or project is None:
            raise ValueError("Need source_url and source_project_id for an import with source_id")
        kind = form.get("source_type") or "skeleton"
        if kind not in ("skeleton", "segmentation"):
            raise ValueError(f"Unknown source type: {kind}")
        return url.rstrip("/"), int(project), int(form["source_id"]), kind

    @route("/<int:pid>/skeleton/<int:skid>/swc", drf=True, methods=("GET",))
    def swc(self, request: Request, user: int, pid: int, skid: int) -> Any:
        rows = self.db.read("SELECT id, x, y, z, radius, parent_id FROM treenode WHERE skeleton_id = ? ORDER BY id", (skid,))
        if not rows:
            raise Http404("No skeleton")
        text = "".join(f"{i} 0 {x} {y} {z} {r} {p if p is not None else -1}\n" for i, x, y, z, r, p in rows)
        return Response(text, content_type="text/plain")

    def _rename(self, cur: Any, nid: int, name: str) -> str:
        if "|" in name:
            raise ValueError("New name should not contain pipe character")
        row = cur.execute("SELECT name FROM class_instance WHERE id = ? AND kind = 'neuron'", (nid,)).fetchone()
        if row is None:
            raise ObjectDoesNotExist(f"Could not find neuron #{nid}")
        cur.execute("UPDATE class_instance SET name = ?, edition_time = ? WHERE id = ?", (name, iso_ms(), nid))
        return str(row[0])

    @route("/<int:pid>/neurons/<int:nid>/rename", drf=True, methods=("POST",))
    def rename(self, request: Request, user: int, pid: int, nid: int) -> Any:
        with self.db.transaction() as cur:
            old = self._rename(cur, nid, request.form["name"])
            self.log_operation(cur, pid, user, "rename_neuron", None,
                               f"Renamed neuron with ID {nid} from {old} to {request.form['name']}")
        return {"success": True, "renamed_neuron": nid, "old_name": old}

    @route("/<int:pid>/neurons/rename", drf=True, methods=("POST",))
    def rename_many(self, request: Request, user: int, pid: int) -> Any:
        pairs = [(int(r[0]), r[1]) for r in req_rows(request.form, "names")]
        renamed, old_names = [], []
        with self.db.transaction() as cur:
            for nid, name in sorted(pairs):
                if cur.execute("SELECT 1 FROM class_instance WHERE id = ? AND kind = 'neuron'", (nid,)).fetchone():
                    old_names.append(self._rename(cur, nid, name))
                    self.log_operation(cur, pid, user, "rename_neuron", None,
                                       f"Renamed neuron with ID {nid} from {old_names[-1]} to {name}")
                    renamed.append(nid)
        return {"success": True, "renamed_neurons": renamed, "old_names": old_names}

    @route("/<int:pid>/neuron/<int:nid>/delete")
    def delete_neuron(self, request: Request, user: int, pid: int, nid: int) -> Any:
        with self.db.transaction() as cur:
            if not cur.execute("SELECT 1 FROM class_instance WHERE id = ? AND kind = 'neuron'", (nid,)).fetchone():
                raise ObjectDoesNotExist(f"Could not find neuron #{nid}")
            skids = [r[0] for r in cur.execute("SELECT skeleton_id FROM model_of WHERE neuron_id = ?", (nid,))]
            roots = [cur.execute("SELECT x, y, z FROM treenode WHERE skeleton_id = ? AND parent_id IS NULL", (s,)).fetchone()
                     for s in skids]
            for skid in skids:
                cur.execute("DELETE FROM label WHERE node_id IN (SELECT id FROM treenode WHERE skeleton_id = ?)", (skid,))
                cur.execute("DELETE FROM review WHERE skeleton_id = ?", (skid,))
                cur.execute("DELETE FROM treenode_connector WHERE skeleton_id = ?", (skid,))
                cur.execute("DELETE FROM treenode WHERE skeleton_id = ?", (skid,))
                cur.execute("DELETE FROM class_instance WHERE id = ?", (skid,))
                cur.execute("DELETE FROM model_of WHERE skeleton_id = ?", (skid,))
                cur.execute("DELETE FROM skeleton_origin WHERE skeleton_id = ?", (skid,))
            self.forget_nodes(cur, skids)
            cur.execute("DELETE FROM annotated_with WHERE entity_id = ?", (nid,))
            cur.execute("DELETE FROM class_instance WHERE id = ?", (nid,))
            # The annotations stay, even unused (observed: a rebuilt dataset got its old annotation ids back).
            self.log_operation(cur, pid, user, "remove_neuron", next((r for r in roots if r), None),
                               f"Deleted neuron {nid} and skeleton(s) {', '.join(map(str, skids))}.")
        return {"skeleton_ids": skids, "success": f"Deleted neuron #{nid} as well as its skeletons and annotations."}
