"""The rules of Clio reads and writes that the resource declarations share: which version a
write goes to, keying an annotation by its body, whether a written record landed, and the
``show_extra`` companions a read keeps."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from ...models import Annotation
from ...core.backend import check_id
from . import converter as cv

#: What ``show_extra`` takes: the companions a read keeps (clio-py's values).
SHOW_EXTRA = ("user", "time", "all")


def _show(show_extra: str | None) -> dict[str, str]:
    """``show=`` for a read that keeps the ``<field>_user``/``<field>_time`` companions."""
    if show_extra is None:
        return {}
    if show_extra not in SHOW_EXTRA:
        raise ValueError(f"show_extra={show_extra!r}: one of {', '.join(map(repr, SHOW_EXTRA))} (or None)")
    return {"show": show_extra}


def _at(version: str | None, modifiers: Mapping[str, Any] | None, models: Sequence[Annotation]) -> dict[str, Any]:
    """The modifiers of a write at ``version``; the annotations remember it (in ``extra``), so
    that later writes, deletes and settling reads of them go to the same version."""
    for model in models:
        if version:
            model.extra[cv.VERSION] = version
    return {**(modifiers or {}), "version": version} if version else dict(modifiers or {})


def _key_by_target(model: Annotation) -> None:
    """On Clio the annotation's id is its single target, the body id."""
    if model.id is None and model.targets and len(model.targets) == 1:
        model.id = check_id(model.targets[0], int, "body id")


def _matches(properties: Mapping[str, Any] | None, key: str, value: Any) -> bool:
    have = (properties or {}).get(key)
    wanted = value if isinstance(value, list) else [value]
    return have in wanted


def _landed(stored: Annotation | None, record: Mapping[str, Any], protected: set[str]) -> bool:
    if stored is None:
        return all(v is None for k, v in record.items() if k != "bodyid")
    props = stored.properties or {}
    for key, value in record.items():
        if key == "bodyid" or key in protected:
            continue
        if value is None:
            if key in props:
                return False
        elif props.get(key) != value:
            return False
    return True
