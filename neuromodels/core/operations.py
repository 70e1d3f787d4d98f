"""The contract of API.md, written once for every backend.

Resources provide primitives (``fetch_one``, ``pages``, ``create_chunk`` ...); these functions
wrap them in the rules every backend shares, so no backend repeats them:

* fetch options are checked against what the resource declares (``TypeError`` naming them);
* a fetch answered with another object than the one asked for is a :class:`ProtocolError`;
* ``ids=`` keeps the order given and raises :class:`NotFound` whose ``missing`` lists the ids
  that do not exist; other filters narrow the list;
* ``limit`` stops a listing; a page that repeats ids already received (a server ignoring the
  paging parameters) is a :class:`ProtocolError`, never a silently duplicated result;
* ``count`` asks the server where it can, else counts the pages;
* batch writes go out in chunks (or one request per item) in parallel, and one chunk's error is
  every item's error in that chunk;
* a field the backend cannot store is :class:`NotSupported` before anything is sent.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Sequence, TypeVar

from .backend import as_list, check_id
from .capabilities import (
    BulkCreate,
    BulkDelete,
    BulkUpdate,
    Count,
    Create,
    Delete,
    Errors,
    Fetch,
    List,
    M,
    Resource,
    Update,
    did_you_mean,
)
from .errors import NotFound, NotSupported, ProtocolError

if TYPE_CHECKING:
    from ..connection import Connection
    from .model import Model
    from ..transport import Outcome

T = TypeVar("T")


def check_options(accepted: Mapping[str, Any], options: Mapping[str, Any], what: str,
                  own: Sequence[str] = ("connection",)) -> dict[str, Any]:
    """The options with their defaults filled in; an unknown one is a ``TypeError`` that names
    the close ones among the backend's options and the method's own keywords (``own``: a
    misspelt ``limit`` arrives here as an option)."""
    for name in options:
        if name not in accepted:
            allowed = ", ".join([*sorted(accepted), *own]) or "none"
            raise TypeError(f"{what} got an unknown option {name!r}{did_you_mean(name, [*accepted, *own])}; "
                            f"it accepts: {allowed}")
    return {**accepted, **options}


def check_writable(resource: Resource[Any], model: "Model", fields: Sequence[str], operation: str) -> None:
    """A field this backend cannot store is refused, never silently dropped."""
    allowed = resource.writable
    if operation == "create" and resource.creatable is not None:
        allowed = resource.creatable
    if allowed is None:
        return
    refused = sorted(set(fields) - allowed)
    if refused:
        reasons = [resource.not_supported.get(f"field {name}") for name in refused]
        why = "; ".join(r for r in reasons if r) or (
            f"the server does not keep {'it' if len(refused) == 1 else 'them'}; "
            f"it {'stores' if operation == 'create' else 'can change'} {', '.join(sorted(allowed)) or 'nothing'}")
        raise NotSupported(f"{resource.backend_name} cannot store {resource.model_name}."
                           f"{', '.join(refused)}: {why}")


# -- reading ------------------------------------------------------------------------------------------
def fetch_one(conn: "Connection", resource: Resource[M], id: Any, options: Mapping[str, Any]) -> M:
    fetcher = resource.require(Fetch)
    opts = check_options(resource.fetch_options, options, f"{resource.model_name}.fetch")
    if id is not None:
        id = check_id(id, resource.id_type, f"{resource.model_name} id")
    loaded: M = fetcher.fetch_one(conn, id, **opts)
    if id is not None:
        if loaded.id is None:
            loaded.id = id
        elif loaded.id != id:
            raise ProtocolError(f"asked for {resource.model_name} {id!r}, the server answered with {loaded.id!r}")
    return loaded


def iterate(conn: "Connection", resource: Resource[M], modifiers: Mapping[str, Any], limit: int | None,
            options: Mapping[str, Any], own: Sequence[str] = ("connection",)) -> Iterator[M]:
    """Every model matching ``modifiers``, checked before the first request, streamed
    (``own``: the calling method's keywords, named where an option is misspelt)."""
    lister = resource.require(List)
    resource.check_modifiers(conn, modifiers)
    opts = check_options(resource.list_options, options, f"{resource.model_name} collection fetch", own)
    if limit == 0:
        return iter(())
    if "ids" in modifiers:
        return _by_ids(conn, resource, lister, modifiers, limit, opts)
    return _paged(conn, lister.pages(conn, modifiers, limit, **opts), resource, limit)


def _paged(conn: "Connection", pages: Iterator[Sequence[M]], resource: Resource[M],
           limit: int | None) -> Iterator[M]:
    seen: set[Any] = set()
    n = 0
    for page in pages:
        for model in page:
            if model.id is not None:
                if model.id in seen:
                    raise ProtocolError(
                        f"the server sent {resource.model_name} {model.id!r} twice while paging "
                        "(does it ignore the paging parameters?)")
                seen.add(model.id)
            model.mark_clean()
            model.bind(conn)  # listed or fetched by id alike: it remembers its server
            yield model
            n += 1
            if limit is not None and n >= limit:
                return


def fetch_ids(conn: "Connection", resource: Resource[M], ids: Sequence[Any], context: Mapping[str, Any],
              options: Mapping[str, Any]) -> dict[Any, M]:
    """The objects with these ids (each once), or :class:`NotFound` listing the missing ones."""
    unique = list(dict.fromkeys(check_id(i, resource.id_type, f"{resource.model_name} id") for i in ids))
    found = resource.require(Fetch).fetch_many(conn, unique, context, **options)
    missing = [i for i in unique if i not in found]
    if missing:
        raise NotFound(f"{len(missing)} of {len(unique)} {resource.model_name} id(s) not found: {missing[:10]}",
                       missing=missing)
    return dict(found)


def _by_ids(conn: "Connection", resource: Resource[M], lister: List[M], modifiers: Mapping[str, Any],
            limit: int | None, opts: Mapping[str, Any]) -> Iterator[M]:
    ids = [check_id(i, resource.id_type, f"{resource.model_name} id") for i in as_list(modifiers["ids"])]
    context = {k: v for k, v in modifiers.items() if k in resource.context_modifiers}
    found = fetch_ids(conn, resource, ids, context, opts)
    rest = {k: v for k, v in modifiers.items() if k != "ids" and k not in resource.context_modifiers}
    keep = lister.match_ids(conn, {**context, **rest}) if rest else None
    n = 0
    for i in ids:
        if keep is not None and i not in keep:
            continue
        model = found[i]
        model.mark_clean()
        model.bind(conn)
        yield model
        n += 1
        if limit is not None and n >= limit:
            return


def count(conn: "Connection", resource: Resource[Any], modifiers: Mapping[str, Any]) -> int:
    """How many objects match: the server's figure where it gives one, else the pages counted."""
    resource.check_modifiers(conn, modifiers)
    # ``ids=`` is the core's own filter unless the server declares it: the core counts those.
    server_counts = "ids" not in modifiers or "ids" in resource.allowed_filters(conn)
    if isinstance(resource, Count) and server_counts:
        return resource.count(conn, modifiers)
    return sum(1 for _ in iterate(conn, resource, modifiers, None, {}))


# -- writing ------------------------------------------------------------------------------------------
def chunked(conn: "Connection", items: Sequence[T], resource: Resource[Any]) -> list[Sequence[T]]:
    """Chunks of at most the resource's ``batch_size``; with ``spread_chunks``, small enough
    that every parallel worker gets one."""
    size = resource.batch_size
    if resource.spread_chunks:
        size = max(1, min(size, math.ceil(len(items) / max(1, conn.max_workers))))
    return [items[i : i + size] for i in range(0, len(items), size)]


def fan_out(chunks: Sequence[Sequence[Any]], outcomes: Sequence["Outcome"]) -> Errors:
    """Per item: its own result where the chunk's request answered for each, else the chunk's error."""
    errors: Errors = []
    for chunk, outcome in zip(chunks, outcomes):
        if outcome.error is not None:
            errors.extend([outcome.error] * len(chunk))
        elif not isinstance(outcome.value, list) or len(outcome.value) != len(chunk):
            # The chunk was sent and its answer cannot be matched to its items: each may be stored
            # (unknown, settled by the next call); the other chunks' results still count.
            unreadable = ProtocolError(f"a batch of {len(chunk)} gave {outcome.value!r} results", sent=True,
                                       outcome_unknown=True)
            errors.extend([unreadable] * len(chunk))
        else:
            errors.extend(outcome.value)
    return errors


def _each(conn: "Connection", fn: Callable[[Any], Any], models: Sequence["Model"], desc: str) -> Errors:
    return [o.error for o in conn.transport.map(fn, models, desc=desc)]


def create_many(conn: "Connection", resource: Resource[Any], models: Sequence["Model"],
                modifiers: Mapping[str, Any]) -> Errors:
    creator = resource.require(Create)
    if isinstance(creator, BulkCreate) and len(models) > 1:  # one model: the single request
        chunks = chunked(conn, models, creator)
        outcomes = conn.transport.map(lambda c: creator.create_chunk(conn, c, modifiers), chunks,
                                      desc=f"saving {resource.model_name}s")
        return fan_out(chunks, outcomes)
    return _each(conn, lambda m: creator.create(conn, m, modifiers), models, f"saving {resource.model_name}s")


def update_many(conn: "Connection", resource: Resource[Any], models: Sequence["Model"],
                modifiers: Mapping[str, Any]) -> Errors:
    updater = resource.require(Update)
    resource.prepare(conn, models, "update")
    if isinstance(updater, BulkUpdate) and len(models) > 1:
        chunks = chunked(conn, models, updater)
        outcomes = conn.transport.map(lambda c: updater.update_chunk(conn, c, modifiers), chunks,
                                      desc=f"updating {resource.model_name}s")
        return fan_out(chunks, outcomes)
    return _each(conn, lambda m: updater.update(conn, m, m.changes(), modifiers), models,
                 f"updating {resource.model_name}s")


def delete_many(conn: "Connection", resource: Resource[Any], models: Sequence["Model"]) -> Errors:
    deleter = resource.require(Delete)
    resource.prepare(conn, models, "delete")
    if isinstance(deleter, BulkDelete) and len(models) > 1:
        chunks = chunked(conn, models, deleter)
        outcomes = conn.transport.map(lambda c: deleter.delete_chunk(conn, c), chunks,
                                      desc=f"deleting {resource.model_name}s")
        return fan_out(chunks, outcomes)
    return _each(conn, lambda m: deleter.delete(conn, m), models, f"deleting {resource.model_name}s")
