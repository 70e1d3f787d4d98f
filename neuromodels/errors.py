"""The exception tree, at the import path users know (``from neuromodels.errors import NotFound``);
it lives in :mod:`neuromodels.core.errors`."""

from .core.errors import *  # noqa: F401,F403
from .core.errors import STATUS_ERRORS, error_for_status  # noqa: F401
