"""Shared fixtures: one thread for small matrices, and the kit's run context."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tessera.testing import RecordingContext


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Small matrices run fastest on one thread, and the machine may be shared."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def context(tmp_path: Path) -> RecordingContext:
    """A fresh run context writing under ``tmp_path``."""
    return RecordingContext(tmp_path)


@pytest.fixture
def context_class() -> type[RecordingContext]:
    """The run context class, to build contexts with other settings."""
    return RecordingContext
