"""The exporter's one error type, in its own module so that export.py and its helpers (boosters.py)
raise the same class whether export.py runs as a script or is imported."""


class ExportError(Exception):
    """A model or sample this exporter cannot turn into a correct bundle."""
