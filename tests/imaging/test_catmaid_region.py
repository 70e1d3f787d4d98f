"""read_region on CATMAID: tiles of every supported source type assembled pixel for pixel."""

from __future__ import annotations

import numpy as np
import pytest

from neuromodels import Connection, ImageInstance, NotSupported, ProtocolError
from neuromodels.imaging import MissingTilesWarning
from neuromodels.testing import Fault, connect, serve
from neuromodels.testing import synthetic_image as si


@pytest.fixture(scope="module")
def server():
    with serve("catmaid") as s:
        yield s


@pytest.fixture
def stack(server):
    with connect(server, progress=False):
        yield ImageInstance.fetch(1)


def tile_requests(server):
    return [path for method, path in server.log if path.startswith("/tiles/")]


@pytest.mark.parametrize("mirror, kind", [(0, 1), (1, 4), (2, 5)])
def test_read_across_tile_borders_is_the_synthetic_image(server, stack, mirror, kind):
    assert stack.extra["mirrors"][mirror]["tile_source_type"] == kind
    size = stack.extra["mirrors"][mirror]["tile_width"]
    # A region crossing two tile borders each way, not aligned to any tile.
    x, y, w, h = size - 37, 2 * size - 5, size + 80, size + 11
    server.log.clear()
    region = stack.read_region(x, y, w, h, z=7, mirror=mirror)
    assert region.shape == (h, w) and region.dtype == np.uint8
    np.testing.assert_array_equal(region, si.region(x, y, w, h, z=7))
    # Exactly the 3 x 3 tiles under the region, each once, in this mirror's URL layout.
    paths = tile_requests(server)
    assert len(paths) == len(set(paths)) == 9
    assert all(p.startswith(f"/tiles/1/type{kind}/") for p in paths)


def test_other_slices_differ(stack):
    assert not np.array_equal(stack.read_region(0, 0, 64, 64, z=0), stack.read_region(0, 0, 64, 64, z=1))


# 1/16 would be zoom 4, but the pyramid ends at 3: there the 4096-pixel slice fits in 512-pixel tiles.
@pytest.mark.parametrize("scale, zoom", [(0.5, 1), (0.25, 2), (1 / 16, 3)])
def test_power_of_two_scales_use_that_zoom_level(server, stack, scale, zoom):
    x, y, w, h = 1024, 512, 2048, 1024
    server.log.clear()
    region = stack.read_region(x, y, w, h, scale=scale)
    assert region.shape == (round(h * scale), round(w * scale))
    np.testing.assert_array_equal(region, si.region(x, y, w, h, out_width=region.shape[1], out_height=region.shape[0]))
    assert all(p.endswith(f"_{zoom}.png") for p in tile_requests(server))


def test_other_scales_take_the_finer_level_and_the_nearest_pixel(server, stack):
    x, y, w, h, scale = 301, 77, 1000, 500, 0.3          # zoom 1 (0.5 >= 0.3 > 0.25)
    server.log.clear()
    region = stack.read_region(x, y, w, h, scale=scale)
    out_w, out_h = round(w * scale), round(h * scale)
    cols = (si.sample(x, w, out_w) >> 1) << 1
    rows = (si.sample(y, h, out_h) >> 1) << 1
    np.testing.assert_array_equal(region, si.pixels(cols, rows))
    assert tile_requests(server) and all(p.endswith("_1.png") for p in tile_requests(server))


def test_the_whole_slice_4096_squared(stack):
    region = stack.read_region(0, 0, 4096, 4096, z=3)
    assert region.shape == (4096, 4096)
    np.testing.assert_array_equal(region[::97, ::89], si.region(0, 0, 4096, 4096, z=3)[::97, ::89])


def test_beyond_the_edge_is_zero_without_asking(server, stack):
    server.log.clear()
    region = stack.read_region(4000, 4090, 200, 10)
    np.testing.assert_array_equal(region[:6, :96], si.region(4000, 4090, 96, 6))
    assert not region[6:].any() and not region[:, 96:].any()
    assert len(tile_requests(server)) == 1


