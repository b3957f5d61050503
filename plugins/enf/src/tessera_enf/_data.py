"""Data sets of the particle systems: MCMC samples of the Boltzmann density, cached on disk."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from tessera_enf._mcmc import Metropolis
from tessera_enf._subspace import center

__all__ = ["SPLITS", "boltzmann_samples", "load_split"]

SPLITS = ("train", "valid", "test")
_VERSION = 1


def boltzmann_samples(
    energy: Callable[[Tensor], Tensor],
    shape: tuple[int, int],
    num_samples: int,
    sampler: Mapping[str, Any],
    seed: int,
) -> tuple[Tensor, dict[str, float]]:
    """``num_samples`` centred configurations (float64) from ``exp(−energy)`` by Metropolis.

    Arguments:
        energy: maps (B, N, D) to (B,).
        shape: ``(N, D)``.
        num_samples: how many to keep.
        sampler: :class:`tessera_enf.Metropolis` arguments.
        seed: the random seed.

    Returns:
        The samples (S, N, D) and the sampler's acceptance rate and step size.
    """
    generator = torch.Generator().manual_seed(seed)
    result = Metropolis(**sampler).sample(energy, shape, num_samples, generator)
    info = {"acceptance": result.acceptance, "step_size": result.step_size}
    return center(result.samples), info


def load_split(
    name: str,
    split: str,
    size: int,
    energy: Callable[[Tensor], Tensor],
    shape: tuple[int, int],
    sampler: Mapping[str, Any],
    seed: int,
    data_dir: str | os.PathLike[str],
    system: Mapping[str, Any],
) -> tuple[Tensor, dict[str, float]]:
    """One split, generated on first use and cached as ``<data_dir>/<name>-<split>-<key>.pt``.

    Each split has its own seed (derived from ``seed`` and the split), so the validation and
    test sets do not change with the training-set size.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    params = {
        "system": dict(system),
        "split": split,
        "size": size,
        "sampler": dict(sampler),
        "seed": seed,
        "version": _VERSION,
    }
    key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:12]
    path = Path(data_dir) / f"{name}-{split}-{key}.pt"
    if path.exists():
        data = torch.load(path, weights_only=True)
        return data["samples"], {k: float(v) for k, v in data["info"].items()}

    split_seed = seed * len(SPLITS) + SPLITS.index(split) + 1
    samples, info = boltzmann_samples(energy, shape, size, sampler, split_seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        torch.save({"samples": samples, "info": info, "params": json.dumps(params)}, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return samples, info
