"""Shared fixtures: a run context from the conformance kit, one torch thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tessera.testing import RecordingContext


@pytest.fixture
def context(tmp_path: Path) -> RecordingContext:
    return RecordingContext(tmp_path / "run")


@pytest.fixture(autouse=True)
def _one_thread() -> Any:
    """One intra-op thread: the tensors are small and threads contend on shared cores."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
