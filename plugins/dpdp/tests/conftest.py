"""Shared fixtures: a minimal run context satisfying tessera.kinds.RunContext."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest


class _Bar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *args: Any) -> None:
        pass


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
        out_dir.mkdir(parents=True, exist_ok=True)

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

    @property
    def stop_requested(self) -> bool:
        return False

    def should_checkpoint(self, step: int, every: int) -> bool:
        return step % every == 0

    def progress(self, total: int | None, description: str = "", initial: int = 0) -> _Bar:
        return _Bar()

    def run_child(self, spec: Any, name: str | None = None) -> dict[str, Any]:
        raise NotImplementedError("child runs are not needed by these tests")


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
