"""A region entirely outside the image is the same error on every backend (a ValueError, before
any request), not silent zeros; the docs say the bundled CATMAID serves tiles, consistently."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neuromodels import ImageInstance, ImageInstanceCollection
from neuromodels.imaging import Region, check_inside
from neuromodels.testing import connect, serve

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("backend", ["catmaid", "cytomine"])
def test_a_region_entirely_outside_is_a_value_error(backend):
    with serve(backend) as server, connect(server, progress=False):
        image = ImageInstanceCollection().fetch()[0] if backend == "cytomine" else ImageInstance.fetch(1)
        before = server.requests
        with pytest.raises(ValueError, match=r"lies entirely outside the image \(\d+ x \d+ pixels\)"):
            image.read_region(image.width + 10, 0, 64, 64)
        with pytest.raises(ValueError, match="entirely outside"):
            image.read_region(0, image.height, 64, 64)
        assert server.requests == before
        edge = image.read_region(image.width - 8, 0, 16, 16)  # partly outside: zeros beyond the edge
        assert edge.shape[:2] == (16, 16) and not np.any(edge[:, 8:])


def test_catmaid_checks_the_stack_info_when_the_model_has_no_size():
    with serve("catmaid") as server, connect(server, progress=False):
        bare = ImageInstance(id=1)
        bare.mark_clean()
        with pytest.raises(ValueError, match="entirely outside"):
            bare.read_region(5000, 5000, 10, 10)


def test_check_inside():
    check_inside(Region(0, 0, 5, 5, 0, 1.0), 10, 10)
    check_inside(Region(99, 99, 5, 5, 0, 1.0), None, None)  # size unknown: the server decides
    with pytest.raises(ValueError):
        check_inside(Region(10, 0, 5, 5, 0, 1.0), 10, 10)


def test_the_pages_agree_that_the_bundled_catmaid_serves_tiles():
    howto = (DOCS / "howto-pymaid-offline.rst").read_text(encoding="utf-8")
    images = (DOCS / "images.rst").read_text(encoding="utf-8")
    assert "does not serve" not in howto and "serves its tiles itself" in howto
    assert "CATMAID serves its tiles as PNG" in images
