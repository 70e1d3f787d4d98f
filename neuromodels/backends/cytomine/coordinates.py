"""Cytomine's origin is the bottom-left corner of the image, y pointing up; most image tools
(numpy, PIL, napari...) put it top-left with y pointing down.

>>> from shapely.geometry import Point
>>> to_cytomine(Point(10, 0), image_height=100).wkt
'POINT (10 100)'
>>> from_cytomine(to_cytomine(Point(10, 0), 100), 100).wkt
'POINT (10 0)'
"""

from __future__ import annotations

from typing import Any

import shapely


def to_cytomine(geometry: Any, image_height: float) -> Any:
    """A geometry in image coordinates (origin top-left) -> Cytomine coordinates (bottom-left)."""
    return shapely.transform(geometry, lambda xy: xy * [1, -1] + [0, image_height])


def from_cytomine(geometry: Any, image_height: float) -> Any:
    """A geometry in Cytomine coordinates (origin bottom-left) -> image coordinates (top-left)."""
    return to_cytomine(geometry, image_height)  # the flip is its own inverse
