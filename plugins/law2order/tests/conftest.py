"""Shared fixtures: one thread for small matrices, and a minimal run context."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Small matrices run fastest on one thread, and the machine may be shared."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class Context:
    """A run context keeping metrics and checkpoints in memory, plots on disk.

    With ``stop_after`` it raises KeyboardInterrupt after that many checkpoints, as a
    killed run would stop.
    """

    def __init__(self, out_dir: Path, seed: int = 0, stop_after: int | None = None) -> None:
        self.out_dir, self.seed, self.rank, self.world_size = out_dir, seed, 0, 1
        self.metrics: list[tuple[int, dict[str, float]]] = []
        self.checkpoint: dict[str, Any] | None = None
        self.plots: list[str] = []
        self.stop_after, self.saves = stop_after, 0
        self.stop_requested = False
        out_dir.mkdir(parents=True, exist_ok=True)

    def log_metrics(self, step: int, metrics: dict[str, float]) -> None:
        self.metrics.append((step, dict(metrics)))

    def should_checkpoint(self, step: int, every: int) -> bool:
        return (step + 1) % every == 0

    def save_checkpoint(self, step: int, state: dict[str, Any]) -> None:
        self.checkpoint = pickle.loads(pickle.dumps(state))
        self.saves += 1
        if self.stop_after is not None and self.saves >= self.stop_after:
            raise KeyboardInterrupt

    def load_checkpoint(self) -> dict[str, Any] | None:
        return self.checkpoint

    def save_plot(self, name: str, figure: Any) -> Path:
        path = self.out_dir / f"{name}.png"
        figure.savefig(path)
        self.plots.append(name)
        return path

    def progress(self, total: int | None, description: str = "", initial: int = 0) -> Any:
        from tessera.runs import Progress

        return Progress(total, description, initial=initial, enabled=False)


@pytest.fixture
def context(tmp_path: Path) -> Context:
    """A fresh run context writing under ``tmp_path``."""
    return Context(tmp_path)


@pytest.fixture
def context_class() -> type[Context]:
    """The run context class, to build contexts with other settings."""
    return Context
