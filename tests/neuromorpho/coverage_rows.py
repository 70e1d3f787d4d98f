"""NeuroMorpho.org's documented operations -> what neuromodels offers (data).

Each row: ``peer`` (the endpoint or file, as the API reference and its clients name it),
``neuromodels`` (code run by tests/neuromorpho/test_coverage.py against the bundled server, with
a NeuroMorpho connection current, ``nmo`` = ``neuromodels.backends.neuromorpho`` and the public
names of ``neuromodels`` in scope) and ``note``. docs/conf.py makes the table of the backend's
page from these rows.
"""

ROWS = [
    {"peer": "GET /api/neuron/id/{id}", "neuromodels": "Neuron.fetch(1000)",
     "note": "metadata in .extra, standardized SWC nodes in .nodes (nodes=False: metadata only)"},
    {"peer": "GET /api/neuron/name/{name}", "neuromodels": 'Neuron.fetch(name="cnic_000")', "note": ""},
    {"peer": "GET /api/neuron/select?q=...&fq=...",
     "neuromodels": 'NeuronCollection(species="rat", brain_region="hippocampus").fetch()',
     "note": "sent as the POST select; every page read"},
    {"peer": "POST /api/neuron/select (JSON criteria)",
     "neuromodels": 'NeuronCollection(species=["rat", "mouse"], neuron_name="cnic*").fetch()',
     "note": "a list means any of the values, * is a wildcard; values are checked against the field's values"},
    {"peer": "paging: page, size, sort",
     "neuromodels": 'NeuronCollection(sort="neuron_name,desc").fetch(limit=10)',
     "note": "pages after the first read in parallel; iterator() streams them"},
    {"peer": "GET /api/neuron (all neurons)", "neuromodels": "NeuronCollection().count()",
     "note": "NeuronCollection().fetch() reads them all"},
    {"peer": "GET /api/neuron/fields", "neuromodels": "NeuronCollection().filters(); nmo.field_names()", "note": ""},
    {"peer": "GET /api/neuron/fields/{field}", "neuromodels": 'nmo.field_values("species")',
     "note": "every page"},
    {"peer": "GET /api/neuron/partition/{field}", "neuromodels": 'nmo.partition("species")',
     "note": "a Series value -> neurons, largest first"},
    {"peer": "GET /api/morphometry/id/{id}", "neuromodels": "Neuron.fetch(1000, nodes=False).morphometry()",
     "note": "numbers as floats"},
    {"peer": "GET /api/morphometry/name/{name}",
     "neuromodels": 'Neuron.fetch(name="cnic_000", nodes=False).morphometry()', "note": "by id once the name is read"},
    {"peer": "GET|POST /api/morphometry/select", "neuromodels": "nmo.morphometry_select(n_bifs=(10, 20), length=(None, 2000))",
     "note": "(low, high) is sent as [low TO high] (inferred syntax); a list means any of the values"},
    {"peer": "GET /api/morphometry/fields[/{field}]",
     "neuromodels": 'nmo.field_names("morphometry"); nmo.field_values("n_stems", kind="morphometry")', "note": ""},
    {"peer": "morphometry of many neurons", "neuromodels": 'nmo.morphometry(NeuronCollection(species="rat").fetch())',
     "note": "one parallel step, a table with one row per neuron"},
    {"peer": "GET /api/pvec/id/{id}", "neuromodels": "nmo.persistence_vector(1000)",
     "note": "coefficients, distance, scaling_factor (key names inferred)"},
    {"peer": "GET /api/pvec/name/{name}, vectors of many neurons",
     "neuromodels": 'nmo.persistence_vector(name="cnic_000"); nmo.persistence_vectors([1000, 1001])',
     "note": "for a select, the vectors of the neurons a NeuronCollection found"},
    {"peer": "GET /api/literature/id/{id}", "neuromodels": 'nmo.article(nmo.literature(journal="Neuron").article_id[0])',
     "note": ""},
    {"peer": "GET /api/literature/select?q=", "neuromodels": 'nmo.literature(species="rat")',
     "note": "every page, sorted by title; nmo.literature() lists every article"},
    {"peer": "GET /api/literature/fields[/{field}], partition/{field}",
     "neuromodels": 'nmo.field_names("literature"); nmo.field_values("journal", kind="literature"); '
                    'nmo.partition("journal", kind="literature")', "note": ""},
    {"peer": "GET /api/health", "neuromodels": "conn.ping()", "note": ""},
    {"peer": "SWC file, standardized (CNG version)", "neuromodels": 'NeuronCollection(species="rat").fetch().load_nodes()',
     "note": "Neuron.fetch loads them too; to_swc() writes one"},
    {"peer": "SWC file, original (Source-Version)", "neuromodels": "nmo.original_file(1000)",
     "note": "bytes in the uploaded format (the extension of original_format); path= writes them"},
    {"peer": "Neuron PNG image (png_url)", "neuromodels": "nmo.png(1000)",
     "note": "read through the connection (the record's link names plain http); path= writes it"},
]
