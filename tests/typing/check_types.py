"""Checked by ``mypy --strict`` in CI (not run by pytest): the headline calls have the types a
user's IDE shows."""

from __future__ import annotations

from typing_extensions import assert_type

from neuromodels import (
    Annotation, AnnotationCollection, ApiKeys, Description, Neuron, NeuronCollection, Project, Storage, Track,
    TrackCollection, UploadedFile, UserAccount,
)


def headline_calls() -> None:
    n = Neuron.fetch(16)
    assert_type(n, Neuron)
    assert_type(Neuron().fetch(id=16), Neuron)
    assert_type(n.fetch(), Neuron)
    assert_type(n.save(), Neuron)
    assert_type(n.update(name="x"), Neuron)
    pns = NeuronCollection(annotation="PN").fetch()
    assert_type(pns, NeuronCollection)
    assert_type(pns[0], Neuron)
    assert_type(pns[1:], NeuronCollection)
    assert_type(pns.where(name="left"), NeuronCollection)
    assert_type(AnnotationCollection().save(), AnnotationCollection)
    assert_type(Annotation(name="PN", targets=[16]).save(), Annotation)
    assert_type(Project.fetch(1).name, "str | None")


def cytomine_only_calls() -> None:
    assert_type(Storage.fetch(1), Storage)
    assert_type(Storage(name="s").save(), Storage)
    assert_type(UploadedFile.upload("scan.tif", storage=1), UploadedFile)
    assert_type(TrackCollection(image=1).fetch(), TrackCollection)
    assert_type(TrackCollection(image=1).fetch()[0], Track)
    assert_type(UserAccount.current().keys(), ApiKeys)
    assert_type(Description.of(Project.fetch(1)), Description)
