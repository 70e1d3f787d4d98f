"""Reference points and sampling plans: ``Landmark``, ``LandmarkGroup`` and ``Sampler`` (CATMAID;
other backends raise :class:`~neuromodels.NotSupported` with the reason).

A landmark is a named point type (e.g. "commissure entry") with one location per place it was
marked; a landmark group gathers landmarks (e.g. one hemisphere's) and the locations that belong
to the group, which is what CATMAID uses to mirror or transform skeletons between groups. A
sampler divides a neuron's arbor into intervals of a given cable length for reviewing or
sampling synapses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
import pandas as pd

from .core.capabilities import M, Resource, capability
from .core.collection import Collection
from .core.model import Model, model

if TYPE_CHECKING:
    from .connection import Connection


@attrs.frozen
class Location:
    """One marked point (a value, not a savable model): its server id and coordinates."""

    id: int | None
    x: float
    y: float
    z: float


def _locations(value: Any) -> Any:
    if value is None:
        return None
    result = []
    for item in value:
        if isinstance(item, Location):
            result.append(item)
        elif isinstance(item, dict):
            result.append(Location(item.get("id"), float(item["x"]), float(item["y"]), float(item["z"])))
        elif isinstance(item, (tuple, list)) and len(item) == 3:
            result.append(Location(None, float(item[0]), float(item[1]), float(item[2])))
        else:
            raise TypeError(f"a location is a Location, a dict with x, y, z or an (x, y, z) triple, not {item!r}")
    return result


@capability
class SamplerDomains(Resource[M]):
    """The domains (arbor parts) of a sampler."""

    operation = "read the domains of"

    def domains(self, conn: "Connection", model: M) -> pd.DataFrame:
        raise NotImplementedError


@model
class Landmark(Model):
    """A named landmark with its locations. On CATMAID, ``save()`` creates it and marks its
    locations; adding locations to a loaded landmark and ``update()`` marks the new ones.

    >>> lm = Landmark(name="doc landmark", locations=[(100.0, 200.0, 30.0)]).save()
    >>> [(p.x, p.y, p.z) for p in Landmark.fetch(lm.id).locations]
    [(100.0, 200.0, 30.0)]
    >>> lm.delete()
    """

    name: str | None = None
    locations: list[Location] | None = attrs.field(default=None, converter=_locations)
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@model
class LandmarkGroup(Model):
    """A group of landmarks (``members``: their ids) with the locations linked to the group.

    >>> lm = Landmark(name="doc member", locations=[(1.0, 2.0, 3.0)]).save()
    >>> group = LandmarkGroup(name="doc group", members=[lm.id]).save()
    >>> LandmarkGroup.fetch(group.id).members == [lm.id]
    True
    >>> group.delete(); lm.delete()
    """

    name: str | None = None
    members: list[int] | None = None
    locations: list[Location] | None = attrs.field(default=None, converter=_locations)
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@model
class Sampler(Model):
    """A sampler on a neuron (``neuron``: its skeleton id): intervals of ``interval_length``
    (nm, give or take ``interval_error``) for reviewing or sampling an arbor.

    >>> n = Neuron.from_swc("1 1 0 0 0 1 -1\\n2 3 10 0 0 1 1\\n", name="sampled").save()
    >>> s = Sampler(neuron=n.id, interval_length=2000).save()
    >>> [x.id for x in SamplerCollection(neuron=n.id).fetch()] == [s.id]
    True
    >>> s.domains().empty, NeuronCollection([n]).sampler_counts().tolist()
    (True, [1])
    >>> s.delete(); n.delete()
    """

    neuron: int | None = None
    interval_length: float | None = None
    interval_error: float | None = None
    leaf_segment_handling: str | None = None
    merge_limit: float | None = None
    review_required: bool | None = None
    create_interval_boundaries: bool | None = None
    sampler_state: int | None = None
    user_id: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    def domains(self, *, connection: "Connection | None" = None) -> pd.DataFrame:
        """The sampler's domains: ``domain_id``, ``type_id``, ``start_node_id``, ``end_node_ids``,
        ``parent_interval_id``, ``user_id``, ``created`` (UTC)."""
        conn, resource = self._resource(connection)
        if self.id is None:
            raise ValueError("domains() needs a stored sampler (this one has no id; save() it first)")
        return resource.require(SamplerDomains).domains(conn, self)


class LandmarkCollection(Collection[Landmark]):
    """Landmarks of the project (with their locations).

    >>> LandmarkCollection(name="no such landmark").fetch()
    <LandmarkCollection of 0 Landmarks name='no such landmark'>
    """

    model = Landmark


class LandmarkGroupCollection(Collection[LandmarkGroup]):
    """Landmark groups of the project (with members and locations)."""

    model = LandmarkGroup


class SamplerCollection(Collection[Sampler]):
    """Samplers of the project, or of some neurons (``neuron=``)."""

    model = Sampler
