"""Task ``bofm.compare``: FM kernels, the diffusion baselines and random search, side by side."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from tessera.bo import (
    AcquisitionOptimizer,
    BayesianOptimization,
    ExactGP,
    plot_best_values,
    require_matplotlib,
)
from tessera.kinds import Acquisition, RunContext, Task
from tessera_bofm.configs import METHODS
from tessera_bofm.kernels import (
    DiffusionAdditiveKernel,
    DiffusionProductKernel,
    FrequencyModulatedKernel,
)

__all__ = ["CompareTask", "make_surrogate", "summarise"]

logger = logging.getLogger(__name__)


def make_surrogate(method: str, seed: int = 0, restarts: int = 3, iterations: int = 60) -> ExactGP:
    """The GP surrogate of a comparison method: ``moddif``, ``modlap``, ``additive``,
    ``product``.

    Example:
        >>> make_surrogate("modlap").kernel.variant
        'modlap'
    """
    if method in ("moddif", "modlap"):
        kernel = FrequencyModulatedKernel(method)
    elif method == "additive":
        kernel = DiffusionAdditiveKernel()
    elif method == "product":
        kernel = DiffusionProductKernel()
    else:
        raise ValueError(
            f"make_surrogate: method {method!r} has no surrogate; use one of "
            f"{', '.join(m for m in METHODS if m != 'random')}"
        )
    return ExactGP(kernel, restarts=restarts, iterations=iterations, seed=seed)


def summarise(curves: Mapping[str, Tensor]) -> dict[str, dict[str, float]]:
    """Mean and standard error of the final best value per method.

    Arguments:
        curves: method → running best values, (seeds, budget).

    Example:
        >>> summarise({"a": torch.tensor([[3.0, 1.0], [2.0, 2.0]])})["a"]
        {'mean': 1.5, 'stderr': 0.5, 'seeds': 2}
    """
    table: dict[str, dict[str, float]] = {}
    for method, values in curves.items():
        final = values[:, -1]
        k = len(final)
        stderr = float(final.std() / math.sqrt(k)) if k > 1 else 0.0
        table[method] = {"mean": float(final.mean()), "stderr": stderr, "seeds": k}
    return table


class CompareTask(Task):
    """Run each method on one problem for several seeds; report the best value found.

    Methods are Bayesian optimisation with the FM kernel (``moddif``, ``modlap``), with the
    additive and product diffusion × RBF baselines (``additive``, ``product``), all with the
    same GP fit, acquisition and optimiser, and ``random`` search. Every run has the same
    ``budget`` and seed ``s`` of every method starts from the same random initial design.
    The summary holds, per method, the mean and standard error of the best value after the
    budget, and the methods ranked by mean; the plot ``plots/regret.png`` (or
    ``best_value.png`` when the optimum is unknown) shows the mean curves. A checkpoint after
    every batch lets an interrupted comparison resume.

    Arguments are the fields of :class:`tessera_bofm.configs.CompareConfig`.

    References:
        | Mixed Variable Bayesian Optimization with Frequency Modulated Kernels
          (Oh, Gavves and Welling, 2021)
        | https://arxiv.org/abs/2102.12792
    """

    def __init__(
        self,
        problem: Any,
        methods: Sequence[str] = METHODS,
        seeds: int = 5,
        budget: int = 50,
        initial_design: int = 10,
        acquisition: Acquisition | None = None,
        restarts: int = 3,
        iterations: int = 60,
        optimizer: Mapping[str, Any] | Any | None = None,
    ) -> None:
        unknown = sorted(set(methods) - set(METHODS))
        if unknown:
            raise ValueError(
                f"bofm.compare: unknown methods {unknown}; choose from {', '.join(METHODS)}"
            )
        if initial_design >= budget:
            raise ValueError(
                f"bofm.compare: initial_design = {initial_design} must be below budget = {budget}"
            )
        require_matplotlib("bofm.compare")
        self.problem = problem
        self.methods, self.seeds = list(methods), int(seeds)
        self.budget, self.initial_design = int(budget), int(initial_design)
        self.acquisition = acquisition
        self.restarts, self.iterations = int(restarts), int(iterations)
        if optimizer is not None and not isinstance(optimizer, Mapping):
            optimizer = optimizer.model_dump()
        self.optimizer = dict(optimizer or {})

    def _loop(self, method: str, run_seed: int) -> BayesianOptimization:
        problem = self.problem
        sign = 1.0 if getattr(problem, "minimize", True) else -1.0

        def objective(point: Any) -> float:
            return sign * float(problem.objective(point))

        random = method == "random"
        return BayesianOptimization(
            problem.space,
            objective,
            surrogate=None
            if random
            else make_surrogate(method, run_seed, self.restarts, self.iterations),
            acquisition=self.acquisition,
            optimizer=AcquisitionOptimizer(**self.optimizer),
            initial_design=self.budget if random else self.initial_design,
            seed=run_seed,
        )

    def run(self, context: RunContext) -> dict[str, Any]:
        """Run every (method, seed) not yet done; returns the table and the ranking."""
        sign = 1.0 if getattr(self.problem, "minimize", True) else -1.0
        optimum = getattr(self.problem, "optimum", None)
        state = context.load_checkpoint() or {}
        curves: dict[str, list[Tensor]] = {
            m: list(torch.as_tensor(state.get("curves", {}).get(m, torch.zeros(0, 0))))
            for m in self.methods
        }
        current = state.get("current")
        total = len(self.methods) * self.seeds * self.budget
        done = sum(len(c) for c in curves.values()) * self.budget
        bar = context.progress(total, "bofm.compare", initial=done)

        for m, method in enumerate(self.methods):
            for seed in range(len(curves[method]), self.seeds):
                run_index = m * self.seeds + seed
                bo = self._loop(method, context.seed * 1000 + seed)
                if current is not None and current["run"] == run_index:
                    bo.load_state_dict(current["bo"])
                bar.update(bo.evaluations)
                while bo.evaluations < self.budget:
                    bo.step()
                    bar.update(1)
                    step = run_index * self.budget + bo.evaluations - 1
                    if bo.evaluations < self.budget and context.should_checkpoint(step, 1):
                        context.save_checkpoint(
                            step,
                            {
                                "curves": _stacked(curves),
                                "current": {"run": run_index, "bo": bo.state_dict()},
                            },
                        )
                best = sign * bo.result().best_values
                curves[method].append(best)
                current = None
                step = run_index * self.budget + self.budget - 1
                metrics = {f"{method}.best_value": float(best[-1])}
                if optimum is not None:
                    metrics[f"{method}.regret"] = abs(float(best[-1]) - optimum)
                context.log_metrics(step, metrics)
                logger.info("bofm.compare: %s seed %d: best %.6g", method, seed, best[-1])
                if context.should_checkpoint(step, 1):
                    context.save_checkpoint(step, {"curves": _stacked(curves), "current": None})
        bar.close()

        # Table, ranking and plot
        stacked = {m: torch.stack(c) for m, c in curves.items()}
        table = summarise(stacked)
        ranking = sorted(table, key=lambda k: sign * table[k]["mean"])
        if context.rank == 0:
            mean_curves = {m: c.mean(0) for m, c in stacked.items()}
            name = str(getattr(self.problem, "name", "problem"))
            figure = plot_best_values(
                mean_curves,
                optimum,
                title=f"{name}: mean over {self.seeds} seed{'s' if self.seeds > 1 else ''}",
                regret=optimum is not None,
            )
            context.save_plot("regret" if optimum is not None else "best_value", figure)
        summary: dict[str, Any] = {"methods": table, "ranking": ranking}
        if optimum is not None:
            summary["optimum"] = float(optimum)
        return summary


def _stacked(curves: Mapping[str, list[Tensor]]) -> dict[str, Tensor]:
    return {
        m: torch.stack(c) if c else torch.zeros(0, 0, dtype=torch.float64)
        for m, c in curves.items()
    }
