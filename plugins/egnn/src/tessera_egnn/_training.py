"""Helpers the plugin's training tasks share: batches, data-parallel steps, plots, caching."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = [
    "average_gradients",
    "cache_key",
    "check_distributed",
    "loss_figure",
    "progress",
    "require_matplotlib",
    "shuffled_batches",
    "write_atomically",
]


def cache_key(prefix: str, params: Mapping[str, Any]) -> str:
    """A file stem naming ``params`` uniquely: ``prefix-<12 hex digits>``."""
    text = json.dumps(dict(params), sort_keys=True, default=str)
    return f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def write_atomically(path: Path, write: Any) -> None:
    """Call ``write(tmp_path)`` and rename the file into ``path``, so readers never see a
    partial file and a crash leaves no corrupt cache."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def check_distributed(context: Any) -> bool:
    """Whether the run is data-parallel; raises when ``world_size > 1`` without a process
    group, which ``torchrun`` and the runner set up."""
    world_size = int(getattr(context, "world_size", 1))
    if world_size <= 1:
        return False
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        raise RuntimeError(
            f"the run context says world_size={world_size}, but torch.distributed has no "
            "process group; launch with torchrun through the runner, or run one process"
        )
    return True


def average_gradients(model: nn.Module, world_size: int) -> None:
    """All-reduce and average the gradients of ``model`` across the process group."""
    import torch.distributed as dist

    for parameter in model.parameters():
        if parameter.grad is not None:
            dist.all_reduce(parameter.grad)
            parameter.grad /= world_size


def shuffled_batches(
    size: int,
    batch_size: int,
    generator: torch.Generator,
    *,
    drop_last: bool = True,
    rank: int = 0,
    world_size: int = 1,
) -> Iterator[torch.Tensor]:
    """Indices of shuffled batches; each rank gets every ``world_size``-th item of each
    global batch, so all ranks take the same number of steps.

    ``drop_last`` drops an incomplete final batch, unless it is the only one.
    """
    order = torch.randperm(size, generator=generator)
    stop = size
    if drop_last and size >= batch_size:
        stop = size - size % batch_size
    for start in range(0, stop, batch_size):
        batch = order[start : min(start + batch_size, stop)]
        yield batch[rank::world_size]


def require_matplotlib() -> None:
    """Fail early, before training, when plots are asked for but matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(
            "plot=true needs matplotlib; install it (pip install 'tessera-egnn[plots]') or "
            "set plot: false"
        ) from None


def loss_figure(
    curves: Mapping[str, tuple[Sequence[int], Sequence[float]]],
    ylabel: str,
    title: str,
    log: bool = True,
) -> Any:
    """A matplotlib ``Figure`` (no pyplot state) with one line per named curve."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 4))
    axes = figure.add_subplot()
    for label, (epochs, values) in curves.items():
        if len(epochs):
            axes.plot(list(epochs), list(values), label=label)
    if log:
        axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.legend()
    figure.tight_layout()
    return figure


class _NoProgress:
    """Stands in for a progress bar when the context has none."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def progress(context: Any, total: int, description: str, initial: int = 0) -> Any:
    """The runner's progress bar (``context.progress``) when the context offers one."""
    make = getattr(context, "progress", None)
    if make is None:
        return _NoProgress()
    return make(total, description, initial=initial)
