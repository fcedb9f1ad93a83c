"""The exporter's one error type: a model or sample it cannot turn into a correct bundle."""


class ExportError(Exception):
    """A model or sample this exporter cannot turn into a correct bundle."""
