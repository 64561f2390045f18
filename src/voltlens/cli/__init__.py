"""The ``voltlens`` command line: thin wrappers at the edge over the pure library."""
