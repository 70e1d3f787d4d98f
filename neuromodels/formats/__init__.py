"""File formats: pure functions, no I/O beyond reading and writing files."""
