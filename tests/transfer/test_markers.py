"""Markers, origins and transforms on their own."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import box

from neuromodels import Connection
from neuromodels.transfer import Origin, Transform, as_transform, source_name
from neuromodels.transfer.core import _transform_geometry


def test_source_name_has_no_credentials():
    conn = Connection("catmaid+https://alice:s3cret@catmaid.example.org/tracing/?x=1", project=3, token="t0ken")
    assert source_name(conn) == "https://catmaid.example.org/tracing/3"
    clio = Connection("http://127.0.0.1:9", backend="clio", project="VNC", version="v0.3.33", token="abc")
    assert source_name(clio) == "http://127.0.0.1:9/VNC@v0.3.33"


def test_markers_round_trip():
    origin = Origin("https://catmaid.example.org/3", "neuron", 16)
    assert Origin.parse(origin.marker) == Origin("https://catmaid.example.org/3", "neuron", "16")
    assert Origin.parse("copied from https://catmaid.example.org/3") is None  # the source-wide one
    assert Origin.parse("PN") is None and Origin.parse(None) is None


def test_transforms():
    xyz = np.array([[1.0, 2.0, 3.0]])
    assert as_transform(None) is None
    assert as_transform(2)(xyz).tolist() == [[2.0, 4.0, 6.0]]
    assert as_transform({"offset": (1, 0, 0)})(xyz).tolist() == [[2.0, 2.0, 3.0]]
    assert Transform(scale=2).radius_scale == 2.0 and Transform(scale=(1, 1, 2)).radius_scale is None
    moved = _transform_geometry(Transform(offset=(10, 20, 5)), box(0, 0, 1, 1))
    assert moved.bounds == (10.0, 20.0, 11.0, 21.0)
    with pytest.raises(ValueError, match="scale and offset"):
        as_transform({"rotate": 90})
    with pytest.raises(TypeError):
        as_transform("big")


def test_a_lambda_is_told_apart_by_what_it_does_and_a_closure_not_by_its_state():
    from neuromodels.transfer.core import transform_label

    double, triple = (lambda xyz: xyz * 2), (lambda xyz: xyz * 3)
    assert transform_label(double) != transform_label(triple)  # both are "<lambda>" by name
    calls = []

    def counting(xyz):
        calls.append(1)
        return xyz * 1000

    first = transform_label(counting)
    counting(np.zeros((1, 3)))
    assert transform_label(counting) == first  # what it captured changed; what it does did not
    assert transform_label(Transform(scale=2)) == "scale 2,2,2 offset 0,0,0"  # values keep their plain label
