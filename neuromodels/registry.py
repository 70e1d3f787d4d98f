"""Which backends there are: the entry-point group ``neuromodels.backends`` (the shipped ones
are declared in the package's own metadata), :func:`register_backend` at run time (for test
backends, or a backend living in a script), and the shipped ones for a source tree never
installed."""

from __future__ import annotations

import difflib
import importlib
from functools import lru_cache
from typing import Any, Callable

from .backends import BUILTIN
from .core.backend import Backend
from .core.errors import NotSupported

#: The entry-point group backends are declared in.
ENTRY_POINT_GROUP = "neuromodels.backends"
#: Backends by module path (``name -> "package.module"`` whose ``BACKEND`` is the class), looked
#: at after :func:`register_backend` and the entry points: the backends this package ships, for a source tree run without installing it (installed, the
#: ``neuromodels.backends`` entry points name them, as they name any other package's).
BACKENDS: dict[str, str] = dict(BUILTIN)
_registered: dict[str, "Callable[[], Backend] | str"] = {}


# -- backends --------------------------------------------------------------------------------------
def register_backend(name: str, factory: "Callable[[], Backend] | str") -> None:
    """Make a backend available as ``Connection(..., backend=name)`` without an installed
    package: ``factory`` is a :class:`~neuromodels.core.backend.Backend` subclass (or any
    callable returning a backend), or ``"module:attribute"``.

    Installed packages declare theirs instead in the ``neuromodels.backends`` entry-point
    group (``mylab = mylab.neuromodels:MyBackend``).

    >>> from neuromodels.core.backend import Backend
    >>> class Mine(Backend):
    ...     name = "mine"
    >>> register_backend("mine", Mine)
    >>> Connection("http://127.0.0.1:9", backend="mine").backend.name
    'mine'
    """
    if not isinstance(name, str) or not name:
        raise TypeError("a backend name is a non-empty string")
    _registered[name] = factory


@lru_cache(maxsize=1)
def _entry_points() -> dict[str, str]:
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available_backends() -> list[str]:
    """The names ``backend=`` accepts."""
    return sorted({*_entry_points(), *_registered, *BACKENDS})


def _load(target: str) -> Any:
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name.strip())
    if not attribute:
        return module.BACKEND
    value: Any = module
    for part in attribute.strip().split("."):
        value = getattr(value, part)
    return value


def load_backend(name: str) -> Backend:
    """A fresh backend object for ``name`` (registered, an entry point, or :data:`BACKENDS`)."""
    target: Any = _registered.get(name) or _entry_points().get(name) or BACKENDS.get(name)
    if target is None:
        hint = difflib.get_close_matches(name, available_backends(), n=1) if isinstance(name, str) else []
        extra = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise ValueError(f"unknown backend {name!r}{extra}; the backends are: {', '.join(available_backends())}")
    if isinstance(target, str):
        try:
            target = _load(target)
        except ModuleNotFoundError:
            message = f"the {name} backend is not part of this version of neuromodels"
        else:
            return target()  # type: ignore[no-any-return]
        raise NotSupported(message)
    backend = target()
    if not isinstance(backend, Backend):
        raise TypeError(f"the factory registered for backend {name!r} did not return a Backend")
    return backend


def declarations(attribute: str, names: "list[str] | None" = None) -> list[tuple[str, Any]]:
    """``(name, value)`` of what each backend (``names``, else every available one) declares
    under ``attribute`` (its identity, another client's environment ...); backends declaring
    nothing, or that cannot be loaded (their error comes when they are used), are left out."""
    found = []
    for name in available_backends() if names is None else names:
        try:
            value = getattr(load_backend(name), attribute)
        except Exception:  # noqa: BLE001 - see above
            continue
        if value is not None:
            found.append((name, value))
    return found

