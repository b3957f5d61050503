"""Shared fixtures: a minimal run context satisfying tessera.kinds.RunContext."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest


class RecordingContext:
    """Keeps metrics, checkpoints and plots in memory (plots also as files)."""

    def __init__(self, out_dir: Path, seed: int = 0) -> None:
        self.out_dir = out_dir
        self.seed = seed
        self.rank = 0
        self.world_size = 1
        self.metrics: list[tuple[int, dict[str, float]]] = []
        self.checkpoints: list[tuple[int, dict[str, Any]]] = []
        self.plots: list[Path] = []

    def log_metrics(self, step: int, metrics: dict[str, float]) -> None:
        self.metrics.append((step, dict(metrics)))

    def save_checkpoint(self, step: int, state: dict[str, Any]) -> None:
        self.checkpoints.append((step, copy.deepcopy(state)))

    def load_checkpoint(self) -> dict[str, Any] | None:
        return copy.deepcopy(self.checkpoints[-1][1]) if self.checkpoints else None

    def save_plot(self, name: str, figure: Any) -> Path:
        path = self.out_dir / "plots" / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path)
        self.plots.append(path)
        return path


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
