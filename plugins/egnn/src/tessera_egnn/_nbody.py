"""The ``egnn.nbody`` task: predict charged particles' positions 1000 steps ahead (§5.1)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from tessera.kinds import RunContext, Task
from tessera_egnn._simulation import simulate_charged_particles
from tessera_egnn._training import (
    average_gradients,
    cache_key,
    check_distributed,
    loss_figure,
    progress,
    require_matplotlib,
    shuffled_batches,
    write_atomically,
)

__all__ = ["NBodySplit", "NBodyTask", "nbody_inputs"]

_SPLITS = ("train", "valid", "test")
_EVAL_BATCH = 1000


@dataclass
class NBodySplit:
    """One split of the N-body data set, as model inputs.

    Attributes:
        h: ``‖v‖``, (S, N, 1).
        x: positions at the input frame, (S, N, d).
        v: velocities at the input frame, (S, N, d).
        edge_attr: ``[q_i q_j, ‖x_i − x_j‖²]``, (S, N, N, 2).
        target: positions at the target frame, (S, N, d).
    """

    h: Tensor
    x: Tensor
    v: Tensor
    edge_attr: Tensor
    target: Tensor

    def __len__(self) -> int:
        return len(self.x)


def nbody_inputs(
    x: np.ndarray, v: np.ndarray, charges: np.ndarray, target: np.ndarray
) -> NBodySplit:
    """Model inputs of the paper's N-body set-up from raw arrays (float32).

    Arguments:
        x, v, target: (S, N, d).
        charges: (S, N).
    """
    x_t, v_t = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(v, dtype=torch.float32)
    q = torch.as_tensor(charges, dtype=torch.float32)
    products = q[:, :, None] * q[:, None, :]
    distances = (x_t[:, :, None] - x_t[:, None, :]).square().sum(-1)
    return NBodySplit(
        h=v_t.norm(dim=-1, keepdim=True),
        x=x_t,
        v=v_t,
        edge_attr=torch.stack([products, distances], dim=-1),
        target=torch.as_tensor(target, dtype=torch.float32),
    )


class NBodyTask(Task):
    """Train a model to predict particle positions ``frame_target − frame_input`` saved
    frames ahead, and report the test MSE at the epoch of best validation MSE.

    Data: :func:`tessera_egnn.simulate_charged_particles` with the reference constants
    (5 particles, charges ±1, initial positions of std 1, speeds 0.5, Coulomb forces
    clipped to 0.1/dt, dt = 0.001, 5000 steps saved every 100), one seed per split, cached
    as ``.npz`` under ``data_dir``. Inputs: positions and velocities at frame 30,
    ``‖v‖`` as node feature, ``[q_i q_j, ‖x_i − x_j‖²]`` as edge attributes; target: the
    positions at frame 40, 1000 steps later.

    The model is any registered model called as ``model(h, x, None, edge_attr, None, v)``
    whose output carries the predicted positions in ``.x``. It gets ``v`` when its
    ``uses_velocity`` is true (or unknown), ``h`` when its ``in_features`` is 1, and the
    first ``edge_features`` (0, 1 or 2) edge-attribute columns.

    Training: Adam, MSE loss, batches of 100, checkpoint every epoch, resumable; with
    ``world_size > 1`` every rank takes its share of each batch and gradients are averaged.

    References:
        | E(n) Equivariant Graph Neural Networks (Satorras et al., 2021), §5.1, Table 2
        | https://arxiv.org/abs/2102.09844

    Example:
        >>> import tessera
        >>> task = tessera.create("task", "egnn.nbody", epochs=2, num_train=100)
        >>> type(task.model).__name__, task.model.uses_velocity
        ('EGNN', True)
    """

    def __init__(
        self,
        model: nn.Module,
        num_train: int = 3000,
        num_valid: int = 2000,
        num_test: int = 2000,
        num_particles: int = 5,
        dim: int = 3,
        steps: int = 5000,
        sample_every: int = 100,
        dt: float = 0.001,
        frame_input: int = 30,
        frame_target: int = 40,
        data_seed: int = 43,
        data_dir: str | None = None,
        epochs: int = 10000,
        batch_size: int = 100,
        lr: float = 5e-4,
        weight_decay: float = 1e-12,
        eval_every: int = 5,
        plot: bool = True,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(
                f"egnn.nbody: model must be a torch.nn.Module, got {type(model).__name__}"
            )
        self.model = model
        self.sizes = {"train": num_train, "valid": num_valid, "test": num_test}
        self.simulation = {
            "num_particles": num_particles,
            "dim": dim,
            "steps": steps,
            "sample_every": sample_every,
            "dt": dt,
            "max_force": 0.1 / dt,
        }
        self.frame_input, self.frame_target = frame_input, frame_target
        self.data_seed, self.data_dir = data_seed, data_dir
        self.epochs, self.batch_size, self.lr = epochs, batch_size, lr
        self.weight_decay, self.eval_every, self.plot = weight_decay, eval_every, plot

    # Data

    def load_data(self, data_dir: str | Path) -> dict[str, NBodySplit]:
        """The three splits, simulated on first use and cached in ``data_dir``."""
        seeds = np.random.SeedSequence(self.data_seed).spawn(len(_SPLITS))
        splits = {}
        for name, seed in zip(_SPLITS, seeds):
            params = {
                "split": name,
                "size": self.sizes[name],
                "seed": self.data_seed,
                **self.simulation,
                "version": 1,
            }
            path = Path(data_dir) / f"{cache_key('charged', params)}.npz"
            if not path.exists():
                trajectories = simulate_charged_particles(
                    self.sizes[name], **self.simulation, rng=np.random.default_rng(seed)
                )

                def write(tmp: Path, t: Any = trajectories) -> None:
                    with open(tmp, "wb") as file:
                        np.savez(
                            file,
                            positions=np.ascontiguousarray(t.positions, dtype=np.float32),
                            velocities=np.ascontiguousarray(t.velocities, dtype=np.float32),
                            charges=t.charges.astype(np.float32),
                        )

                write_atomically(path, write)
            with np.load(path) as data:
                positions, velocities = data["positions"], data["velocities"]
                splits[name] = nbody_inputs(
                    positions[:, self.frame_input],
                    velocities[:, self.frame_input],
                    data["charges"],
                    positions[:, self.frame_target],
                )
        return splits

    # Model calls

    def _inputs(self, split: NBodySplit, index: Tensor) -> tuple[Tensor | None, ...]:
        model = self.model
        in_features = getattr(model, "in_features", 1)
        edge_features = getattr(model, "edge_features", 2)
        if in_features not in (0, 1) or edge_features not in (0, 1, 2):
            raise ValueError(
                f"egnn.nbody gives 1 node feature (‖v‖) and 2 edge attributes (q_i q_j, "
                f"‖x_i − x_j‖²), but the model has in_features={in_features} and "
                f"edge_features={edge_features}; build it with in_features 0 or 1 and "
                "edge_features 0, 1 or 2"
            )
        h = split.h[index][..., :in_features]
        edge_attr = split.edge_attr[index][..., :edge_features] if edge_features else None
        v = split.v[index] if getattr(model, "uses_velocity", True) else None
        return h, split.x[index], None, edge_attr, None, v

    def predict(self, split: NBodySplit, index: Tensor) -> Tensor:
        """Predicted target positions of the systems ``index`` of ``split``, (B, N, d)."""
        out = self.model(*self._inputs(split, index))
        return out.x if hasattr(out, "x") else out

    @torch.no_grad()
    def evaluate(self, split: NBodySplit) -> float:
        """Mean squared error over all systems, particles and coordinates."""
        self.model.eval()
        total = 0.0
        for start in range(0, len(split), _EVAL_BATCH):
            index = torch.arange(start, min(start + _EVAL_BATCH, len(split)))
            error = (self.predict(split, index) - split.target[index]).square()
            total += float(error.sum())
        return total / split.target.numel()

    # Run

    def run(self, context: RunContext) -> dict[str, Any]:
        """Train, evaluate every ``eval_every`` epochs, checkpoint every epoch."""
        if self.plot:
            require_matplotlib()
        distributed = check_distributed(context)
        rank, world_size = int(context.rank), int(context.world_size)
        data_dir = self.data_dir or Path(context.out_dir) / "data"
        data = self.load_data(data_dir)
        model = self.model
        parameters = [p for p in model.parameters() if p.requires_grad]
        optimizer = (
            torch.optim.Adam(parameters, lr=self.lr, weight_decay=self.weight_decay)
            if parameters
            else None
        )

        # Resume
        history: dict[str, list[float]] = {
            "epoch": [],
            "train_mse": [],
            "eval_epoch": [],
            "valid_mse": [],
            "test_mse": [],
        }
        best = {"valid_mse": math.inf, "test_mse": math.inf, "epoch": -1}
        start, elapsed = 0, 0.0
        state = context.load_checkpoint()
        if state is not None:
            model.load_state_dict(state["model"])
            if optimizer is not None and state.get("optimizer") is not None:
                optimizer.load_state_dict(state["optimizer"])
            history, best = state["history"], state["best"]
            start, elapsed = int(state["epoch"]) + 1, float(state["elapsed"])

        # Train
        bar = progress(context, self.epochs, "egnn.nbody", initial=start)
        for epoch in range(start, self.epochs):
            began = time.perf_counter()
            model.train()
            generator = torch.Generator().manual_seed(int(context.seed) * 1_000_003 + epoch)
            total, count = 0.0, 0
            for index in shuffled_batches(
                len(data["train"]), self.batch_size, generator, rank=rank, world_size=world_size
            ):
                target = data["train"].target[index]
                loss = (self.predict(data["train"], index) - target).square().mean()
                if optimizer is not None:
                    optimizer.zero_grad()
                    loss.backward()
                    if distributed:
                        average_gradients(model, world_size)
                    optimizer.step()
                total += loss.item() * len(index)
                count += len(index)
            metrics = {"train_mse": total / max(count, 1)}
            history["epoch"].append(epoch)
            history["train_mse"].append(metrics["train_mse"])

            if epoch % self.eval_every == 0 or epoch == self.epochs - 1:
                metrics["valid_mse"] = self.evaluate(data["valid"])
                metrics["test_mse"] = self.evaluate(data["test"])
                history["eval_epoch"].append(epoch)
                history["valid_mse"].append(metrics["valid_mse"])
                history["test_mse"].append(metrics["test_mse"])
                if metrics["valid_mse"] < best["valid_mse"]:
                    best = {
                        "valid_mse": metrics["valid_mse"],
                        "test_mse": metrics["test_mse"],
                        "epoch": epoch,
                    }
                metrics["best_valid_mse"] = best["valid_mse"]
                metrics["best_test_mse"] = best["test_mse"]
            elapsed += time.perf_counter() - began
            metrics["elapsed_s"] = elapsed
            context.log_metrics(epoch, metrics)
            bar.update()
            context.save_checkpoint(
                epoch,
                {
                    "epoch": epoch,
                    "elapsed": elapsed,
                    "model": model.state_dict(),
                    "optimizer": None if optimizer is None else optimizer.state_dict(),
                    "history": history,
                    "best": best,
                },
            )

        bar.close()

        # Report
        if self.plot and rank == 0:
            figure = loss_figure(
                {
                    "train": (history["epoch"], history["train_mse"]),
                    "valid": (history["eval_epoch"], history["valid_mse"]),
                    "test": (history["eval_epoch"], history["test_mse"]),
                },
                ylabel="MSE",
                title="N-body position prediction",
            )
            context.save_plot("loss", figure)
        return {
            "test_mse": best["test_mse"],
            "best_valid_mse": best["valid_mse"],
            "best_epoch": best["epoch"],
            "final_train_mse": history["train_mse"][-1] if history["train_mse"] else math.nan,
            "epochs": self.epochs,
            "train_seconds": elapsed,
            "num_parameters": sum(p.numel() for p in parameters),
        }
