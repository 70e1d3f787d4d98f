"""Every docstring example in the package is real code, and runs.

Each example runs as a doctest with the public names of ``neuromodels`` in scope and a current
connection to a bundled server with a little seed data: CATMAID by default (two neurons
annotated "PN", named "PN VA6 right" and "PN VA6 left"), Cytomine for what only Cytomine has,
NeuroMorpho for morphometry. Examples may not be comments (``>>> # ...``).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re

import pytest

import neuromodels
from neuromodels import Connection, Neuron, NeuronCollection
from neuromodels.testing import serve

SWC = "1 1 5040 6010 900 12.5 -1\n2 3 5080 6020 900 4 1\n3 3 5120 6030 909 4 2\n"

#: Docstrings that need another backend than CATMAID, by the start of their qualified name.
BACKEND_OF = {
    "neuromodels.models.ImageInstance": "cytomine",
    "neuromodels.models.ImageInstanceCollection": "catmaid",
    "neuromodels.models.ImageInstanceCollection.tag": "cytomine",
    "neuromodels.models.AnnotationCollection.tag": "cytomine",
    "neuromodels.models.Project.members": "cytomine",
    "neuromodels.models.Project.current_user": "cytomine",
    "neuromodels.models.Term": "cytomine",
    "neuromodels.models.Ontology": "cytomine",
    "neuromodels.models.Annotation.crop": "cytomine",
    "neuromodels.neurons.Neuron.morphometry": "neuromorpho",
    "neuromodels.backends.cytomine": "cytomine",
    "neuromodels.backends.extras": "cytomine",
    "neuromodels.backends.workflow": "cytomine",
    "neuromodels.backends.neuromorpho": "neuromorpho",
    "neuromodels.backends.clio": "clio",
    "neuromodels.backends.cave": "cave",
    # About connections themselves: no connection is current.
    "neuromodels.connection": "none",
    "neuromodels.transport": "none",
}
#: Modules whose examples are about machinery that needs no server or starts its own.
SKIP_MODULES = ("neuromodels.testing", "neuromodels.cli", "neuromodels.demo")
#: An "example" that is only a comment (doctest skips those silently).
COMMENT_EXAMPLE = re.compile(r"^\s*>>> #", re.M)


def modules():
    names = ["neuromodels"]
    for info in pkgutil.walk_packages(neuromodels.__path__, "neuromodels."):
        if not info.name.startswith(SKIP_MODULES):
            names.append(info.name)
    return names


def examples():
    finder = doctest.DocTestFinder(exclude_empty=False)
    found = []
    for name in modules():
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue  # an optional extra that is not installed
        for test in finder.find(module, name):
            has_comments = bool(COMMENT_EXAMPLE.search(test.docstring or ""))
            if (test.examples or has_comments) and test.name not in {t.name for t in found}:
                found.append(test)
    return sorted(found, key=lambda t: t.name)


EXAMPLES = examples()


def backend_for(name: str) -> str:
    best = ""
    for prefix in BACKEND_OF:
        if name.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return BACKEND_OF.get(best, "catmaid")


@pytest.fixture(scope="module")
def servers():
    started = {name: serve(name).start() for name in ("catmaid", "cytomine", "neuromorpho", "clio", "cave")}
    catmaid = started["catmaid"]
    with connect(catmaid):
        batch = NeuronCollection([Neuron.from_swc(SWC, name="PN VA6 right", annotations=["PN"]),
                                  Neuron.from_swc(SWC, name="PN VA6 left", annotations=["PN"])])
        batch.save()
    try:
        yield started
    finally:
        for server in started.values():
            server.stop()


def connect(server) -> Connection:
    return Connection(server.url, backend=server.backend, project=server.project, token=server.token,
                      public_key=server.public_key, private_key=server.private_key, progress=False, timeout=10)


#: Docstrings still being rewritten as runnable examples; each is expected to fail until then.
PENDING: set[str] = set()


def test_there_are_examples_to_run():
    assert len(EXAMPLES) >= 30


@pytest.mark.parametrize("test", [pytest.param(t, marks=pytest.mark.xfail(reason="example being rewritten"))
                                  if t.name in PENDING else t for t in EXAMPLES], ids=lambda t: t.name)
def test_docstring_example_runs(servers, test):
    comments = [line.strip() for line in (test.docstring or "").splitlines() if COMMENT_EXAMPLE.match(line)]
    assert not comments, f"{test.name}: examples that are only comments: {comments}"
    if test.name.startswith("neuromodels.interop"):
        pytest.importorskip("navis")
        pytest.importorskip("trimesh")
    backend = backend_for(test.name)
    globs = {name: getattr(neuromodels, name) for name in neuromodels.__all__}
    globs.update(test.globs)
    test.globs = globs
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    if backend == "none":
        runner.run(test, out=report.append)
    else:
        with connect(servers[backend]) as conn:
            test.globs["conn"] = conn
            runner.run(test, out=report.append)
    assert runner.failures == 0, f"{test.name}: {runner.failures} example(s) failed:\n" + "".join(report)
