"""The ``egnn.qm9`` task: regress one molecular property with an invariant EGNN (§5.3)."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional as F

from tessera.datasets import ELEMENTS, Molecule, read_qm9, target_value
from tessera.kinds import RunContext, Task
from tessera_egnn._model import EGNN
from tessera_egnn._training import (
    average_gradients,
    check_distributed,
    loss_figure,
    progress,
    require_matplotlib,
    shuffled_batches,
)

__all__ = ["MoleculeBatch", "QM9Task", "atom_features"]

_MAX_CHARGE = 9.0


def atom_features(symbols: list[str], charge_power: int) -> np.ndarray:
    """The reference node features: the one-hot element (H, C, N, O, F) times
    ``(Z / 9)^k`` for ``k = 0 … charge_power``, (n, 5 · (charge_power + 1))."""
    one_hot = np.zeros((len(symbols), len(ELEMENTS)))
    one_hot[np.arange(len(symbols)), [list(ELEMENTS).index(s) for s in symbols]] = 1.0
    charges = np.array([ELEMENTS[s] for s in symbols]) / _MAX_CHARGE
    powers = charges[:, None] ** np.arange(charge_power + 1)[None, :]
    return (one_hot[:, :, None] * powers[:, None, :]).reshape(len(symbols), -1)


class MoleculeBatch:
    """Zero-padded molecules: features (M, N, F), positions (M, N, 3), mask, targets (M,)."""

    def __init__(self, molecules: list[Molecule], target: str, charge_power: int) -> None:
        n = max(len(m.symbols) for m in molecules)
        width = len(ELEMENTS) * (charge_power + 1)
        self.h = torch.zeros(len(molecules), n, width)
        self.x = torch.zeros(len(molecules), n, 3)
        self.mask = torch.zeros(len(molecules), n, dtype=torch.bool)
        values = []
        for b, molecule in enumerate(molecules):
            size = len(molecule.symbols)
            self.h[b, :size] = torch.as_tensor(atom_features(molecule.symbols, charge_power))
            self.x[b, :size] = torch.as_tensor(molecule.positions)
            self.mask[b, :size] = True
            value, self.unit = target_value(molecule, target)
            values.append(value)
        self.y = torch.tensor(values, dtype=torch.float64)

    def __len__(self) -> int:
        return len(self.y)

    def select(self, index: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """``(h, x, mask, y)`` of the molecules ``index``, trimmed to their largest size."""
        mask = self.mask[index]
        n = int(mask.sum(1).max())
        return self.h[index][:, :n], self.x[index][:, :n], mask[:, :n], self.y[index]


class QM9Task(Task):
    """Train the paper's invariant EGNN on one QM9 property and report the test MAE.

    The network is :class:`tessera_egnn.EGNN` in coordinate-free mode (``h`` depends on
    the positions only through ``‖x_i − x_j‖²``): 7 layers of 128 features with attention,
    SiLU, a node MLP, sum pooling and a graph MLP, on fully connected molecules. Targets
    are normalised by the training mean and mean absolute deviation; the loss is L1; Adam
    with a cosine-annealed learning rate. Energies are in meV (U0, U, H, G as atomisation
    energies). The split is random: ``num_train`` molecules, ``num_test`` (10% by default)
    and ``num_valid`` (the rest by default).

    References:
        | E(n) Equivariant Graph Neural Networks (Satorras et al., 2021), §5.3, Table 4
        | https://arxiv.org/abs/2102.09844

    Example:
        >>> import tessera
        >>> task = tessera.create("task", "egnn.qm9", path="qm9/", target="gap")
        >>> task.build_model().layers[0].update_coords
        False
    """

    def __init__(
        self,
        path: str,
        target: str = "homo",
        num_train: int = 100000,
        num_test: int | None = None,
        num_valid: int | None = None,
        split_seed: int = 0,
        hidden_features: int = 128,
        num_layers: int = 7,
        attention: bool = True,
        charge_power: int = 2,
        epochs: int = 1000,
        batch_size: int = 96,
        lr: float = 1e-3,
        weight_decay: float = 1e-16,
        eval_every: int = 1,
        plot: bool = True,
    ) -> None:
        self.path, self.target = path, target
        self.num_train, self.num_test, self.num_valid = num_train, num_test, num_valid
        self.split_seed, self.charge_power = split_seed, charge_power
        self.architecture = {
            "hidden_features": hidden_features,
            "num_layers": num_layers,
            "attention": attention,
        }
        self.epochs, self.batch_size, self.lr = epochs, batch_size, lr
        self.weight_decay, self.eval_every, self.plot = weight_decay, eval_every, plot

    def make_data(self) -> dict[str, MoleculeBatch]:
        """Read the copy at ``path`` and split it."""
        molecules = read_qm9(self.path)
        total = len(molecules)
        num_test = self.num_test if self.num_test is not None else int(0.1 * total)
        rest = total - self.num_train - num_test
        num_valid = self.num_valid if self.num_valid is not None else rest
        if min(num_test, num_valid) < 1 or self.num_train + num_test + num_valid > total:
            raise ValueError(
                f"QM9 copy '{self.path}' has {total} molecules, too few for num_train="
                f"{self.num_train}, num_test={num_test}, num_valid={num_valid} (each split "
                "needs at least one); lower num_train or give num_test and num_valid"
            )
        order = np.random.default_rng(self.split_seed).permutation(total)
        bounds = np.cumsum([0, self.num_train, num_valid, num_test])
        return {
            name: MoleculeBatch(
                [molecules[i] for i in order[bounds[k] : bounds[k + 1]]],
                self.target,
                self.charge_power,
            )
            for k, name in enumerate(("train", "valid", "test"))
        }

    def build_model(self) -> EGNN:
        """The invariant EGNN with a one-dimensional graph output."""
        return EGNN(
            in_features=len(ELEMENTS) * (self.charge_power + 1),
            update_coords=False,
            graph_features=1,
            pooling="sum",
            **self.architecture,
        )

    @torch.no_grad()
    def evaluate(self, model: EGNN, data: MoleculeBatch, mean: float, mad: float) -> float:
        """Mean absolute error in the target's unit."""
        model.eval()
        error = 0.0
        for start in range(0, len(data), 256):
            h, x, mask, y = data.select(torch.arange(start, min(start + 256, len(data))))
            prediction = model(h, x, mask).graph[:, 0].double() * mad + mean
            error += float((prediction - y).abs().sum())
        return error / len(data)

    def run(self, context: RunContext) -> dict[str, Any]:
        """Train, evaluate every ``eval_every`` epochs, checkpoint every epoch."""
        if self.plot:
            require_matplotlib()
        distributed = check_distributed(context)
        rank, world_size, seed = int(context.rank), int(context.world_size), int(context.seed)
        data = self.make_data()
        mean = float(data["train"].y.mean())
        mad = float((data["train"].y - mean).abs().mean()) or 1.0

        torch.manual_seed(seed)
        model = self.build_model()
        optimizer = torch.optim.Adam(
            model.parameters(), lr=self.lr, weight_decay=self.weight_decay
        )
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, self.epochs)
        history: dict[str, list[float]] = {
            "epoch": [],
            "train_l1": [],
            "eval_epoch": [],
            "valid_mae": [],
            "test_mae": [],
        }
        best = {"valid_mae": math.inf, "test_mae": math.inf, "epoch": -1}
        start, elapsed = 0, 0.0
        state = context.load_checkpoint()
        if state is not None:
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            schedule.load_state_dict(state["schedule"])
            history, best = state["history"], state["best"]
            start, elapsed = int(state["epoch"]) + 1, float(state["elapsed"])

        bar = progress(context, self.epochs, "egnn.qm9", initial=start)
        for epoch in range(start, self.epochs):
            began = time.perf_counter()
            model.train()
            generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
            total, count = 0.0, 0
            for batch in shuffled_batches(
                len(data["train"]),
                self.batch_size,
                generator,
                drop_last=False,
                rank=rank,
                world_size=world_size,
            ):
                h, x, mask, y = data["train"].select(batch)
                target = ((y - mean) / mad).float()
                loss = F.l1_loss(model(h, x, mask).graph[:, 0], target)
                optimizer.zero_grad()
                loss.backward()
                if distributed:
                    average_gradients(model, world_size)
                optimizer.step()
                total += loss.item() * len(batch)
                count += len(batch)
            schedule.step()
            metrics = {"train_l1": total / max(count, 1)}
            history["epoch"].append(epoch)
            history["train_l1"].append(metrics["train_l1"])

            if epoch % self.eval_every == 0 or epoch == self.epochs - 1:
                metrics["valid_mae"] = self.evaluate(model, data["valid"], mean, mad)
                metrics["test_mae"] = self.evaluate(model, data["test"], mean, mad)
                history["eval_epoch"].append(epoch)
                history["valid_mae"].append(metrics["valid_mae"])
                history["test_mae"].append(metrics["test_mae"])
                if metrics["valid_mae"] < best["valid_mae"]:
                    best = {
                        "valid_mae": metrics["valid_mae"],
                        "test_mae": metrics["test_mae"],
                        "epoch": epoch,
                    }
            elapsed += time.perf_counter() - began
            context.log_metrics(epoch, metrics)
            bar.update()
            context.save_checkpoint(
                epoch,
                {
                    "epoch": epoch,
                    "elapsed": elapsed,
                    "history": history,
                    "best": best,
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "schedule": schedule.state_dict(),
                },
            )

        bar.close()

        if self.plot and rank == 0:
            figure = loss_figure(
                {
                    "valid": (history["eval_epoch"], history["valid_mae"]),
                    "test": (history["eval_epoch"], history["test_mae"]),
                },
                ylabel=f"MAE ({data['train'].unit})",
                title=f"QM9 {self.target}",
            )
            context.save_plot("mae", figure)
        return {
            "target": self.target,
            "unit": data["train"].unit,
            "test_mae": best["test_mae"],
            "best_valid_mae": best["valid_mae"],
            "best_epoch": best["epoch"],
            "train_seconds": elapsed,
            "num_train": len(data["train"]),
        }
