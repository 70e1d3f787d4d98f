"""What to_dask rests on, without dask: the import stays light, the connection recipe pickles
and never shows its credentials."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest

from neuromodels import NeuronCollection
from neuromodels.distributed import ConnectionRecipe, Sealed
from neuromodels.testing import connect, serve


def test_import_neuromodels_never_imports_dask():
    code = "import sys, neuromodels; from neuromodels import NeuronCollection; print('dask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"


def test_recipe_pickles_without_showing_credentials():
    from neuromodels import Connection

    conn = Connection("http://127.0.0.1:9", backend="cytomine", public_key="pub-123", private_key="priv-456")
    recipe = pickle.loads(pickle.dumps(ConnectionRecipe.of(conn)))
    assert "priv-456" not in repr(recipe) and "pub-123" not in repr(recipe) and repr(Sealed({"a": "b"})) == "Sealed('***')"
    ConnectionRecipe._driver.clear()  # as in a worker process: the connection is made from the recipe
    made = recipe.connect()
    assert made is not conn and made.keys == ("pub-123", "priv-456") and made.url == conn.url


def test_without_dask_to_dask_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    with serve("catmaid") as server, connect(server):
        with pytest.raises(ImportError, match=r"pip install 'neuromodels-client\[dask\]'"):
            NeuronCollection(annotation="PN").to_dask()
