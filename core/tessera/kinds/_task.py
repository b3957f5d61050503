"""The Task interface: a runnable experiment."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Protocol

__all__ = ["RunContext", "Task"]


class RunContext(Protocol):
    """What the runner gives a task (see :mod:`tessera.runs`)."""

    out_dir: Path
    seed: int
    rank: int
    world_size: int

    def log_metrics(self, step: int, metrics: dict[str, float]) -> None:
        """Stream metrics for ``step``; on rank 0 they reach the metrics log and the hooks."""

    def save_checkpoint(self, step: int, state: dict[str, Any]) -> None:
        """Write a checkpoint that :meth:`load_checkpoint` returns after a resume."""

    def load_checkpoint(self) -> dict[str, Any] | None:
        """The last checkpoint's state, or ``None`` on a fresh run."""

    def save_plot(self, name: str, figure: Any) -> Path:
        """Save a matplotlib figure as ``plots/NAME.png`` and list it in the report."""


class Task(ABC):
    """An experiment that builds its components, runs, and reports metrics.

    A task is built from its config like any component; :meth:`run` receives a
    :class:`RunContext` and returns the final metrics (the run's ``summary.json``).
    """

    @abstractmethod
    def run(self, context: RunContext) -> dict[str, Any]:
        """Run the experiment and return its final metrics."""
