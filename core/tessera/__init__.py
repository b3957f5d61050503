"""Tessera: a plugin framework for machine-learning research components.

The top-level API finds, builds and saves components::

    import tessera

    group = tessera.create("group", "so", n=3)
    flow = tessera.build("flow.yaml")
    tessera.save(flow, "flow.pt")

Importing ``tessera`` imports neither torch nor any plugin.
"""

from __future__ import annotations

from tessera._version import API_VERSION, __version__
from tessera.config import Config, component
from tessera.registry import (
    Registry,
    build,
    create,
    get_registry,
    load,
    save,
    spec_of,
    use_registry,
    validate,
)

__all__ = [
    "API_VERSION",
    "Config",
    "Registry",
    "__version__",
    "build",
    "component",
    "create",
    "get_registry",
    "load",
    "save",
    "spec_of",
    "use_registry",
    "validate",
]
