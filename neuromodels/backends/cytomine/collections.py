"""Collections of the models only Cytomine has (see :mod:`.models`)."""

from __future__ import annotations

from ...core.collection import Collection
from .models import (
    Storage, UploadedFile, AbstractImage, AbstractSlice, SliceInstance, ImageGroup, ImageGroupImage, Track, AnnotationTrack,
    AnnotationGroup, AnnotationLink, AnnotationFilter, UserAccount, Role, ProjectRepresentative, Position,
    AnnotationAction, ProjectConnection, ImageConsultation, Property, Tag, TermRelation,
)


class StorageCollection(Collection[Storage]):
    """Storage objects, with the filters Cytomine offers for them."""

    model = Storage


class UploadedFileCollection(Collection[UploadedFile]):
    """UploadedFile objects, with the filters Cytomine offers for them."""

    model = UploadedFile


class AbstractImageCollection(Collection[AbstractImage]):
    """AbstractImage objects, with the filters Cytomine offers for them."""

    model = AbstractImage


class AbstractSliceCollection(Collection[AbstractSlice]):
    """AbstractSlice objects, with the filters Cytomine offers for them."""

    model = AbstractSlice


class SliceInstanceCollection(Collection[SliceInstance]):
    """SliceInstance objects, with the filters Cytomine offers for them."""

    model = SliceInstance


class ImageGroupCollection(Collection[ImageGroup]):
    """ImageGroup objects, with the filters Cytomine offers for them."""

    model = ImageGroup


class TrackCollection(Collection[Track]):
    """Track objects, with the filters Cytomine offers for them."""

    model = Track


class AnnotationTrackCollection(Collection[AnnotationTrack]):
    """AnnotationTrack objects, with the filters Cytomine offers for them."""

    model = AnnotationTrack


class AnnotationGroupCollection(Collection[AnnotationGroup]):
    """AnnotationGroup objects, with the filters Cytomine offers for them."""

    model = AnnotationGroup


class AnnotationLinkCollection(Collection[AnnotationLink]):
    """AnnotationLink objects, with the filters Cytomine offers for them."""

    model = AnnotationLink


class AnnotationFilterCollection(Collection[AnnotationFilter]):
    """AnnotationFilter objects, with the filters Cytomine offers for them."""

    model = AnnotationFilter


class UserAccountCollection(Collection[UserAccount]):
    """UserAccount objects, with the filters Cytomine offers for them."""

    model = UserAccount


class RoleCollection(Collection[Role]):
    """Role objects, with the filters Cytomine offers for them."""

    model = Role


class ProjectRepresentativeCollection(Collection[ProjectRepresentative]):
    """ProjectRepresentative objects, with the filters Cytomine offers for them."""

    model = ProjectRepresentative


class PositionCollection(Collection[Position]):
    """Position objects, with the filters Cytomine offers for them."""

    model = Position


class AnnotationActionCollection(Collection[AnnotationAction]):
    """AnnotationAction objects, with the filters Cytomine offers for them."""

    model = AnnotationAction


class ProjectConnectionCollection(Collection[ProjectConnection]):
    """ProjectConnection objects, with the filters Cytomine offers for them."""

    model = ProjectConnection


class ImageConsultationCollection(Collection[ImageConsultation]):
    """ImageConsultation objects, with the filters Cytomine offers for them."""

    model = ImageConsultation


class PropertyCollection(Collection[Property]):
    """Property objects, with the filters Cytomine offers for them."""

    model = Property


class TagCollection(Collection[Tag]):
    """Tag objects, with the filters Cytomine offers for them."""

    model = Tag


class TermRelationCollection(Collection[TermRelation]):
    """TermRelation objects, with the filters Cytomine offers for them."""

    model = TermRelation


class ImageGroupImageCollection(Collection[ImageGroupImage]):
    """ImageGroupImage objects, with the filters Cytomine offers for them."""

    model = ImageGroupImage
