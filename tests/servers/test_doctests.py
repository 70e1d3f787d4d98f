"""The examples in the bundled servers' docstrings run (tests/docs skips neuromodels.testing)."""

import doctest
import importlib

import pytest

MODULES = ["neuromodels.testing", "neuromodels.testing.harness", "neuromodels.testing.catmaid"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
