"""Shared fixtures: a registry, the kit's run context, one thread."""

from __future__ import annotations

import pytest
import torch

from tessera.registry import Registry
from tessera.testing import RecordingContext


@pytest.fixture
def registry() -> Registry:
    """A registry of every installed component."""
    return Registry()


@pytest.fixture
def context_class() -> type:
    """The run context class for tasks run in tests."""
    return RecordingContext


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Small matrices run fastest on one thread, and the machine may be shared."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
