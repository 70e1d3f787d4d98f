"""Importing an optional package on first use, with an error that says what to install."""

from __future__ import annotations

import importlib
from types import ModuleType

#: The distribution's name on PyPI. ``neuromodels`` there is an unrelated project, so the package is
#: distributed as ``neuromodels-client`` (setup.cfg ``name``); the import name stays ``neuromodels``.
DISTRIBUTION = "neuromodels-client"

#: Optional package -> the extra of neuromodels that installs it.
EXTRAS = {"navis": "navis", "trimesh": "trimesh", "dask": "dask"}


def install_hint(extra: str) -> str:
    """The command that installs one extra, from the package index or from a checkout.

    >>> install_hint("navis")
    "pip install 'neuromodels-client[navis]' (in a checkout: pip install '.[navis]')"
    """
    return f"pip install '{DISTRIBUTION}[{extra}]' (in a checkout: pip install '.[{extra}]')"


class MissingExtra(ImportError):
    """An optional package a conversion needs is not installed.

    >>> str(MissingExtra("navis"))
    "this needs navis, which is not installed: pip install 'neuromodels-client[navis]' (in a checkout: pip install '.[navis]')"
    """

    def __init__(self, package: str) -> None:
        extra = EXTRAS.get(package, package)
        super().__init__(f"this needs {package}, which is not installed: {install_hint(extra)}", name=package)
        self.package = package


def require(package: str) -> ModuleType:
    """Import ``package`` now, or raise :class:`MissingExtra` naming the extra to install.

    >>> require("json").__name__
    'json'
    """
    try:
        return importlib.import_module(package)
    except ImportError as e:
        if e.name is not None and e.name.split(".")[0] != package:
            raise  # the package is there but one of its own imports failed: show that error
        raise MissingExtra(package) from e
