"""Shared training loop: Adam on minibatches, optional group augmentation, test MSE."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from tessera.kinds import Group
from tessera_emlp._reps import Rep

__all__ = ["Augmentation", "default_epochs", "fit", "write_results"]


def default_epochs(train_size: int, epochs: int) -> int:
    """The paper's schedule ``min(900000 / N, 1000)`` when ``epochs`` is 0."""
    return epochs if epochs > 0 else min(int(900_000 / train_size), 1000)


class Augmentation:
    """Random group elements applied to inputs (and undone on outputs) while training."""

    def __init__(self, group: Group, rep_in: Rep, rep_out: Rep) -> None:
        self.group, self.rep_in, self.rep_out = group, rep_in, rep_out

    def __call__(self, model: nn.Module, x: Tensor, generator: torch.Generator) -> Tensor:
        g = self.group.samples(len(x), generator, dtype=torch.float64)
        rho_in = self.rep_in.rho(g).to(x.dtype)
        out = model(torch.einsum("nij,nj->ni", rho_in, x))
        if self.rep_out.size == 1 and self.rep_out.group is None:
            return out
        rho_out_inv = torch.linalg.inv(self.rep_out.rho(g)).to(x.dtype)
        return torch.einsum("nij,nj->ni", rho_out_inv, out)


def fit(
    model: nn.Module,
    loss_of: Callable[[nn.Module, Tensor, Tensor, torch.Generator], Tensor],
    x: Tensor,
    y: Tensor,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    max_steps: int,
    generator: torch.Generator,
    log: Callable[[int, float], None] | None = None,
) -> int:
    """Train ``model`` with Adam on ``loss_of(model, x_batch, y_batch, generator)``; returns
    the number of optimiser steps."""
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    batch = min(batch_size, len(x))
    steps = 0
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), batch):
            idx = order[start : start + batch]
            loss = loss_of(model, x[idx], y[idx], generator)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            steps += 1
            if log is not None and steps % 50 == 0:
                log(steps, float(loss))
            if max_steps and steps >= max_steps:
                return steps
    return steps


def write_results(out_dir: Path | str, name: str, results: dict[str, Any]) -> None:
    """Write ``results`` as ``NAME.json`` in the run folder."""
    path = Path(out_dir)
    path.mkdir(parents=True, exist_ok=True)
    clean = {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v)
        for k, v in results.items()
    }
    (path / f"{name}.json").write_text(json.dumps(clean, indent=2, sort_keys=True))
