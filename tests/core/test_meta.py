"""Meta-tests: the public surface of API.md exists, every backend declares every resource,
no cassette holds a credential."""

import importlib
import re
import typing
from pathlib import Path

import pytest
import yaml

import neuromodels
from neuromodels import Ontology, Term
from neuromodels import NotSupported
from neuromodels.core import capabilities as capability_registry
from neuromodels.core.capabilities import BASIC_OPERATIONS, Count, List, Resource
from neuromodels.core.paging import Paging
from neuromodels.core.routes import Route
from neuromodels.connection import BACKENDS, available_backends, load_backend
from neuromodels.models import MODELS

ROOT = Path(__file__).resolve().parents[2]

API_NAMES = """Connection Project Neuron Annotation ImageInstance Connector Volume Link
ProjectCollection NeuronCollection AnnotationCollection ImageInstanceCollection ConnectorCollection
VolumeCollection NeuromodelsError NoConnection NotSupported AuthenticationError PermissionDenied
NotFound BadRequest Conflict RateLimited ServerError ServerUnavailable ProtocolError
PartialSaveError""".split()


@pytest.mark.parametrize("name", API_NAMES)
def test_api_name_importable(name):
    assert getattr(neuromodels, name) is not None
    assert name in neuromodels.__all__


def registered_backends():
    """Every backend ``backend=`` accepts: shipped, installed through entry points, registered
    at run time (the toy backend of these tests registers itself as a third party would)."""
    import tests.toy  # noqa: F401

    return available_backends()


@pytest.mark.parametrize("backend", registered_backends())
def test_backend_declarations_hold(backend):
    declared = load_backend(backend).resources
    if BACKENDS.get(backend, "").startswith("neuromodels.backends."):
        # Shipped backends declare every shared model (absent ones with their reason).
        assert set(MODELS) <= set(declared), f"{backend} leaves {set(MODELS) - set(declared)} undeclared"
    else:
        for model in set(MODELS) - set(declared):
            with pytest.raises(NotSupported):
                load_backend(backend).resource(model)
    for model, resource in declared.items():
        assert issubclass(resource, Resource)
        # (read now: backends register their capabilities on import, rebinding the tuple)
        present = {c.operation for c in capability_registry.CAPABILITIES if issubclass(resource, c)}
        if issubclass(resource, List):
            present.add(Count.operation)  # the core counts the pages
            assert isinstance(resource.paging, Paging), f"{backend} {model.__name__}: paging is not declared"
            reads_pages = resource.read_page is not List.read_page or resource.pages is not List.pages
            assert reads_pages, f"{backend} {model.__name__}: lists without reading a page"
        for op, reason in resource.not_supported.items():
            assert reason.strip(), f"{backend} {model.__name__}: empty reason for {op}"
            # A reason is for an absent capability (or a field it cannot store), never both.
            assert op not in present, f"{backend} {model.__name__}: {op} is mixed in and also refused"
            if op.startswith("field "):
                field = op[len("field "):]
                assert field in model.field_names(), f"{backend} {model.__name__}: no field {field}"
        for op in BASIC_OPERATIONS:
            assert op in present or op in resource.not_supported or not BACKENDS.get(backend), \
                f"{backend} {model.__name__}: {op} has no reason"
        for name, spec in resource.filters.items():
            assert spec.name == name and spec.doc, f"{backend} {model.__name__}: filter {name} undocumented"
        for fields in (resource.writable, resource.creatable):
            assert fields is None or fields <= set(model.field_names()), f"{backend} {model.__name__}: {fields}"
        # A request is declared once: as a route the code sends, or in prose where one route
        # cannot say it, never both.
        for op, route in resource.requests.items():
            assert isinstance(route, Route), f"{backend} {model.__name__}: {op} is not a Route"
        both = set(resource.requests) & set(resource.endpoints)
        assert not both, f"{backend} {model.__name__}: {sorted(both)} declared as a route and in prose"


