"""pymaid's server-facing functions and their neuromodels calls: every ``rows_*.py`` here holds
rows (the data source of the table on docs/backends/catmaid.rst); ``test_coverage.py`` runs each
row's call against the bundled CATMAID."""
