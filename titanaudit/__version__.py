"""The package's version, in one place (the same as ``pyproject.toml``'s)."""

__version__ = "0.1.0"
