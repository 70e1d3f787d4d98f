"""What every copy is made of: the origin it remembers, coordinate transforms, the report, and
the job that saves copies in bulk on the target."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence, TypeVar
from urllib.parse import urlsplit, urlunsplit

import attrs
import numpy as np

if TYPE_CHECKING:
    from ..connection import Connection
    from ..core.model import Model


log = logging.getLogger("neuromodels")
MT = TypeVar("MT", bound="Model")

MARKER_PREFIX = "copied from "
_MARKER = re.compile(r"^copied from (?P<source>\S+)#(?P<kind>[a-z_]+)/(?P<id>\S+)$")
#: Copies made with a transform say which (one annotation or comment line per transform, shared
#: by all copies made with it), so a copy made again with another transform is noticed.
TRANSFORM_PREFIX = "copy transform: "
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


def transform_label(transform: Any) -> str:
    """How a transform is written on copies: ``"none"`` for none (or the identity), the scale and
    offset of a :class:`Transform`, a function's qualified name (a named function's body is not
    compared; a lambda or a nested function adds a digest of its source and constants, since its
    name says nothing; values it captures are not compared).

    >>> transform_label(None), transform_label(Transform(scale=1000)), transform_label(Transform())
    ('none', 'scale 1000,1000,1000 offset 0,0,0', 'none')
    """
    if transform is None:
        return "none"
    if isinstance(transform, Transform):
        scale = np.broadcast_to(np.asarray(transform.scale, dtype=float), (3,))
        offset = np.broadcast_to(np.asarray(transform.offset, dtype=float), (3,))
        if (scale == 1).all() and (offset == 0).all():
            return "none"
        return f"scale {','.join(f'{v:g}' for v in scale)} offset {','.join(f'{v:g}' for v in offset)}"
    name = getattr(transform, "__qualname__", type(transform).__qualname__)
    label = f"function {getattr(transform, '__module__', '?')}.{name}"
    if "<lambda>" in name or "<locals>" in name:
        # A lambda's or a nested function's name says nothing of what it does (two lambdas share
        # it): its source and constants do.
        label += f" {_code_digest(transform)}"
    return label


def _code_digest(function: Any) -> str:
    """Eight hex digits from what a function says: its source where Python has it, its
    constants and the names it uses — never from values it captures or that change as it runs,
    nor from bytecode (which changes with the Python version), so the same function written the
    same way gives the same digest on every run."""
    import hashlib
    import inspect
    import types

    def constants(code: types.CodeType) -> list[str]:
        found: list[str] = []
        for value in code.co_consts:
            found += constants(value) if isinstance(value, types.CodeType) else [repr(value)]
        return found

    code = getattr(function, "__code__", None)
    if code is None:
        return hashlib.sha1(type(function).__qualname__.encode()).hexdigest()[:8]
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):  # defined where no source file is kept (an interactive prompt)
        source = ""
    text = "|".join([source, *constants(code), *code.co_names])
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def label_of(texts: Any) -> str:
    """The transform label among a copy's annotations or comment lines ("none" without one)."""
    for text in texts or []:
        if isinstance(text, str) and text.startswith(TRANSFORM_PREFIX):
            return text[len(TRANSFORM_PREFIX):].strip()
    return "none"


class TransformChanged(ValueError):
    """Copies on the target were made with another transform than this copy's; nothing was
    written. ``copy_to(..., update=True)`` deletes them and copies again.

    ``stale`` lists their origins; ``was`` the transforms they were made with, ``now`` this one.
    """

    def __init__(self, kind: str, stale: "list[Origin]", was: set[str], now: str) -> None:
        ids = ", ".join(str(o.id) for o in stale[:10]) + (" ..." if len(stale) > 10 else "")
        super().__init__(f"{len(stale)} {kind}(s) on the target were copied with transform {', '.join(sorted(was))!r}, "
                         f"not {now!r} (source ids {ids}); nothing was written. Pass update=True "
                         f"(neuromodels copy --update) to delete those copies and copy them again, "
                         f"or copy with the transform they were made with")
        self.stale, self.was, self.now = stale, was, now


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
    #: Copies made before with another transform, deleted and made again (``update=True``).
    recopied: list[Origin] = attrs.field(factory=list)
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
        if self.recopied:
            parts.append(f"{'would re-copy' if self.dry_run else 're-copied'} {len(self.recopied)} (transform changed)")
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
    update: bool = False
    #: How the transform is written on the copies: worked out once per copy.
    transform_label: str = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.transform_label = transform_label(self.transform)

    def stale(self, kind: str, found: "Mapping[int, tuple[Origin, str]]") -> set[int]:
        """Positions of copies found (position -> origin, transform label) made with another
        transform: refused (nothing written yet) unless ``update``."""
        now = self.transform_label
        stale = {i: (o, label) for i, (o, label) in found.items() if label != now}
        if stale and not self.update:
            raise TransformChanged(kind, [o for o, _ in stale.values()], {label for _, label in stale.values()}, now)
        return set(stale)

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


def _save(job: _Job, collection_class: type, models: Sequence["Model"], origins: Sequence[Origin]) -> list[bool]:
    """Save models on the target in one collection save; per model whether it is stored.
    Per-item refusals are recorded as failures; a server that stops answering stops the copy."""
    from ..core.errors import PartialSaveError, ServerUnavailable

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


def _sort_found(job: _Job, kind: str, origins: Sequence[Origin], existing: Mapping[str, MT],
                label: Callable[[MT], str]) -> tuple[list[MT | None], list[int], set[int]]:
    """The copies already on the target (``existing``: by source id) that stay, the positions
    still to copy, and those among them made with another transform (refused unless
    ``update``; their old copies are deleted by :func:`_store_built`)."""
    made = {i: (o, label(existing[str(o.id)])) for i, o in enumerate(origins) if str(o.id) in existing}
    stale = job.stale(kind, made)
    copies: list[MT | None] = [None] * len(origins)
    todo = []
    for i, origin in enumerate(origins):
        if i in made and i not in stale:
            copies[i] = _mark(existing[str(origin.id)], origin)
            job.report.existing.append(origin)
        else:
            todo.append(i)
    return copies, todo, stale


def _store_built(job: _Job, collection_class: type, built: Sequence[tuple[int, MT]], origins: Sequence[Origin],
                 copies: list[MT | None], stale: set[int], replaced: Sequence["Model"] = ()) -> list[MT]:
    """Save the copies built (position, copy) after deleting the stale ones they replace, mark
    them and report them (a dry run only reports); the copies in source order."""
    if not job.dry_run:
        if replaced:
            collection_class(list(replaced)).delete(connection=job.target)
        stored = _save(job, collection_class, [c for _, c in built], [origins[i] for i, _ in built])
    else:
        stored = [True] * len(built)
    for (i, copy), ok in zip(built, stored):
        if ok:
            copies[i] = _mark(copy, origins[i])
            (job.report.recopied if i in stale else job.report.created).append(origins[i])
    return [c for c in copies if c is not None]


def _create_all(job: _Job, collection_class: type, models: Sequence["Model"], origins: Sequence[Origin]) -> None:
    """Save new copies (a dry run only counts them) and report those stored as created."""
    stored = [True] * len(models) if job.dry_run else _save(job, collection_class, models, origins)
    job.report.created.extend(o for o, ok in zip(origins, stored) if ok)
