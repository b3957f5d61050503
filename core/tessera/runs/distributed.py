"""Helpers that let a task's code run unchanged on one process or many.

A task calls these instead of asking how many processes there are::

    from tessera.runs import distributed as dist

    loader = dist.data_loader(dataset, batch_size=64, shuffle=True, seed=context.seed)
    model = dist.wrap_model(model)            # DistributedDataParallel when world_size > 1
    for epoch in range(epochs):
        loader.sampler.set_epoch(epoch)
        ...
        loss_all = dist.all_reduce_mean(loss.detach())   # the global mean, on every rank

With one process (no process group) each helper is the identity or the plain object. The
``batch_size`` of :func:`data_loader` is the global batch, split over the processes, and the
sampler draws the same permutation whatever their number, so a run on N processes sees the
same global batches as a run on one (when the dataset's length is a multiple of the batch).

References:
    PyTorch distributed overview, https://pytorch.org/docs/stable/distributed.html
"""

from __future__ import annotations

from typing import Any

import torch
import torch.distributed as torch_dist
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

__all__ = [
    "all_reduce_mean",
    "all_reduce_sum",
    "barrier",
    "broadcast_object",
    "data_loader",
    "is_distributed",
    "is_main",
    "rank",
    "unwrap_model",
    "world_size",
    "wrap_model",
]


def is_distributed() -> bool:
    """Whether a process group is initialised (the run has several processes)."""
    return torch_dist.is_available() and torch_dist.is_initialized()


def rank() -> int:
    """This process's rank (0 without a process group)."""
    return torch_dist.get_rank() if is_distributed() else 0


def world_size() -> int:
    """The number of processes (1 without a process group)."""
    return torch_dist.get_world_size() if is_distributed() else 1


def is_main() -> bool:
    """Whether this is rank 0, the process that writes the run folder."""
    return rank() == 0


def barrier() -> None:
    """Wait for every process (nothing to wait for on one)."""
    if is_distributed():
        torch_dist.barrier()


def wrap_model(model: nn.Module, **options: Any) -> nn.Module:
    """``DistributedDataParallel(model)`` when there are several processes, else ``model``.

    Gradients are then averaged over the processes in ``backward``. Save and load the
    unwrapped module's ``state_dict`` (see :func:`unwrap_model`).

    :param options: keyword arguments of ``DistributedDataParallel``.
    """
    if world_size() <= 1:
        return model
    return nn.parallel.DistributedDataParallel(model, **options)


def unwrap_model(model: nn.Module) -> nn.Module:
    """The module inside a ``DistributedDataParallel`` wrapper, or ``model`` itself."""
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def data_loader(
    dataset: Dataset,
    batch_size: int,
    *,
    shuffle: bool = True,
    seed: int = 0,
    drop_last: bool = False,
    **options: Any,
) -> DataLoader:
    """A loader whose ``DistributedSampler`` gives each process its share of each batch.

    Call ``loader.sampler.set_epoch(epoch)`` at the start of each epoch to reshuffle.

    :param batch_size: the global batch size; each process loads ``batch_size //
        world_size`` items.
    :param shuffle: draw a new permutation each epoch (seeded by ``seed`` and the epoch).
    :param seed: the seed of the permutation, the same on every process.
    :param drop_last: drop the last incomplete batch.
    :param options: further keyword arguments of ``DataLoader`` (``num_workers``, ...).
    :raises ValueError: ``batch_size`` is not a multiple of the number of processes.
    """
    size = world_size()
    if batch_size < 1 or batch_size % size:
        raise ValueError(
            f"batch_size {batch_size} must be a positive multiple of the {size} processes; "
            f"use {max(size, batch_size // size * size)}"
        )
    sampler = DistributedSampler(
        dataset, num_replicas=size, rank=rank(), shuffle=shuffle, seed=seed, drop_last=drop_last
    )
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(
        dataset,
        batch_size=batch_size // size,
        sampler=sampler,
        drop_last=drop_last,
        generator=generator,
        **options,
    )


def all_reduce_sum(value: Tensor | float) -> Tensor | float:
    """The sum of ``value`` over the processes (a copy; a float gives a float)."""
    if not is_distributed():
        return value
    tensor = (
        value.detach().clone()
        if isinstance(value, Tensor)
        else torch.tensor(float(value), dtype=torch.float64)
    )
    torch_dist.all_reduce(tensor, op=torch_dist.ReduceOp.SUM)
    return tensor if isinstance(value, Tensor) else tensor.item()


def all_reduce_mean(value: Tensor | float) -> Tensor | float:
    """The mean of ``value`` over the processes (a copy; a float gives a float)."""
    total = all_reduce_sum(value)
    return total / world_size() if is_distributed() else total


def broadcast_object(value: Any, src: int = 0) -> Any:
    """``value`` as rank ``src`` has it, on every process (any picklable object)."""
    if not is_distributed():
        return value
    box = [value]
    torch_dist.broadcast_object_list(box, src=src)
    return box[0]
