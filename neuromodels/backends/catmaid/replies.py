"""What CATMAID's replies look like, checked: one function per reply shape, each read inside the
request's ``parse=`` callback (``api.get/read/write(..., shape=...)``), so that a reply of any
other shape is a ProtocolError naming the request — and, on a write, an unknown outcome rather
than a failure."""

from __future__ import annotations

from typing import Any

from ...core.wire import check_depth, integer, obj, seq, text


def id_map(body: Any) -> dict[int, int]:
    """``{"12": 34, ...}`` (``neurons/from-models``): skeleton id -> neuron id."""
    return {integer(k, "a skeleton id"): integer(v, "a neuron id") for k, v in obj(body).items()}


def name_map(body: Any) -> dict[int, str]:
    """``{"12": "name", ...}`` (``skeleton/neuronnames``)."""
    return {integer(k, "a skeleton id"): text(v, "a neuron name") for k, v in obj(body).items()}


def names_by_key(body: Any) -> dict[str, str]:
    """``skeleton/neuronnames`` keyed as sent (strings), names checked."""
    return {str(integer(k, "a skeleton id")): text(v, "a neuron name") for k, v in obj(body).items()}


def annotation_index(body: Any) -> dict[str, int]:
    """``annotations/?simple=true``: ``{"annotations": [{"name", "id"}, ...]}``."""
    rows = seq(obj(body).get("annotations", []), "annotations")
    return {text(obj(a, "an annotation")["name"], "an annotation name"): integer(a["id"]) for a in rows}


def annotations_of(body: Any) -> tuple[dict[str, str], dict[int, list[int]]]:
    """``annotations/forskeletons``: annotation id -> name, and skeleton id -> annotation ids."""
    body = obj(body)
    names = {str(integer(k, "an annotation id")): text(v, "an annotation name")
             for k, v in obj(body.get("annotations", {}), "annotations").items()}
    skeletons = {integer(skid, "a skeleton id"): [integer(obj(r, "an annotation link")["id"]) for r in seq(rows)]
                 for skid, rows in obj(body.get("skeletons", {}), "skeletons").items()}
    return names, skeletons


def entities(body: Any) -> tuple[int, list[dict[str, Any]]]:
    """``annotations/query-targets``: the total and the entities, each with its skeleton ids
    (as ints), name and annotations checked."""
    body = obj(body)
    total = integer(body.get("totalRecords", 0), "totalRecords")
    found = []
    for e in seq(body.get("entities", []), "entities"):
        e = dict(obj(e, "an entity"))
        e["skeleton_ids"] = [integer(s, "a skeleton id") for s in seq(e.get("skeleton_ids", []), "skeleton_ids")]
        if "name" in e:
            text(e["name"], "an entity name")
        integer(e["id"], "an entity id")
        check_depth(e)
        if "annotations" in e:
            for a in seq(e["annotations"], "annotations"):
                text(obj(a, "an annotation")["name"], "an annotation name")
        found.append(e)
    return total, found


def meta_of(body: Any, aid: int) -> list[str]:
    """``annotations/query`` for one annotation: the names annotating it."""
    body = obj(body)
    names = obj(body.get("annotations", {}), "annotations")
    rows = seq(obj(body.get("entities", {}), "entities").get(str(aid), []), "entity annotations")
    result = []
    for r in rows:
        key = str(integer(obj(r, "an annotation link")["id"]))
        result.append(text(names.get(key, key), "an annotation name"))
    return sorted(result)


def added_annotations(body: Any) -> dict[str, int]:
    """``annotations/add``: name -> id of each annotation named in the reply."""
    return {text(obj(a, "an annotation")["name"], "an annotation name"): integer(a["id"])
            for a in seq(obj(body).get("annotations", []), "annotations")}


def relations(body: Any) -> dict[str, int]:
    """``connectors/types/``: relation name -> relation id."""
    return {text(obj(row, "a connector type")["relation"], "a relation"): integer(row["relation_id"])
            for row in seq(body)}


def int_list(body: Any) -> list[int]:
    return [integer(i) for i in seq(body)]


def user_info(body: Any) -> dict[str, dict[str, Any]]:
    """``node/user-info``: node id -> {user, creation_time, ...} (both checked)."""
    result = {}
    for node, info in obj(body).items():
        info = obj(info, "a node's user info")
        integer(info["user"], "a user id")
        text(info["creation_time"], "a creation time")
        result[str(node)] = dict(info)
    return result


def renamed(body: Any) -> set[int]:
    return {integer(n) for n in seq(obj(body).get("renamed_neurons", []), "renamed_neurons")}


def projects(body: Any) -> list[dict[str, Any]]:
    rows = [dict(obj(row, "a project")) for row in seq(body)]
    for row in rows:
        integer(row.get("id", -1), "a project id")
    return rows


def stacks(body: Any) -> list[int]:
    return [integer(obj(s, "a stack")["id"], "a stack id") for s in seq(body)]


def reviewed(body: Any) -> dict[str, Any]:
    answer = dict(obj(body))
    integer(answer["reviewer_id"], "a reviewer id")
    text(answer["review_time"], "a review time")
    return answer
