"""Exceptions and warnings raised by Tessera.

Every error message names the thing, the bad value and the way out.
"""

from __future__ import annotations

__all__ = [
    "ComponentClashError",
    "ConfigError",
    "ManifestError",
    "MissingDependencyError",
    "PluginImportError",
    "SpecError",
    "TesseraError",
    "TesseraWarning",
    "UnknownComponentError",
    "UnknownKindError",
]


class TesseraError(Exception):
    """Base class of Tessera's errors."""


class TesseraWarning(UserWarning):
    """Base class of Tessera's warnings."""


class UnknownKindError(TesseraError, LookupError):
    """A kind that no installed plugin declares."""


class UnknownComponentError(TesseraError, LookupError):
    """A component name that is not registered for its kind."""


class ComponentClashError(TesseraError, LookupError):
    """Two plugins register the same kind and name, and the name was not qualified."""


class ConfigError(TesseraError, ValueError):
    """Parameters that do not validate against a component's config model."""


class SpecError(TesseraError, ValueError):
    """A spec (dict or YAML file) that is not of the documented form."""


class ManifestError(TesseraError, ValueError):
    """A plugin manifest that cannot be read or does not validate."""


class MissingDependencyError(TesseraError, ImportError):
    """A component needs an optional package that is not installed; the message says how
    to install it. The conformance kit skips a component's checks on this error."""


class PluginImportError(TesseraError, ImportError):
    """A plugin module (component, config or hooks) that failed to import."""
