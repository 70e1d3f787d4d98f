"""Capabilities of review and membership workflows, and the model methods they give.

``Annotation.review()``/``unreview()``, ``ImageInstance.start_review()``/``stop_review()``,
``ImageInstance.slices()``/``reference_slice()``, ``Project.add_member()``/``remove_member()``
and ``Annotation.dump()``/``AnnotationCollection.dump_crops()``. A backend without them raises
:class:`~neuromodels.NotSupported` with the reason from its ``not_supported`` table.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Sequence

from ..core.capabilities import M, Resource, capability

if TYPE_CHECKING:
    from ..connection import Connection


@capability
class Review(Resource[M]):
    """Reviewing annotations (Cytomine: a reviewed copy validated by a reviewer)."""

    operation = "review"

    def review(self, conn: "Connection", model: M, terms: Sequence[Any] | None) -> None:
        raise NotImplementedError

    def unreview(self, conn: "Connection", model: M) -> None:
        raise NotImplementedError


@capability
class ImageReview(Resource[M]):
    """Putting an image in review mode, and its slices."""

    operation = "review images of"

    def start_review(self, conn: "Connection", model: M) -> None:
        raise NotImplementedError

    def stop_review(self, conn: "Connection", model: M, cancel: bool) -> None:
        raise NotImplementedError

    def slices(self, conn: "Connection", model: M) -> list[Any]:
        raise NotImplementedError

    def reference_slice(self, conn: "Connection", model: M) -> Any:
        raise NotImplementedError


@capability
class Membership(Resource[M]):
    """Adding users to a project and removing them."""

    operation = "change the members of"

    def change_member(self, conn: "Connection", model: M, user: int, manager: bool, add: bool) -> None:
        raise NotImplementedError


@capability
class Dump(Resource[M]):
    """Writing crops of annotations to files."""

    operation = "dump crops of"

    def dump(self, conn: "Connection", model: M, path: str, options: dict[str, Any]) -> str:
        raise NotImplementedError


def _resource(model: Any, connection: "Connection | None") -> tuple["Connection", Resource[Any]]:
    from ..connection import Connection

    conn = Connection.current(connection)
    return conn, conn.backend.resource(type(model))


def _user_id(user: Any) -> int:
    ident = getattr(user, "id", user)
    if isinstance(ident, bool) or not isinstance(ident, int):
        raise TypeError(f"a user is given by id or as a user record, not {user!r}")
    return ident


class ReviewMixin:
    """``review``, ``unreview`` and ``dump`` on :class:`~neuromodels.Annotation`."""

    __slots__ = ()

    def review(self, terms: Sequence[Any] | None = None, *, connection: "Connection | None" = None) -> Any:
        """Validate this annotation as a reviewer (its image must be in review:
        ``ImageInstance.start_review()``); ``terms`` (ids or names) replace its terms in the
        reviewed copy. ``AnnotationCollection(reviewed=True)`` lists reviewed annotations.

        >>> image = ImageInstanceCollection().fetch()[0].start_review()
        >>> a = Annotation(geometry="POINT (20 20)", image=image.id).save().review(terms=["Tumor"])
        >>> len(AnnotationCollection(image=image.id, reviewed=True).fetch())
        1
        >>> _ = a.unreview(); _ = image.stop_review()
        """
        conn, resource = _resource(self, connection)
        resource.require(Review).review(conn, self, list(terms) if terms is not None else None)
        return self

    def unreview(self, *, connection: "Connection | None" = None) -> Any:
        """Withdraw the review of this annotation."""
        conn, resource = _resource(self, connection)
        resource.require(Review).unreview(conn, self)
        return self

    def dump(self, path: "str | os.PathLike[str]", *, mask: bool = False, alpha: bool = False, margin: float | None = None,
             zoom: int | None = None, max_size: int | None = None, connection: "Connection | None" = None) -> str:
        """Write this annotation's crop to ``path`` (``.png``, ``.jpg`` or ``.tif``): the image
        around it, or its ``mask``, or (``mask`` and ``alpha``) the image with the outside
        transparent (PNG). ``margin``: the box grown by this factor (1.5: half as large again);
        ``zoom``: a pyramid level; ``max_size``: the longest side. Returns the path.

        >>> import os, tempfile
        >>> image = ImageInstanceCollection().fetch()[0]
        >>> a = Annotation(geometry="POLYGON ((10 10, 40 10, 40 30, 10 10))", image=image.id).save()
        >>> path = a.dump(os.path.join(tempfile.mkdtemp(), "a.png"), mask=True, alpha=True, margin=1.2)
        >>> open(path, "rb").read(4)
        b'\\x89PNG'
        """
        options = {"mask": mask, "alpha": alpha, "margin": margin, "zoom": zoom, "max_size": max_size}
        for name in ("mask", "alpha"):
            if not isinstance(options[name], bool):
                raise TypeError(f"{name} must be True or False, not {options[name]!r}")
        if margin is not None and (isinstance(margin, bool) or not isinstance(margin, (int, float)) or margin < 1):
            raise ValueError(f"margin is a factor >= 1 (1.5: half as large again), not {margin!r}")
        for name in ("zoom", "max_size"):
            value = options[name]
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ValueError(f"{name} must be a whole number >= 0, not {value!r}")
        if alpha and not mask:
            raise ValueError("alpha=True makes the outside transparent: give mask=True too")
        if os.path.splitext(str(path))[1].lower() not in (".png", ".jpg", ".jpeg", ".tif", ".tiff"):
            raise ValueError(f"a crop is written as .png, .jpg or .tif, not {path!r}")
        conn, resource = _resource(self, connection)
        return resource.require(Dump).dump(conn, self, str(path), options)


class ImageReviewMixin:
    """``start_review``, ``stop_review``, ``slices`` and ``reference_slice`` on
    :class:`~neuromodels.ImageInstance`."""

    __slots__ = ()

    def start_review(self, *, connection: "Connection | None" = None) -> Any:
        """Put this image in review mode (its annotations can then be reviewed). Returns the image."""
        conn, resource = _resource(self, connection)
        resource.require(ImageReview).start_review(conn, self)
        return self

    def stop_review(self, *, cancel: bool = False, connection: "Connection | None" = None) -> Any:
        """End the review of this image (``cancel=True``: withdraw what was reviewed too)."""
        if not isinstance(cancel, bool):
            raise TypeError(f"cancel must be True or False, not {cancel!r}")
        conn, resource = _resource(self, connection)
        resource.require(ImageReview).stop_review(conn, self, cancel)
        return self

    def slices(self, *, connection: "Connection | None" = None) -> list[Any]:
        """The slice instances of this image (channel, z, time), as ``SliceInstance`` models.

        >>> image = ImageInstanceCollection().fetch()[0]
        >>> [s.id for s in image.slices()] == [image.reference_slice().id]
        True
        """
        conn, resource = _resource(self, connection)
        return resource.require(ImageReview).slices(conn, self)

    def reference_slice(self, *, connection: "Connection | None" = None) -> Any:
        """The slice the viewer opens (and annotations land on) by default."""
        conn, resource = _resource(self, connection)
        return resource.require(ImageReview).reference_slice(conn, self)


class MembershipMixin:
    """``add_member`` and ``remove_member`` on :class:`~neuromodels.Project`."""

    __slots__ = ()

    def add_member(self, user: Any, *, manager: bool = False, connection: "Connection | None" = None) -> Any:
        """Add a user (id or record) to this project; ``manager=True`` makes them a manager.
        Returns the project.

        >>> project = Project.fetch(conn.project)
        >>> ada = UserAccount(username="ada", firstname="Ada", lastname="L", email="ada@example.org",
        ...                   password="pw").save()
        >>> ada.id in [u.id for u in project.add_member(ada).members()]
        True
        >>> ada.id in [u.id for u in project.remove_member(ada).members()]
        False
        """
        if not isinstance(manager, bool):
            raise TypeError(f"manager must be True or False, not {manager!r}")
        conn, resource = _resource(self, connection)
        resource.require(Membership).change_member(conn, self, _user_id(user), manager, True)
        return self

    def remove_member(self, user: Any, *, manager: bool = False, connection: "Connection | None" = None) -> Any:
        """Remove a user from this project (``manager=True``: only their manager role)."""
        if not isinstance(manager, bool):
            raise TypeError(f"manager must be True or False, not {manager!r}")
        conn, resource = _resource(self, connection)
        resource.require(Membership).change_member(conn, self, _user_id(user), manager, False)
        return self


class DumpCropsMixin:
    """``dump_crops`` on :class:`~neuromodels.AnnotationCollection`."""

    __slots__ = ()

    def dump_crops(self, folder: "str | os.PathLike[str]", *, pattern: str = "{id}.png",
                   connection: "Connection | None" = None, **options: Any) -> list[str]:
        """Write the crop of every member to ``folder`` (file names from ``pattern``, with
        ``{id}``, ``{image}`` and ``{project}``), in parallel requests; ``options`` as
        :meth:`Annotation.dump <neuromodels.Annotation.dump>`. Returns the paths, in order.

        >>> import tempfile
        >>> image = ImageInstanceCollection().fetch()[0]
        >>> batch = AnnotationCollection([Annotation(geometry=f"POINT ({x} 9)", image=image.id)
        ...                               for x in (5, 9)]).save()
        >>> len(batch.dump_crops(tempfile.mkdtemp(), max_size=32))
        2
        """
        from ..connection import Connection

        conn = Connection.current(connection)
        os.makedirs(folder, exist_ok=True)
        members = list(self)  # type: ignore[call-overload]

        def one(model: Any) -> str:
            name = pattern.format(id=model.id, image=model.image, project=model.project)
            return str(model.dump(os.path.join(str(folder), name), connection=conn, **options))

        return list(conn.transport.map_values(one, members, desc="dumping crops"))


__all__ = ["DumpCropsMixin", "Dump", "ImageReview", "ImageReviewMixin", "Membership", "MembershipMixin", "Review", "ReviewMixin"]
