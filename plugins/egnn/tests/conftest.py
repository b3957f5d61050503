"""Shared fixtures: run contexts from the conformance kit, one torch thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tessera.testing import RecordingContext


@pytest.fixture
def context(tmp_path: Path) -> RecordingContext:
    return RecordingContext(tmp_path)


@pytest.fixture(autouse=True)
def _one_thread() -> Any:
    """Run each test on one intra-op thread: the models are small, and OpenMP threads
    contending with other processes slow them down by an order of magnitude."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def make_context(tmp_path: Path) -> Any:
    """A factory of fresh contexts in sub-folders of the test's temporary folder."""

    def make(name: str, seed: int = 0) -> RecordingContext:
        return RecordingContext(tmp_path / name, seed)

    return make
