"""The ``enf.dw4`` and ``enf.lj13`` tasks: maximum-likelihood training on MCMC samples."""

from __future__ import annotations

import math
import time
from abc import abstractmethod
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from tessera.kinds import RunContext, Task
from tessera_enf._data import load_split
from tessera_enf._energies import DoubleWell, LennardJones

__all__ = ["DW4Task", "LJ13Task", "ParticleSystemTask"]


def _config_dict(sampler: Any) -> dict[str, Any]:
    if hasattr(sampler, "model_dump"):
        return sampler.model_dump()
    if isinstance(sampler, Mapping):
        return dict(sampler)
    raise TypeError(f"sampler must be a MetropolisConfig or a mapping, got {type(sampler)}")


class ParticleSystemTask(Task):
    """Fit a flow to Boltzmann samples of a particle system and report the test NLL.

    Data: ``num_train``, ``num_valid`` and ``num_test`` configurations drawn by Metropolis
    MCMC from ``exp(−E(x))`` (each split with its own seed, cached under ``data_dir``),
    centred. Training: AdamW with amsgrad, loss ``−log p(x)`` plus the flow's regulariser;
    the flow's training mode (Hutchinson trace by default) is used for the loss and its
    eval mode (exact trace, tight tolerances) for the validation and test NLL. The reported
    ``test_nll`` is the test NLL at the epoch of best validation NLL, in nats per
    configuration on the zero centre-of-mass subspace (the paper's convention). After
    training, the best weights draw ``num_samples`` configurations whose energies are
    compared with the data's.

    The flow is any registered flow with ``event_shape == (N, D)`` whose ``log_prob`` takes
    (B, N, D); baselines are the ``enf`` flow with another ``dynamics`` layer.

    Subclasses give the energy and the system's size.
    """

    system: str
    num_nodes: int
    dim: int

    def __init__(
        self,
        flow: nn.Module,
        sampler: Any,
        num_train: int = 1000,
        num_valid: int = 1000,
        num_test: int = 1000,
        epochs: int = 300,
        batch_size: int = 100,
        eval_batch_size: int = 500,
        eval_every: int = 5,
        lr: float = 5e-4,
        weight_decay: float = 1e-12,
        augment: bool = False,
        data_seed: int = 0,
        data_dir: str | None = None,
        num_samples: int = 500,
        plot: bool = True,
    ) -> None:
        if not isinstance(flow, nn.Module) or not hasattr(flow, "log_prob"):
            raise TypeError(
                f"{self.task_name}: flow must be a Flow module with log_prob, got "
                f"{type(flow).__name__}"
            )
        shape = tuple(getattr(flow, "event_shape", (self.num_nodes, self.dim)))
        if shape != (self.num_nodes, self.dim):
            raise ValueError(
                f"{self.task_name}: the flow's event shape is {shape}, but the system has "
                f"{self.num_nodes} particles in {self.dim}D; build the flow with "
                f"num_nodes={self.num_nodes}, dim={self.dim}"
            )
        self.flow = flow
        self.sampler = _config_dict(sampler)
        self.sizes = {"train": num_train, "valid": num_valid, "test": num_test}
        self.epochs, self.batch_size, self.eval_batch_size = epochs, batch_size, eval_batch_size
        self.eval_every, self.lr, self.weight_decay = eval_every, lr, weight_decay
        self.augment, self.data_seed, self.data_dir = augment, data_seed, data_dir
        self.num_samples, self.plot = num_samples, plot

    @property
    def task_name(self) -> str:
        return f"enf.{self.system}"

    @abstractmethod
    def energy(self) -> Callable[[Tensor], Tensor]:
        """The system's energy, (B, N, D) → (B,)."""

    @abstractmethod
    def system_params(self) -> dict[str, Any]:
        """The energy's parameters (part of the data cache key)."""

    # Data

    def load_data(self, data_dir: str | Path) -> tuple[dict[str, Tensor], dict[str, Any]]:
        """The three splits as float32 (S, N, D) tensors, and the sampler's statistics."""
        splits, info = {}, {}
        for split, size in self.sizes.items():
            samples, stats = load_split(
                self.system,
                split,
                size,
                self.energy(),
                (self.num_nodes, self.dim),
                self.sampler,
                self.data_seed,
                data_dir,
                self.system_params(),
            )
            splits[split] = samples.float()
            info[f"{split}_acceptance"] = stats["acceptance"]
        return splits, info

    # Evaluation

    @torch.no_grad()
    def evaluate(self, data: Tensor) -> tuple[float, float]:
        """Mean NLL over ``data`` in eval mode, and the mean function evaluations per
        integration."""
        self.flow.eval()
        dtype = next(self.flow.parameters()).dtype
        total, nfe, batches = 0.0, 0.0, 0
        for start in range(0, len(data), self.eval_batch_size):
            batch = data[start : start + self.eval_batch_size].to(dtype)
            total += float(-self.flow.log_prob(batch).sum())
            nfe += float(getattr(self.flow, "last_nfe", math.nan))
            batches += 1
        return total / len(data), nfe / max(batches, 1)

    def _loss(self, batch: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        flow = self.flow
        if hasattr(flow, "forward_and_regularization"):
            z, log_det, reg = flow.forward_and_regularization(batch, generator=generator)
            nll = -(flow.base_log_prob(z) + log_det)
            return nll.mean(), reg.mean()
        nll = -flow.log_prob(batch)
        return nll.mean(), nll.new_zeros(())

    # Run

    def run(self, context: RunContext) -> dict[str, Any]:
        """Generate (or load) the data, train, evaluate, sample; checkpoint every epoch."""
        if self.plot:
            _require_matplotlib()
        rank, world_size = int(context.rank), int(context.world_size)
        distributed = _check_distributed(world_size)
        data_dir = self.data_dir or Path(context.out_dir) / "data"
        data, data_info = self.load_data(data_dir)
        flow = self.flow
        parameters = [p for p in flow.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(
            parameters, lr=self.lr, amsgrad=True, weight_decay=self.weight_decay
        )
        dtype = parameters[0].dtype if parameters else torch.float32

        # Resume
        history: dict[str, list[float]] = {
            "epoch": [],
            "train_nll": [],
            "eval_epoch": [],
            "valid_nll": [],
            "test_nll": [],
        }
        best: dict[str, Any] = {"valid_nll": math.inf, "test_nll": math.inf, "epoch": -1}
        best_state = {k: v.clone() for k, v in flow.state_dict().items()}
        start, elapsed, nfe_train, nfe_eval = 0, 0.0, math.nan, math.nan
        state = context.load_checkpoint()
        if state is not None:
            flow.load_state_dict(state["flow"])
            optimizer.load_state_dict(state["optimizer"])
            history, best, best_state = state["history"], state["best"], state["best_flow"]
            start, elapsed = int(state["epoch"]) + 1, float(state["elapsed"])
            nfe_train, nfe_eval = float(state["nfe_train"]), float(state["nfe_eval"])

        # Train
        bar = _progress(context, self.epochs, self.task_name, start)
        train = data["train"]
        for epoch in range(start, self.epochs):
            began = time.perf_counter()
            flow.train()
            generator = torch.Generator().manual_seed(int(context.seed) * 1_000_003 + epoch)
            total, reg_total, count, nfe_sum, steps = 0.0, 0.0, 0, 0.0, 0
            for index in _batches(len(train), self.batch_size, generator, rank, world_size):
                batch = train[index].to(dtype)
                if self.augment:
                    batch = _random_orthogonal(batch, generator)
                nll, reg = self._loss(batch, generator)
                optimizer.zero_grad()
                (nll + reg).backward()
                if distributed:
                    _average_gradients(parameters, world_size)
                optimizer.step()
                total += float(nll.detach()) * len(index)
                reg_total += float(reg.detach()) * len(index)
                count += len(index)
                nfe_sum += float(getattr(flow, "last_nfe", math.nan))
                steps += 1
            nfe_train = nfe_sum / max(steps, 1)
            metrics = {
                "train_nll": total / max(count, 1),
                "train_regularization": reg_total / max(count, 1),
                "nfe_train": nfe_train,
            }
            history["epoch"].append(epoch)
            history["train_nll"].append(metrics["train_nll"])

            if epoch % self.eval_every == 0 or epoch == self.epochs - 1:
                metrics["valid_nll"], nfe_eval = self.evaluate(data["valid"])
                metrics["test_nll"], _ = self.evaluate(data["test"])
                metrics["nfe_eval"] = nfe_eval
                history["eval_epoch"].append(epoch)
                history["valid_nll"].append(metrics["valid_nll"])
                history["test_nll"].append(metrics["test_nll"])
                if metrics["valid_nll"] < best["valid_nll"]:
                    best = {
                        "valid_nll": metrics["valid_nll"],
                        "test_nll": metrics["test_nll"],
                        "epoch": epoch,
                    }
                    best_state = {k: v.clone() for k, v in flow.state_dict().items()}
                metrics["best_valid_nll"] = best["valid_nll"]
                metrics["best_test_nll"] = best["test_nll"]
            elapsed += time.perf_counter() - began
            metrics["elapsed_s"] = elapsed
            context.log_metrics(epoch, metrics)
            bar.update()
            context.save_checkpoint(
                epoch,
                {
                    "epoch": epoch,
                    "elapsed": elapsed,
                    "flow": flow.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "history": history,
                    "best": best,
                    "best_flow": best_state,
                    "nfe_train": nfe_train,
                    "nfe_eval": nfe_eval,
                },
            )
        bar.close()

        # Sample from the best weights
        flow.load_state_dict(best_state)
        summary: dict[str, Any] = {
            "test_nll": best["test_nll"],
            "best_valid_nll": best["valid_nll"],
            "best_epoch": best["epoch"],
            "final_train_nll": history["train_nll"][-1] if history["train_nll"] else math.nan,
            "epochs": self.epochs,
            "num_train": self.sizes["train"],
            "train_seconds": elapsed,
            "seconds_per_epoch": elapsed / max(self.epochs, 1),
            "nfe_train": nfe_train,
            "nfe_eval": nfe_eval,
            "num_parameters": sum(p.numel() for p in parameters),
            **data_info,
        }
        if self.num_samples and rank == 0:
            summary.update(self._sample_report(context, data["test"]))
        if self.plot and rank == 0:
            context.save_plot("nll", _nll_figure(history, self.task_name))
        return summary

    @torch.no_grad()
    def _sample_report(self, context: RunContext, test: Tensor) -> dict[str, float]:
        self.flow.eval()
        generator = torch.Generator().manual_seed(int(context.seed) + 7)
        samples = []
        for start in range(0, self.num_samples, self.eval_batch_size):
            n = min(self.eval_batch_size, self.num_samples - start)
            samples.append(self.flow.sample(n, generator=generator))
        report, figure = self.compare_samples(torch.cat(samples).double(), test.double())
        if figure is not None:
            context.save_plot(self.sample_plot, figure)
        return report

    #: name of the plot :meth:`compare_samples` draws
    sample_plot = "energies"

    def compare_samples(self, samples: Tensor, data: Tensor) -> tuple[dict[str, float], Any]:
        """Energies of the flow's samples (S, N, D) against the test data's: their medians,
        the fraction of finite sample energies, and (with ``plot``) both histograms."""
        energy = self.energy()
        e_samples, e_data = energy(samples), energy(data)
        finite = torch.isfinite(e_samples)
        report = {
            "sample_energy_median": float(e_samples[finite].median())
            if finite.any()
            else math.nan,
            "data_energy_median": float(e_data.median()),
            "sample_energy_finite": float(finite.double().mean()),
        }
        figure = _energy_figure(e_data, e_samples, self.task_name) if self.plot else None
        return report, figure


class DW4Task(ParticleSystemTask):
    """``enf.dw4``: the DW4 double-well system, 4 particles in 2D (paper §5.1, Table 1).

    See :class:`ParticleSystemTask` for the protocol and :class:`tessera_enf.DoubleWell` for
    the energy. The paper trains on 10², 10³, 10⁴ and 10⁵ samples for 1000, 300, 50 and 6
    epochs with batches of 100 and validates on 1000, tests on 1000.

    References:
        | E(n) Equivariant Normalizing Flows (Satorras et al., 2021)
        | https://arxiv.org/abs/2105.09016

    Example:
        >>> import tessera
        >>> task = tessera.create("task", "enf.dw4", num_train=100, epochs=2)
        >>> task.flow.event_shape
        (4, 2)
    """

    system, num_nodes, dim = "dw4", 4, 2

    def __init__(
        self,
        flow: nn.Module,
        sampler: Any,
        a: float = 0.9,
        b: float = -4.0,
        c: float = 0.0,
        d0: float = 4.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(flow, sampler, **kwargs)
        self.a, self.b, self.c, self.d0 = a, b, c, d0

    def energy(self) -> DoubleWell:
        return DoubleWell(self.num_nodes, self.dim, self.a, self.b, self.c, self.d0)

    def system_params(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "c": self.c, "d0": self.d0}


class LJ13Task(ParticleSystemTask):
    """``enf.lj13``: the Lennard-Jones cluster of 13 particles in 3D (paper §5.1, Table 1).

    See :class:`ParticleSystemTask` for the protocol and :class:`tessera_enf.LennardJones`
    for the energy. The paper trains on 10, 10², 10³ and 10⁴ samples for 500, 1000, 300 and
    50 epochs (batches of 10 for the smallest set, 100 otherwise).

    References:
        | E(n) Equivariant Normalizing Flows (Satorras et al., 2021)
        | https://arxiv.org/abs/2105.09016

    Example:
        >>> import tessera
        >>> task = tessera.create("task", "enf.lj13", num_train=100, epochs=2)
        >>> task.flow.event_shape
        (13, 3)
    """

    system, num_nodes, dim = "lj13", 13, 3

    def __init__(
        self,
        flow: nn.Module,
        sampler: Any,
        epsilon: float = 1.0,
        r_m: float = 1.0,
        oscillator: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(flow, sampler, **kwargs)
        self.epsilon, self.r_m, self.oscillator = epsilon, r_m, oscillator

    def energy(self) -> LennardJones:
        return LennardJones(self.num_nodes, self.dim, self.epsilon, self.r_m, self.oscillator)

    def system_params(self) -> dict[str, Any]:
        return {"epsilon": self.epsilon, "r_m": self.r_m, "oscillator": self.oscillator}


# Helpers


def _batches(
    size: int, batch_size: int, generator: torch.Generator, rank: int, world_size: int
) -> Iterator[Tensor]:
    """Shuffled full batches; rank ``r`` takes every ``world_size``-th item of each."""
    order = torch.randperm(size, generator=generator)
    stop = size - size % batch_size
    for start in range(0, stop, batch_size):
        yield order[start : start + batch_size][rank::world_size]


def _random_orthogonal(x: Tensor, generator: torch.Generator) -> Tensor:
    """Each sample of ``x`` (B, N, D) under its own Haar-random orthogonal matrix."""
    from tessera.groups import haar_orthogonal

    q = haar_orthogonal(len(x), x.shape[-1], generator, dtype=x.dtype)
    return x @ q.transpose(1, 2)


def _check_distributed(world_size: int) -> bool:
    if world_size <= 1:
        return False
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        raise RuntimeError(
            f"the run context says world_size={world_size}, but torch.distributed has no "
            "process group; launch through the runner (tessera run --nproc) or use one process"
        )
    return True


def _average_gradients(parameters: list[nn.Parameter], world_size: int) -> None:
    import torch.distributed as dist

    for p in parameters:
        if p.grad is None:
            p.grad = torch.zeros_like(p)
        dist.all_reduce(p.grad)
        p.grad /= world_size


class _NoProgress:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(context: Any, total: int, description: str, initial: int) -> Any:
    make = getattr(context, "progress", None)
    return _NoProgress() if make is None else make(total, description, initial=initial)


def _require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(
            "plot=true needs matplotlib; install it (pip install 'tessera-enf[plots]') or set "
            "plot: false"
        ) from None


def _nll_figure(history: Mapping[str, list[float]], title: str) -> Any:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 4))
    axes = figure.add_subplot()
    axes.plot(history["epoch"], history["train_nll"], label="train (training-mode trace)")
    axes.plot(history["eval_epoch"], history["valid_nll"], "o-", label="valid")
    axes.plot(history["eval_epoch"], history["test_nll"], "s-", label="test")
    axes.set_xlabel("epoch")
    axes.set_ylabel("NLL (nats)")
    axes.set_title(title)
    axes.legend()
    figure.tight_layout()
    return figure


def _energy_figure(data: Tensor, samples: Tensor, title: str) -> Any:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 4))
    axes = figure.add_subplot()
    lo, hi = float(data.quantile(0.001)), float(data.quantile(0.999))
    pad = 0.1 * (hi - lo)
    bins = torch.linspace(lo - pad, hi + pad, 60).tolist()
    axes.hist(data.tolist(), bins=bins, density=True, alpha=0.5, label="MCMC data (test)")
    # Samples outside the range shown are counted in the legend, not piled into an edge bin;
    # the flow's histogram has area equal to the fraction of its samples in range
    shown = samples[(samples >= bins[0]) & (samples <= bins[-1])]
    outside = 1.0 - len(shown) / max(len(samples), 1)
    width = bins[1] - bins[0]
    weights = torch.full((len(shown),), 1.0 / (max(len(samples), 1) * width))
    label = f"flow ({outside:.0%} of samples outside the range shown)" if outside else "flow"
    axes.hist(
        shown.tolist(), bins=bins, weights=weights.tolist(), histtype="step", lw=2, label=label
    )
    axes.set_xlabel("energy E(x)")
    axes.set_ylabel("density")
    axes.set_title(f"{title}: energies of samples")
    axes.legend()
    figure.tight_layout()
    return figure
