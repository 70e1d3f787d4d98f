"""read_region, crop and thumbnails on Cytomine: windows of the synthetic image, pixel for pixel."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from neuromodels import Annotation, ImageInstance, ImageInstanceCollection, NotFound, NotSupported
from neuromodels.imaging import decode
from neuromodels.testing import connect, serve
from neuromodels.testing import synthetic_image as si


@pytest.fixture(scope="module")
def server():
    with serve("cytomine") as s:
        yield s


@pytest.fixture
def conn(server):
    with connect(server, progress=False) as c:
        yield c


@pytest.fixture
def image(server, conn):
    return ImageInstanceCollection(project=server.project).fetch()[0]


def test_window_is_the_synthetic_image(server, image):
    server.log.clear()
    region = image.read_region(12345, 6789, 333, 222)
    assert region.shape == (222, 333, 3) and region.dtype == np.uint8
    np.testing.assert_array_equal(region, si.region(12345, 6789, 333, 222, channels=3))
    assert [p for _, p in server.log] == [f"/api/imageinstance/{image.id}/window-12345-6789-333-222.png"]


def test_scaled_window_asks_for_max_size(image):
    region = image.read_region(1000, 2000, 400, 300, scale=0.25)
    assert region.shape == (75, 100, 3)
    np.testing.assert_array_equal(region, si.region(1000, 2000, 400, 300, out_width=100, out_height=75, channels=3))


def test_windows_of_planes_the_image_lacks_are_not_found(image):
    # Other planes are read through their slice instance; this image has one plane only.
    with pytest.raises(NotFound, match="no slice at channel 0, z 1, time 0"):
        image.read_region(0, 0, 10, 10, z=1)


@pytest.fixture
def triangle(server, image):
    ann = Annotation(geometry=shapely.Polygon([(100, 200), (164, 200), (100, 232)]), image=image.id,
                     project=server.project).save()
    yield ann
    ann.delete()


def test_crop_is_the_bounding_box_with_y_flipped(image, triangle):
    crop = triangle.crop()
    assert crop.shape == (32, 64, 3)
    # Annotation y grows upwards: the box's top row is height - maxy.
    np.testing.assert_array_equal(crop, si.region(100, image.height - 232, 64, 32, channels=3))


def test_mask_is_the_annotation_over_its_box(triangle):
    mask = triangle.crop(mask=True)
    assert mask.shape == (32, 64) and mask.dtype == bool
    assert 0.45 < mask.mean() < 0.55                     # half the box
    assert mask[-1, 0] and not mask[0, -1]               # the right angle is at the bottom left


def test_scaled_crop_and_mask_stay_aligned(triangle):
    crop, mask = triangle.crop(scale=0.5), triangle.crop(scale=0.5, mask=True)
    assert crop.shape[:2] == mask.shape == (16, 32)


def test_crop_fetches_the_geometry_when_it_is_not_loaded(triangle):
    assert Annotation(id=triangle.id).crop().shape == (32, 64, 3)


def test_crop_arguments_are_checked(triangle):
    with pytest.raises(ValueError):
        triangle.crop(scale=0)
    with pytest.raises(TypeError):
        triangle.crop(mask="yes")


def test_thumbnail_is_the_whole_image_small(image):
    thumb = decode(image.thumbnail(max_size=128))
    assert max(thumb.shape[:2]) == 128 and thumb.shape[2] == 3
    out_w, out_h = si.scaled_size(image.width, image.height, 128)
    np.testing.assert_array_equal(thumb, si.region(0, 0, image.width, image.height, out_width=out_w,
                                                   out_height=out_h, channels=3))


def test_catmaid_annotations_cannot_be_cropped():
    with serve("catmaid") as s, connect(s):
        with pytest.raises(NotSupported, match="geometry"):
            Annotation(id=1, name="PN").crop()


def test_window_zoom_parameter_as_the_cytomine_client_sends_it(conn, image):
    from neuromodels.imaging import decode

    body = conn.transport.request("GET", f"/api/imageinstance/{image.id}/window-0-0-400-200.png",
                                  params={"zoom": 2}, parse=lambda r: r.content)
    np.testing.assert_array_equal(decode(body), si.region(0, 0, 400, 200, out_width=100, out_height=50, channels=3))
