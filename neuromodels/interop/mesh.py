"""Volumes as trimesh meshes (and navis volumes)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .optional import require

if TYPE_CHECKING:
    from ..models import Volume


class TrimeshVolumeMixin:
    """``Volume.to_trimesh()``, ``Volume.from_trimesh(mesh, name=...)`` and ``Volume.to_navis()``."""

    __slots__ = ()

    def to_trimesh(self, **options: Any) -> Any:
        """This volume's mesh as a ``trimesh.Trimesh`` (vertices and faces as they are; the
        name, id and comment in ``mesh.metadata``). ``options`` go to ``trimesh.Trimesh``.

        >>> from neuromodels import Volume
        >>> tri = Volume(name="tri", vertices=[[0, 0, 0], [1, 0, 0], [0, 1, 0]], faces=[[0, 1, 2]])
        >>> mesh = tri.to_trimesh()
        >>> float(mesh.area), mesh.metadata["name"]
        (0.5, 'tri')
        """
        trimesh = require("trimesh")
        volume: Volume = self  # type: ignore[assignment]
        if volume.vertices is None or volume.faces is None:
            raise ValueError("this volume has no mesh loaded (Volume.fetch loads it)")
        options.setdefault("process", False)  # keep the vertices as they are
        mesh = trimesh.Trimesh(vertices=np.asarray(volume.vertices, dtype=float),
                               faces=np.asarray(volume.faces, dtype=np.int64), **options)
        mesh.metadata.update({"name": volume.name, "id": volume.id, "comment": volume.comment})
        return mesh

    def to_navis(self, **options: Any) -> Any:
        """This volume as a ``navis.Volume`` (a trimesh with a name), e.g. to prune neurons by.

        >>> from neuromodels import Volume
        >>> tri = Volume(name="LH", vertices=[[0, 0, 0], [1, 0, 0], [0, 1, 0]], faces=[[0, 1, 2]])
        >>> v = tri.to_navis()
        >>> type(v).__name__, v.name
        ('Volume', 'LH')
        """
        navis = require("navis")
        volume: Volume = self  # type: ignore[assignment]
        if volume.vertices is None or volume.faces is None:
            raise ValueError("this volume has no mesh loaded (Volume.fetch loads it)")
        return navis.Volume(np.asarray(volume.vertices, dtype=float), np.asarray(volume.faces, dtype=np.int64),
                            name=volume.name, id=volume.id, **options)

    @classmethod
    def from_trimesh(cls, mesh: Any, name: str | None = None, *, comment: str | None = None, **fields: Any) -> "Volume":
        """A new volume (no id, ready to ``save()``) from a ``trimesh.Trimesh`` — a
        ``navis.Volume`` too. The name defaults to the mesh's own.

        >>> import trimesh
        >>> from neuromodels import Volume
        >>> box = Volume.from_trimesh(trimesh.creation.box(extents=(1, 2, 3)), name="box")
        >>> box.id, box.name, box.vertices.shape, box.faces.shape
        (None, 'box', (8, 3), (12, 3))
        """
        vertices = getattr(mesh, "vertices", None)
        faces = getattr(mesh, "faces", None)
        if vertices is None or faces is None:
            raise TypeError(f"from_trimesh takes a mesh with vertices and faces, not {type(mesh).__name__}")
        metadata = getattr(mesh, "metadata", None) or {}
        if name is None:
            name = getattr(mesh, "name", None) or metadata.get("name")
        if comment is None:
            comment = metadata.get("comment")
        volume: Volume = cls(name=name, comment=comment, vertices=np.asarray(vertices, dtype=np.float64),  # type: ignore[call-arg,assignment]
                             faces=np.asarray(faces, dtype=np.int64), **fields)
        return volume
