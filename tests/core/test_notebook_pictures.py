"""Pictures in notebooks: in a real Jupyter kernel, a neuron shows its 2-D projection (inline
SVG), a Cytomine annotation its crop (a PNG), other annotations their geometry (SVG), a
collection a table with counts; the page, rendered by headless Chromium, shows them.

The kernel part is skipped without jupyter_client/ipykernel, the rendering part without a
``chromium`` binary (Debian's package)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neuromodels.notebook import CABLE, SOMA
from neuromodels.testing import serve

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")

SWC = "1 1 0 0 0 8 -1\n2 3 400 150 0 1 1\n3 3 800 0 0 1 2\n4 3 800 300 0 1 3\n5 3 400 -200 0 1 2\n"


@pytest.fixture(scope="module")
def kernel():
    from jupyter_client.manager import start_new_kernel

    try:
        manager, client = start_new_kernel(kernel_name="python3", startup_timeout=60)
    except Exception as e:  # noqa: BLE001 - no usable kernel here: skip, never fail
        pytest.skip(f"no Jupyter kernel could start ({type(e).__name__})")
    yield client
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def shown(client: Any, code: str) -> dict[str, Any]:
    """Run one cell: the mime bundle Jupyter would display for its result, and its error."""
    cell: dict[str, Any] = {"data": {}, "error": None}

    def hook(message: dict[str, Any]) -> None:
        kind, content = message["msg_type"], message["content"]
        if kind in ("execute_result", "display_data"):
            cell["data"] = content["data"]
        elif kind == "error":
            cell["error"] = f"{content['ename']}: {content['evalue']}"

    client.execute_interactive(code, timeout=120, output_hook=hook)
    return cell


@pytest.fixture(scope="module")
def pictures(kernel):
    """The HTML Jupyter shows for a neuron, a collection, a Cytomine annotation and a geometry."""
    with serve("catmaid") as catmaid, serve("cytomine") as cytomine:
        setup = shown(kernel, (
            "from neuromodels import Connection, Neuron, NeuronCollection, Annotation, ImageInstanceCollection\n"
            "from shapely.geometry import box\n"
            f"cat = Connection({catmaid.url!r}, backend='catmaid', project={catmaid.project}, token={catmaid.token!r},"
            " progress=False)\n"
            f"cyto = Connection({cytomine.url!r}, backend='cytomine', project={cytomine.project}, "
            f"public_key={cytomine.public_key!r}, private_key={cytomine.private_key!r}, progress=False)\n"
            "with cat:\n"
            f"    pn = Neuron.from_swc({SWC!r}, name='PN <b>1</b>', annotations=['PN'], tags={{'soma': [1]}}).save()\n"
            "    Neuron.from_swc('1 1 0 0 0 1 -1\\n2 3 50 50 0 1 1\\n', name='PN 2', annotations=['PN']).save()\n"
            "with cyto:\n"
            "    image = ImageInstanceCollection().fetch()[0]\n"
            "    cell = Annotation(geometry=box(100, 200, 228, 264), image=image.id).save()\n"
            "None"))
        assert setup["error"] is None, setup["error"]
        out = {}
        for name, code in (("neuron", "cat.activate()\nn = Neuron.fetch(pn.id)\nn"),
                           ("collection", "pns = NeuronCollection(annotation='PN').fetch()\npns"),
                           ("crop", "cat.deactivate()\ncyto.activate()\ncell"),
                           ("geometry", "cyto.deactivate()\nAnnotation(geometry=box(0, 0, 40, 20))")):
            cell = shown(kernel, code)
            assert cell["error"] is None, cell["error"]
            out[name] = cell["data"]
        yield out


def test_a_neuron_is_its_projection(pictures):
    html = pictures["neuron"]["text/html"]
    assert html.count("<svg") == 1 and "<path" in html and f'stroke="{CABLE}"' in html
    assert f'fill="{SOMA}"' in html  # the soma tag drawn
    assert "PN &lt;b&gt;1&lt;/b&gt;" in html and "<b>1</b>" not in html  # names are text
    assert "5 nodes" in html and "nanometer" in html


def test_a_collection_is_a_table_with_counts(pictures):
    html = pictures["collection"]["text/html"]
    assert "<table" in html and "2 Neurons" in html and "7 nodes in 2 loaded" in html
    assert html.count("<svg") == 2 and html.count("<tr>") == 3


def test_a_cytomine_annotation_is_its_crop(pictures):
    html = pictures["crop"]["text/html"]
    assert 'src="data:image/png;base64,' in html and 'width="128" height="64"' in html


def test_an_annotation_elsewhere_is_its_geometry(pictures):
    html = pictures["geometry"]["text/html"]
    assert "<svg" in html and "<path" in html and "data:image" not in html


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no chromium binary (apt-get install chromium)")


def headless(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}"]
    return subprocess.run([browser, *flags, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOME": str(profile)})


def test_chromium_shows_the_pictures(pictures, tmp_path):
    browser = chromium()
    page = tmp_path / "notebook.html"
    cells = "".join(f"<div id='{name}' style='margin:8px'>{bundle['text/html']}</div>" for name, bundle in pictures.items())
    check = ("<script>window.addEventListener('load', () => {"
             "const imgs = [...document.images]; document.body.dataset.loaded ="
             " imgs.filter(i => i.complete && i.naturalWidth > 0).length + '/' + imgs.length;"
             "document.body.dataset.svgs = document.querySelectorAll('svg path, svg circle').length; });</script>")
    page.write_text(f"<!doctype html><html><body style='background:white'>{cells}{check}</body></html>",
                    encoding="utf-8")
    dom = headless(browser, tmp_path / "profile-dom", "--virtual-time-budget=2000", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'data-loaded="1/1"' in dom.stdout  # the crop decoded as an image
    svgs = int(dom.stdout.split('data-svgs="')[1].split('"')[0])
    assert svgs >= 6  # cable paths and soma circles of the neuron and the table rows, the geometry

    shot = tmp_path / "shot.png"
    done = headless(browser, tmp_path / "profile-shot", "--window-size=900,1400", "--hide-scrollbars",
                    f"--screenshot={shot}", page.as_uri())
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)

    shutil.copy(shot, Path(os.environ.get("NEUROMODELS_SCREENSHOT", tmp_path / "kept.png")))

    def painted(hex_colour: str, tolerance: int = 60) -> int:
        rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
        return int((np.abs(pixels - rgb).sum(axis=2) < tolerance).sum())

    assert painted(CABLE) > 80  # the skeletons' cable (thin, antialiased lines) and the geometry
    assert painted(SOMA) > 20   # and the soma