def test_missing_tiles_are_zeros_with_a_warning(server):
    fault = Fault(kind="status", status=404, path=r"^/tiles/1/type1/0/0_1_0\.png$", times=100)
    with serve("catmaid", faults=[fault]) as s, connect(s, progress=False):
        with pytest.warns(MissingTilesWarning, match="1 of 2 tiles"):
            region = ImageInstance.fetch(1).read_region(500, 0, 30, 10)
    np.testing.assert_array_equal(region[:, :12], si.region(500, 0, 12, 10))
    assert not region[:, 12:].any()


def test_a_body_that_is_not_an_image_is_a_protocol_error():
    from werkzeug.wrappers import Response

    with serve("catmaid") as s, connect(s, progress=False, retries=0):
        s._app.tile = lambda *args: Response(b"<html>maintenance</html>", content_type="image/png")
        stack = ImageInstance.fetch(1)
        with pytest.raises(ProtocolError, match="not an image") as info:
            stack.read_region(0, 0, 10, 10)
    assert info.value.path == "/tiles/1/type1/0/0_0_0.png"


def test_tiles_on_another_host_are_fetched_without_credentials(server, stack):
    tokens = []
    with serve("catmaid") as tile_host:
        app = tile_host._app

        def spy(request):  # what reaches the tile host, headers included
            if request.path.startswith("/tiles/"):
                tokens.append(request.headers.get("X-Authorization"))
            return app(request)

        tile_host._app = spy
        stack.extra["mirrors"] = [{**m, "image_base": m["image_base"].replace(server.url, tile_host.url)}
                                  for m in stack.extra["mirrors"]]
        region = stack.read_region(10, 10, 600, 20, connection=connect(server, progress=False))
    np.testing.assert_array_equal(region, si.region(10, 10, 600, 20))
    assert tokens == [None, None]


def test_tiles_on_the_servers_own_origin_go_with_its_credentials(server, stack):
    tokens, app = [], server._app

    def spy(request):
        if request.path.startswith("/tiles/"):
            tokens.append(request.headers.get("X-Authorization"))
        return app(request)

    server._app = spy
    try:
        stack.read_region(0, 0, 10, 10)
    finally:
        server._app = app
    assert tokens == [f"Token {server.token}"]


def test_arguments_are_checked_before_any_request():
    conn = Connection("http://127.0.0.1:9", backend="catmaid", project=1, token="x", retries=0)
    image = ImageInstance(id=1)
    for bad, error in [(dict(scale=0), ValueError), (dict(scale=1.5), ValueError), (dict(scale="1"), TypeError),
                       (dict(z=-1), ValueError)]:
        with pytest.raises(error):
            image.read_region(0, 0, 10, 10, connection=conn, **bad)
    with pytest.raises(ValueError):
        image.read_region(0, 0, 0, 10, connection=conn)
    with pytest.raises(TypeError):
        image.read_region(0.5, 0, 10, 10, connection=conn)


def test_z_beyond_the_stack_and_unknown_mirror(stack):
    with pytest.raises(ValueError, match="500 slices"):
        stack.read_region(0, 0, 10, 10, z=500)
    with pytest.raises(ValueError, match="no mirror 99"):
        stack.read_region(0, 0, 10, 10, mirror=99)


def test_unreadable_tile_sources_are_refused(stack):
    stack.extra["mirrors"] = [{**stack.extra["mirrors"][0], "tile_source_type": 6}]
    with pytest.raises(NotSupported, match="type"):
        stack.read_region(0, 0, 10, 10)


def test_servers_without_images_say_why():
    with serve("neuromorpho") as s, connect(s):
        with pytest.raises(NotSupported):
            ImageInstance(id=1).read_region(0, 0, 10, 10)


def test_an_image_not_yet_fetched_reads_its_stack_info_first(server):
    with connect(server, progress=False):
        server.log.clear()
        region = ImageInstance(id=1).read_region(510, 3, 4, 2)
    np.testing.assert_array_equal(region, si.region(510, 3, 4, 2))
    assert [p for _, p in server.log][0] == "/1/stack/1/info" and len(server.log) == 3
