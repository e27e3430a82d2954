"""The package version: a leaf module, so the client can name itself without loading the widget."""

__version__ = "0.1.0"  # the one place the version is written (pyproject reads it)
