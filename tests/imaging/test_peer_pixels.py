"""The Cytomine Python client reads the bundled server's pixels (skipped unless
NEUROMODELS_CYTOMINE_PYTHON names a Python with cytomine-python-client)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from neuromodels.imaging import decode
from neuromodels.testing import serve
from neuromodels.testing import synthetic_image as si

CLIENT_PYTHON = os.environ.get("NEUROMODELS_CYTOMINE_PYTHON")


@pytest.mark.skipif(not CLIENT_PYTHON, reason="set NEUROMODELS_CYTOMINE_PYTHON to a Python with cytomine-python-client")
def test_cytomine_client_downloads_windows_crops_masks_thumbnails(tmp_path):
    script = Path(__file__).with_name("cytomine_client_pixels.py")
    with serve("cytomine") as server:
        out = subprocess.run([CLIENT_PYTHON, str(script), server.url, server.public_key, server.private_key,
                              str(server.project), str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    image_id, height, ok = out.stdout.strip().splitlines()[-1].split()
    assert ok == "True"
    read = {name: decode((tmp_path / f"{name}.png").read_bytes()) for name in ("window", "window-zoom", "crop", "mask")}
    expected = si.region(100, 200, 300, 150, out_width=150, out_height=75, channels=3)
    np.testing.assert_array_equal(read["window"], expected)
    np.testing.assert_array_equal(read["window-zoom"], expected)
    np.testing.assert_array_equal(read["crop"], si.region(100, int(height) - 232, 64, 32, channels=3))
    assert read["mask"].shape == (32, 64) and read["mask"].all()
    assert (tmp_path / "thumb.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
