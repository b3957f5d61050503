"""The ``tessera`` command line."""

from tessera.cli._main import main

__all__ = ["main"]
