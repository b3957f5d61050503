"""The registry of kinds and components, and building components from specs."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from tessera.registry._build import (
    build,
    component_fields,
    config_from_signature,
    create,
    load,
    load_spec,
    save,
    spec_of,
    validate,
)
from tessera.registry._registry import (
    ENTRY_POINT_GROUP,
    ComponentInfo,
    KindInfo,
    PluginInfo,
    Registry,
    import_target,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "ComponentInfo",
    "KindInfo",
    "PluginInfo",
    "Registry",
    "build",
    "component_fields",
    "config_from_signature",
    "create",
    "get_registry",
    "import_target",
    "load",
    "load_spec",
    "save",
    "spec_of",
    "use_registry",
    "validate",
]

_default: Registry | None = None
_lock = threading.Lock()


def get_registry() -> Registry:
    """The process-wide registry, discovering installed plugins on first use."""
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                _default = Registry()
    return _default


@contextlib.contextmanager
def use_registry(registry: Registry) -> Iterator[Registry]:
    """Make ``registry`` the process-wide one inside a ``with`` block (for tests)."""
    global _default
    previous, _default = _default, registry
    try:
        yield registry
    finally:
        _default = previous
