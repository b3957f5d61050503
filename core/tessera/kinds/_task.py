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

    @property
    def stop_requested(self) -> bool:
        """Whether SIGINT or SIGTERM asked the run to stop (it stops at the next checkpoint)."""

    def should_checkpoint(self, step: int, every: int) -> bool:
        """Whether to checkpoint after ``step``: every ``every`` steps, or to stop.

        Collective with several processes: every rank calls it at every step.
        """

    def progress(self, total: int | None, description: str = "", initial: int = 0) -> Any:
        """A progress bar over the task's own counter: ``update(n)``, ``close()``, ``with``."""

    def run_child(self, spec: Any, name: str | None = None) -> dict[str, Any]:
        """Run a task spec as a child run in the subfolder ``name``; returns its summary."""


class Task(ABC):
    """An experiment that builds its components, runs, and reports metrics.

    A task is built from its config like any component; :meth:`run` receives a
    :class:`RunContext` and returns the final metrics (the run's ``summary.json``).
    """

    @abstractmethod
    def run(self, context: RunContext) -> dict[str, Any]:
        """Run the experiment and return its final metrics."""
