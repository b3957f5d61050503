"""pluggy hook specifications: registering kinds and components, and run events.

A plugin implements hooks in the module its manifest names as ``hooks``::

    from tessera.hooks import hookimpl

    @hookimpl
    def tessera_run_metrics(run, step, metrics):
        ...

Hooks modules are imported when the registry's plugin manager is first used (by the runner,
or when a name is not found among the declared components), never by ``tessera list``.
"""

from __future__ import annotations

from typing import Any

import pluggy

__all__ = ["PROJECT", "hookimpl", "hookspec", "make_plugin_manager"]

PROJECT = "tessera"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class TesseraHookSpecs:
    """The hooks a plugin may implement."""

    @hookspec
    def tessera_register_kinds(self, registry: Any) -> None:
        """Declare kinds in code with ``registry.register_kind(...)``.

        Kinds declared in the manifest need no hook; this is for kinds computed at import.
        """

    @hookspec
    def tessera_register_components(self, registry: Any) -> None:
        """Register components in code with ``registry.register(...)``."""

    @hookspec
    def tessera_run_start(self, run: Any) -> None:
        """A run starts; ``run`` has ``out_dir``, ``spec``, ``seed``, ``rank`` and ``resumed``."""

    @hookspec
    def tessera_run_metrics(self, run: Any, step: int, metrics: dict[str, float]) -> None:
        """A task reported ``metrics`` at ``step`` (called on rank 0 only)."""

    @hookspec
    def tessera_run_checkpoint(self, run: Any, step: int, path: Any) -> None:
        """A checkpoint for ``step`` was written to ``path``."""

    @hookspec
    def tessera_run_end(self, run: Any, status: str, summary: dict[str, Any]) -> None:
        """A run ended with ``status`` ('completed', 'failed' or 'interrupted')."""


def make_plugin_manager() -> pluggy.PluginManager:
    """A plugin manager with Tessera's hook specifications added."""
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(TesseraHookSpecs)
    return pm
