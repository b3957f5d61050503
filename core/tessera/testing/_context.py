"""A run context that records what a task reports, for testing tasks without the runner."""

from __future__ import annotations

import copy
import signal
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["RecordingContext"]


class RecordingContext:
    """A :class:`~tessera.kinds.RunContext` that keeps metrics and checkpoints in memory.

    It follows the runner's rules where a task can tell the difference: a checkpoint is due
    after every ``every`` steps (``should_checkpoint``), a checkpoint's state is a copy the
    task cannot change afterwards, loading a checkpoint restores the random-number
    generators (``random``, numpy, torch) as they were when it was saved, and a stop raises
    :class:`~tessera.runs.RunInterrupted` from the ``save_checkpoint`` that made the state
    safe. Plots are written as PNG files under ``out_dir/plots``; child runs run in memory
    too, in subfolders. Seeding is left to the test (the runner seeds before it builds the
    task): call :func:`tessera.runs.seed_everything` first.

    A resume is the stopped context run again (with ``stop_after`` cleared), or a new
    context given the checkpoints of the old one (the generators are then not restored)::

        resumed = RecordingContext(tmp_path / "b")
        resumed.checkpoints = stopped.checkpoints

    :param out_dir: the run folder, created as the runner creates it; plots go under it.
    :param seed: the run's seed.
    :param stop_after: raise ``RunInterrupted`` from the ``stop_after``-th checkpoint, as a
        run signalled to stop does; set it to ``None`` to let the run continue.

    Example:
        >>> import tessera, tempfile
        >>> context = RecordingContext(tempfile.mkdtemp())
        >>> task = tessera.create("task", "regression", steps=20, checkpoint_every=10)
        >>> summary = task.run(context)
        >>> summary["steps"], [step for step, _ in context.checkpoints]
        (20, [9, 19])
    """

    rank = 0
    world_size = 1

    def __init__(self, out_dir: str | Path, seed: int = 0, *, stop_after: int | None = None):
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.seed = seed
        self.stop_after = stop_after
        self.metrics: list[tuple[int, dict[str, float]]] = []
        self.checkpoints: list[tuple[int, dict[str, Any]]] = []
        self.plots: list[Path] = []
        self.children: dict[str, RecordingContext] = {}
        self._rng: dict[int, dict[str, Any]] = {}  # generator states by checkpoint step

    @property
    def stop_requested(self) -> bool:
        """Never: a stop is asked for with ``stop_after``."""
        return False

    def log_metrics(self, step: int, metrics: Mapping[str, float]) -> None:
        """Record ``(step, metrics)``."""
        self.metrics.append((step, dict(metrics)))

    def should_checkpoint(self, step: int, every: int) -> bool:
        """After every ``every`` steps, as the runner decides."""
        return (step + 1) % every == 0

    def save_checkpoint(self, step: int, state: Mapping[str, Any]) -> None:
        """Record a deep copy of ``state``; the ``stop_after``-th one then stops the run."""
        from tessera.runs import RunInterrupted
        from tessera.runs._context import _rng_state

        self.checkpoints.append((step, copy.deepcopy(dict(state))))
        self._rng[step] = _rng_state()
        if self.stop_after is not None and len(self.checkpoints) >= self.stop_after:
            raise RunInterrupted(signal.SIGTERM, step)

    def load_checkpoint(self) -> dict[str, Any] | None:
        """A copy of the last checkpoint's state, or ``None`` when there is none; the
        generators are set back to their states at that checkpoint when it was saved here."""
        from tessera.runs._context import _set_rng_state

        if not self.checkpoints:
            return None
        step, state = self.checkpoints[-1]
        if step in self._rng:
            _set_rng_state(self._rng[step])
        return copy.deepcopy(state)

    def save_plot(self, name: str, figure: Any) -> Path:
        """Save ``figure`` as ``out_dir/plots/NAME.png`` and record the path."""
        path = self.out_dir / "plots" / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png")
        self.plots.append(path)
        return path

    def progress(self, total: int | None, description: str = "", initial: int = 0) -> Any:
        """A progress bar that draws nothing."""
        from tessera.runs import Progress

        return Progress(total, description, initial=initial, enabled=False)

    def run_child(self, spec: Any, name: str | None = None) -> dict[str, Any]:
        """Build a task spec (or take a built task) and run it in a child context in
        ``out_dir/NAME``; returns its summary. The child is in :attr:`children`."""
        from tessera.registry import build, spec_of

        task = build({"kind": "task", **spec}) if isinstance(spec, Mapping) else spec
        base = name or spec_of(task)["name"].replace(":", "-")
        name, n = base, 1
        while name in self.children:
            n += 1
            name = f"{base}-{n}"
        child = RecordingContext(self.out_dir / name, self.seed)
        self.children[name] = child
        return task.run(child)