def models_bound(resource):
    """The model classes a resource's class line (and its bases') parameterize capabilities with."""
    return {arg for klass in resource.__mro__ for base in getattr(klass, "__orig_bases__", ())
            for arg in typing.get_args(base) if isinstance(arg, type) and arg is not typing.Any}


@pytest.mark.parametrize("backend", registered_backends())
def test_resources_are_typed_by_the_model_they_map(backend):
    """``Fetch[Connector]`` makes mypy check a resource's methods against Connector; the backend's
    table must then map that resource to Connector (mypy cannot see the table). A model the
    server does not hold is ``Resource[Any]`` (absent)."""
    for model, resource in load_backend(backend).resources.items():
        bound = models_bound(resource)
        if not bound:
            assert resource.not_supported.get("*"), f"{backend} {model.__name__}: {resource.__name__} names no model"
        else:
            assert bound == {model}, (f"{backend} {model.__name__}: {resource.__name__} is typed for "
                                      f"{sorted(b.__name__ for b in bound)}")


@pytest.mark.parametrize("backend", registered_backends())
def test_capability_tables_come_from_declarations_alone(backend):
    from neuromodels.backends.describe import capabilities, rst

    table = capabilities(backend)
    assert set(table) == {m.__name__ for m in load_backend(backend).resources}
    for row in table.values():
        assert all(row[op] == "yes" or row[op].startswith("NotSupported: ") for op in BASIC_OPERATIONS)
    assert rst(backend).strip()


def test_the_toy_backend_is_seen_as_any_other():
    assert "toy" in registered_backends()
    assert capabilities_of("toy")["Project"]["list"] == "yes"
    # its endpoint table is its declared routes, the ones its methods send
    assert capabilities_of("toy")["Project"]["endpoints"]["update"] == "PATCH /items/{id}"


def capabilities_of(backend):
    from neuromodels.backends.describe import capabilities

    return capabilities(backend)


def test_term_and_ontology_are_declared_where_they_exist():
    module = importlib.import_module(BACKENDS["cytomine"])
    for model in (Term, Ontology):
        assert issubclass(module.BACKEND.resources[model], List)


def test_public_surface_has_docstrings_with_examples():
    for name in ["Connection", "Neuron", "NeuronCollection", "Annotation", "Volume", "Connector"]:
        doc = getattr(neuromodels, name).__doc__ or ""
        assert ">>>" in doc, f"{name} has no example in its docstring"


CREDENTIAL_PATTERNS = [
    re.compile(r"Token [0-9a-fA-F]{16,}"),
    re.compile(r"Bearer [A-Za-z0-9._-]{12,}"),
    re.compile(r"CYTOMINE [A-Za-z0-9-]+:[A-Za-z0-9+/=]{8,}"),
    re.compile(r"(?i)csrftoken=[A-Za-z0-9]{16,}"),
    re.compile(r"(?i)sessionid=[A-Za-z0-9]{16,}"),
]
SECRET_HEADERS = {"x-authorization", "authorization", "cookie", "set-cookie", "x-csrftoken"}


def cassettes():
    return sorted((ROOT / "cassettes").rglob("*.yaml"))


def test_there_are_cassettes():
    assert len(cassettes()) >= 10


@pytest.mark.parametrize("path", cassettes(), ids=lambda p: str(p.relative_to(ROOT)))
def test_cassette_holds_no_credential(path):
    text = path.read_text()
    for pattern in CREDENTIAL_PATTERNS:
        assert not pattern.search(text), f"{path}: credential-looking value {pattern.pattern}"
    data = yaml.safe_load(text)
    for interaction in data["interactions"]:
        for side in ("request", "response"):
            for name, values in (interaction[side].get("headers") or {}).items():
                if name.lower() in SECRET_HEADERS:
                    assert all(v == "<SCRUBBED>" for v in values), f"{path}: header {name} not scrubbed"
        assert "token=" not in interaction["request"]["uri"].lower()


