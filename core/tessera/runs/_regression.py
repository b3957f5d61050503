"""``regression``: fit a small MLP to a noisy 1-D function; a smoke test of the runner.

It uses what a real training task uses: seeded data, minibatch SGD through
:mod:`tessera.runs.distributed` (so ``--nproc N`` splits each global batch over N
processes), metrics at every step, checkpoints every ``checkpoint_every`` steps, resuming
mid-epoch, a progress bar and two plots.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.data import TensorDataset

from tessera.kinds import RunContext, Task
from tessera.runs import distributed as dist

__all__ = ["RegressionTask"]

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _target(function: str, frequency: float, x: Tensor) -> Tensor:
    if function == "sin":
        return torch.sin(math.pi * frequency * x)
    if function == "abs":
        return x.abs()
    if function == "step":
        return torch.tanh(10 * x)
    raise NotImplementedError(
        f"regression target {function!r} is not implemented; use 'sin', 'abs' or 'step'"
    )


class RegressionTask(Task):
    """Fit ``y = f(x) + noise`` on ``[-1, 1]`` with an MLP and SGD with momentum.

    Logs ``loss`` (the global batch's mean squared error) at every step and ``test_mse``
    (on a grid of 200 points, noise-free) every ``eval_every`` steps. Returns the final
    ``train_loss`` (mean of the last epoch's losses), ``test_mse`` and ``steps``.

    Arguments are the fields of :class:`tessera.runs._configs.RegressionConfig`.

    Example:
        >>> task = RegressionTask(steps=10)
        >>> task.steps
        10
    """

    def __init__(
        self,
        function: str = "sin",
        frequency: float = 1.5,
        samples: int = 256,
        noise: float = 0.05,
        hidden_features: int = 32,
        layers: int = 2,
        steps: int = 400,
        batch_size: int = 32,
        lr: float = 0.05,
        momentum: float = 0.9,
        eval_every: int = 25,
        checkpoint_every: int = 50,
        dtype: str = "float32",
    ) -> None:
        self.function = function
        self.frequency = frequency
        self.samples = samples
        self.noise = noise
        self.hidden_features = hidden_features
        self.layers = layers
        self.steps = steps
        self.batch_size = batch_size
        self.lr = lr
        self.momentum = momentum
        self.eval_every = eval_every
        self.checkpoint_every = checkpoint_every
        self.dtype = dtype

    def _model(self) -> nn.Module:
        sizes = [1] + [self.hidden_features] * self.layers
        modules: list[nn.Module] = []
        for n_in, n_out in itertools.pairwise(sizes):
            modules += [nn.Linear(n_in, n_out), nn.Tanh()]
        modules.append(nn.Linear(sizes[-1], 1))
        return nn.Sequential(*modules).to(_DTYPES[self.dtype])

    def run(self, context: RunContext) -> dict[str, Any]:
        """Train, checkpoint, plot; returns the final losses."""
        dtype = _DTYPES[self.dtype]

        # Data, the same on every process
        generator = torch.Generator().manual_seed(context.seed)
        x = torch.rand(self.samples, 1, generator=generator, dtype=torch.float64) * 2 - 1
        y = _target(self.function, self.frequency, x)
        y = y + self.noise * torch.randn(self.samples, 1, generator=generator, dtype=torch.float64)
        dataset = TensorDataset(x.to(dtype), y.to(dtype))
        loader = dist.data_loader(
            dataset, self.batch_size, shuffle=True, seed=context.seed, drop_last=True
        )
        batches = len(loader)
        if batches == 0:
            raise ValueError(
                f"regression: batch_size {self.batch_size} exceeds samples "
                f"{self.samples}; lower batch_size or raise samples"
            )
        x_test = torch.linspace(-1, 1, 200, dtype=torch.float64).unsqueeze(1)
        y_test = _target(self.function, self.frequency, x_test).to(dtype)
        x_test = x_test.to(dtype)

        # Model and optimiser, restored after a resume
        model = self._model()
        net = dist.wrap_model(model)
        optimizer = torch.optim.SGD(net.parameters(), lr=self.lr, momentum=self.momentum)
        losses: list[float] = []
        test: list[tuple[int, float]] = []
        start = 0
        state = context.load_checkpoint()
        if state is not None:
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            losses = state["losses"].tolist()
            test = [(int(s), float(v)) for s, v in state["test"].tolist()]
            start = int(state["step"]) + 1

        # Training
        bar = context.progress(self.steps, "regression", initial=start)
        iterator = None
        for step in range(start, self.steps):
            epoch, index = divmod(step, batches)
            if iterator is None or index == 0:
                loader.sampler.set_epoch(epoch)
                iterator = iter(loader)
                for _ in range(index):  # resuming mid-epoch
                    next(iterator)
            xb, yb = next(iterator)
            loss = nn.functional.mse_loss(net(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

            metrics = {"loss": float(dist.all_reduce_mean(loss.detach()))}
            losses.append(metrics["loss"])
            if (step + 1) % self.eval_every == 0 or step == self.steps - 1:
                with torch.no_grad():
                    metrics["test_mse"] = nn.functional.mse_loss(model(x_test), y_test).item()
                test.append((step, metrics["test_mse"]))
            context.log_metrics(step, metrics)
            bar.update()
            if context.should_checkpoint(step, self.checkpoint_every):
                context.save_checkpoint(
                    step,
                    {
                        "step": step,
                        "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "losses": torch.tensor(losses, dtype=torch.float64),
                        "test": torch.tensor(test, dtype=torch.float64).reshape(-1, 2),
                    },
                )
        bar.close()

        # Plots and summary
        if context.rank == 0:
            self._plots(context, model, x, y, x_test, y_test, losses, test)
        tail = losses[-batches:]
        return {
            "train_loss": sum(tail) / len(tail),
            "test_mse": test[-1][1],
            "steps": self.steps,
        }

    def _plots(
        self,
        context: RunContext,
        model: nn.Module,
        x: Tensor,
        y: Tensor,
        x_test: Tensor,
        y_test: Tensor,
        losses: list[float],
        test: list[tuple[int, float]],
    ) -> None:
        from matplotlib.figure import Figure

        figure = Figure(figsize=(5, 3.2))
        axes = figure.add_subplot()
        axes.plot(range(len(losses)), losses, lw=0.8, label="train (batch)")
        axes.plot([s for s, _ in test], [v for _, v in test], "o-", ms=3, label="test")
        axes.set(
            xlabel="step",
            ylabel="mean squared error",
            yscale="log",
            title=f"regression ({self.function})",
        )
        axes.legend()
        context.save_plot("loss", figure)

        figure = Figure(figsize=(5, 3.2))
        axes = figure.add_subplot()
        with torch.no_grad():
            prediction = model(x_test)
        axes.scatter(x.squeeze(1), y.squeeze(1), s=6, alpha=0.5, label="training data")
        axes.plot(x_test.squeeze(1), y_test.squeeze(1), "k--", lw=1, label="target")
        axes.plot(x_test.squeeze(1), prediction.squeeze(1), lw=1.5, label="MLP")
        axes.set(xlabel="x", ylabel="y", title="fit")
        axes.legend()
        context.save_plot("fit", figure)
