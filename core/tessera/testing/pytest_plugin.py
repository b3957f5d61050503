"""pytest fixtures for testing components, registered through the ``pytest11`` entry point."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tessera.registry import ComponentInfo, Registry, use_registry
from tessera.testing._context import RecordingContext


@pytest.fixture
def tessera_registry() -> Iterator[Registry]:
    """A registry with autoload blocked (built-ins only), process-wide for the test."""
    registry = Registry(autoload=False)
    with use_registry(registry):
        yield registry


@pytest.fixture
def tessera_register(tessera_registry: Registry) -> Callable[..., ComponentInfo]:
    """Register a temporary component: ``tessera_register("kernel", "mine", MyKernel)``."""

    def register(kind: str, name: str, target: Any, **kwargs: Any) -> ComponentInfo:
        return tessera_registry.register(kind, name, target, **kwargs)

    return register


@pytest.fixture
def tessera_context(tmp_path: Path) -> RecordingContext:
    """A run context for ``task.run(tessera_context)``: metrics, checkpoints and plots are
    recorded, plots written under ``tmp_path / "run"``."""
    return RecordingContext(tmp_path / "run")