@pytest.mark.parametrize("backend,collection", [("neuromorpho", "NeuronCollection"), ("clio", "AnnotationCollection")])
def test_filters_read_from_the_server_are_documented(backend, collection):
    from neuromodels import Connection
    from neuromodels.testing import serve

    with serve(backend) as server:
        with Connection(server.url, backend=backend, project=server.project, token=server.token, progress=False):
            filters = getattr(neuromodels, collection)().filters()
    fixed = {"ids", "sort", "version", "replace", "conditional"}
    assert len(set(filters) - fixed) >= 5, "the server's own fields are offered as filters"
    for name, doc in filters.items():
        assert doc.strip(), f"{backend}: filter {name} undocumented"


@pytest.mark.parametrize("backend", ["catmaid", "cytomine", "neuromorpho", "clio", "cave"])
def test_capability_tables_follow_the_declarations(backend):
    from neuromodels.backends.describe import capabilities, rst

    table = capabilities(backend)
    assert set(MODELS) <= {getattr(neuromodels, name) for name in table}
    for model, row in table.items():
        for op in BASIC_OPERATIONS:
            assert row[op] == "yes" or row[op].startswith("NotSupported: ")
    assert "NotSupported" in rst(backend)  # every backend lacks something, and says why
    for model, row in table.items():
        if any(row[op] == "yes" for op in BASIC_OPERATIONS):
            assert row["endpoints"], f"{backend} {model}: no endpoints declared for the docs"


def test_the_toy_backend_distributes_from_its_declarations_alone():
    """The toy backend declares nothing for Dask: it fetches by id, so a pull splits by ids."""
    pytest.importorskip("dask.dataframe")
    from neuromodels import Connection, Project, ProjectCollection
    from tests.toy import ToyServer

    with ToyServer() as server:
        with Connection(server.url, backend="toy", token=server.token, progress=False) as conn:
            made = ProjectCollection([Project(name=f"dask {i}", description="d") for i in range(5)]).save()
            ddf = ProjectCollection(ids=[p.id for p in made]).to_dask(partition_size=2)
            frame = ddf.compute(scheduler="synchronous")
            assert ddf.npartitions == 3
            assert sorted(frame["name"]) == [f"dask {i}" for i in range(5)]
            picked = ProjectCollection(ids=[made[2].id, made[0].id]).fetch(connection=conn)
            assert [p.name for p in picked] == ["dask 2", "dask 0"]


def test_the_toy_backend_copies_from_its_declarations_alone():
    """copies_from and copy_marker_field are all the toy declares: copy_to works, a second run
    finds the copies made before, and a copy to a kind of server it does not declare is refused."""
    from neuromodels import Connection, NotSupported, Project, ProjectCollection
    from neuromodels.testing import serve
    from tests.toy import ToyServer

    with ToyServer() as one, ToyServer() as two:
        source = Connection(one.url, backend="toy", token=one.token, progress=False)
        target = Connection(two.url, backend="toy", token=two.token, progress=False)
        with source:
            made = ProjectCollection([Project(name=f"copied {i}", description="kept") for i in range(3)]).save()
            copies = made.copy_to(target)
            assert len(copies.copy_report.created) == 3 and all(c.id is not None for c in copies)
            again = made.copy_to(target)
            assert len(again.copy_report.existing) == 3 and len(again.copy_report.created) == 0
        with target:
            stored = {p.name: p.description for p in ProjectCollection().fetch()}
        assert set(stored) == {f"copied {i}" for i in range(3)}
        assert all(text.splitlines()[0] == "kept" and "copied from" in text for text in stored.values())
        with serve("neuromorpho") as nmo, source:
            with pytest.raises(NotSupported, match="not supported"):
                made.copy_to(Connection(nmo.url, backend="neuromorpho", progress=False))
