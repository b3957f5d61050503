"""Tasks ``law2order.benchmark`` and ``law2order.structure``: batch acquisitions compared."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from tessera.bo import BayesianOptimization, ExactGP, plot_best_values, require_matplotlib
from tessera.kinds import Acquisition, Kernel, RunContext, Task
from tessera.spaces import Permutation
from tessera_law2order._acquisition import DPP, LAW, BatchUCB, KrigingBeliever, RandomSearch
from tessera_law2order._bn import structural_hamming_distance
from tessera_law2order._configs import METHODS
from tessera_law2order._kernels import PositionKernel
from tessera_law2order._solver import LAW2ORDERSolver, as_optimizer

__all__ = ["BenchmarkTask", "StructureTask", "method_acquisition", "results_table"]

logger = logging.getLogger(__name__)


def method_acquisition(method: str, seed: int = 0) -> Acquisition:
    """The batch acquisition of a compared method.

    ``law-est`` and ``law-ei`` are LAW with EST and EI weights; ``q-ei`` and ``q-est`` the
    kriging believer; ``bucb`` batch UCB; ``dpp`` the unweighted DPP (first point by EST);
    ``random`` random search.

    Example:
        >>> method_acquisition("law-ei").weight
        'ei'
    """
    if method == "law-est":
        return LAW("est")
    if method == "law-ei":
        return LAW("ei")
    if method == "q-ei":
        return KrigingBeliever("ei")
    if method == "q-est":
        return KrigingBeliever("est")
    if method == "bucb":
        return BatchUCB()
    if method == "dpp":
        return DPP("est")
    if method == "random":
        return RandomSearch(seed)
    raise ValueError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")


def results_table(
    summary: Mapping[str, Mapping[str, float]], optimum: float | None, title: str
) -> str:
    """A Markdown table of a comparison's summary: method, mean ± std, gap, time."""
    lines = [
        f"### {title}",
        "",
        "| method | best value (mean ± std) | gap to optimum % | seconds per batch | seeds |",
        "|---|---|---|---|---|",
    ]
    for method, row in summary.items():
        gap = "—" if optimum is None else f"{row['gap_percent']:.2f}"
        lines.append(
            f"| {method} | {row['mean']:.6g} ± {row['std']:.3g} | {gap} | "
            f"{row['seconds_per_batch']:.2f} | {row['seeds']} |"
        )
    return "\n".join(lines) + "\n"


class BenchmarkTask(Task):
    """Batch Bayesian optimisation of a permutation problem with each method, over seeds.

    Every run starts from the same ``initial_design`` random permutations for a given seed,
    then evaluates ``batches`` batches of ``batch_size``; ``random`` draws the whole budget
    at random. Metrics ``METHOD/best_value`` stream after every batch, and a checkpoint
    after every batch lets an interrupted comparison resume. The summary holds, per method,
    the mean and standard deviation of the best value (and each seed's), the mean gap to the
    known optimum in percent, the mean wall and CPU time to choose a batch (fit included), the
    mean running best after each evaluation, and the best permutation of each seed;
    ``results.md`` holds the table and ``plots/best_value.png`` the mean curves.

    Arguments are the fields of :class:`tessera_law2order._configs.BenchmarkConfig`.

    References:
        | Batch Bayesian Optimization on Permutations using the Acquisition Weighted Kernel
          (Oh, Bondesan, Gavves and Welling, 2022)
        | https://arxiv.org/abs/2102.13382
    """

    def __init__(
        self,
        problem: Any,
        methods: Sequence[str] = ("law-est", "law-ei", "q-ei", "bucb", "dpp", "random"),
        kernel: Kernel | None = None,
        seeds: int = 5,
        initial_design: int = 30,
        batch_size: int = 5,
        batches: int = 20,
        restarts: int = 3,
        iterations: int = 60,
        optimizer: Any = None,
        plot: bool = True,
    ) -> None:
        unknown = sorted(set(methods) - set(METHODS))
        if unknown or not methods:
            raise ValueError(
                f"law2order: unknown methods {unknown} (or none); choose from {', '.join(METHODS)}"
            )
        if not getattr(problem, "minimize", True):
            raise NotImplementedError(
                f"law2order: problem {problem!r} is maximised; the comparison minimises"
            )
        if plot:
            require_matplotlib("law2order")
        self.problem = problem
        self.methods = list(dict.fromkeys(methods))
        self.kernel = kernel if kernel is not None else PositionKernel()
        self.seeds, self.initial_design = int(seeds), int(initial_design)
        self.batch_size, self.batches = int(batch_size), int(batches)
        self.restarts, self.iterations = int(restarts), int(iterations)
        self.optimizer = as_optimizer(optimizer)
        self.plot = bool(plot)

    @property
    def budget(self) -> int:
        """Evaluations per run."""
        return min(self.initial_design + self.batch_size * self.batches, self._space.size)

    @property
    def _space(self) -> Permutation:
        return Permutation(self.problem.size)

    def _objective(self, point: Any) -> float:
        return float(self.problem.objective(list(point)))

    def _loop(self, method: str, seed: int) -> BayesianOptimization:
        if method == "random":
            surrogate = ExactGP(PositionKernel(), restarts=1, seed=seed)
            return BayesianOptimization(
                self._space,
                self._objective,
                surrogate=surrogate,
                initial_design=self.budget,
                seed=seed,
            )
        solver = LAW2ORDERSolver(
            kernel=self.kernel,
            acquisition=method_acquisition(method, seed),
            initial_design=self.initial_design,
            batch_size=self.batch_size,
            batches=self.batches,
            restarts=self.restarts,
            iterations=self.iterations,
            optimizer=self.optimizer,
            seed=seed,
        )
        return solver.loop(self._objective, self.problem.size)

    def run(self, context: RunContext) -> dict[str, Any]:
        """Run every (method, seed) not done yet; returns the summary."""
        state = context.load_checkpoint() or {"runs": {}, "current": None}
        runs: dict[str, list[dict[str, Any]]] = {
            m: list(state["runs"].get(m, [])) for m in self.methods
        }
        current = state.get("current")
        budget = self.budget
        total = len(self.methods) * self.seeds * budget
        bar = context.progress(total, "law2order", initial=sum(map(len, runs.values())) * budget)

        for m, method in enumerate(self.methods):
            for seed in range(len(runs[method]), self.seeds):
                index = m * self.seeds + seed
                bo = self._loop(method, context.seed * 1000 + seed)
                seconds, cpu, batches = 0.0, 0.0, 0
                if current is not None and current["run"] == index:
                    bo.load_state_dict(current["bo"])
                    seconds, batches = current["seconds"], current["batches"]
                    cpu = current.get("cpu", 0.0)
                bar.update(bo.evaluations)
                while bo.evaluations < budget:
                    n = min(self.batch_size, budget - bo.evaluations)
                    modelled = bo.evaluations >= bo.initial_design
                    start, start_cpu = time.perf_counter(), time.process_time()
                    points = bo.ask(n)
                    if modelled:
                        seconds += time.perf_counter() - start
                        cpu += time.process_time() - start_cpu
                        batches += 1
                    bo.tell(points, [self._objective(p) for p in points])
                    bar.update(len(points))
                    step = index * budget + bo.evaluations - 1
                    context.log_metrics(step, {f"{method}/best_value": float(bo.y.min())})
                    if bo.evaluations < budget and context.should_checkpoint(step, 1):
                        current = {
                            "run": index,
                            "bo": bo.state_dict(),
                            "seconds": seconds,
                            "cpu": cpu,
                            "batches": batches,
                        }
                        context.save_checkpoint(step, {"runs": runs, "current": current})
                result = bo.result()
                runs[method].append(
                    {
                        "best_values": result.best_values.tolist(),
                        "best_point": [int(v) for v in result.best_point],
                        "seconds_per_batch": seconds / max(batches, 1),
                        "cpu_seconds_per_batch": cpu / max(batches, 1),
                    }
                )
                current = None
                logger.info("law2order: %s seed %d: best %.6g", method, seed, result.best_value)
                step = index * budget + budget - 1
                if context.should_checkpoint(step, 1):
                    context.save_checkpoint(step, {"runs": runs, "current": None})
        bar.close()
        return self._summarise(context, runs)

    def _summarise(self, context: RunContext, runs: Mapping[str, list[dict[str, Any]]]) -> dict:
        optimum = getattr(self.problem, "optimum", None)
        table: dict[str, dict[str, Any]] = {}
        curves: dict[str, Tensor] = {}
        for method, records in runs.items():
            curve = torch.tensor([r["best_values"] for r in records], dtype=torch.float64)
            curves[method] = curve.mean(0)
            final = curve[:, -1]
            row: dict[str, Any] = {
                "mean": float(final.mean()),
                "finals": final.tolist(),
                "mean_curve": curves[method].tolist(),
                "std": float(final.std()) if len(final) > 1 else 0.0,
                "seeds": len(final),
                "seconds_per_batch": float(sum(r["seconds_per_batch"] for r in records))
                / len(records),
                "cpu_seconds_per_batch": float(
                    sum(r.get("cpu_seconds_per_batch", math.nan) for r in records)
                )
                / len(records),
                "best_points": [r["best_point"] for r in records],
            }
            if optimum is not None:
                row["gap_percent"] = 100.0 * (row["mean"] - optimum) / abs(optimum or 1.0)
            table[method] = row
        name = str(getattr(self.problem, "name", "problem"))
        if context.rank == 0:
            if self.plot:
                figure = plot_best_values(
                    curves, optimum, title=f"{name}: mean over {self.seeds} seeds"
                )
                context.save_plot("best_value", figure)
            title = (
                f"{name}: {self.initial_design} random + {self.batches} × {self.batch_size}, "
                f"{self.seeds} seeds"
            )
            context.out_dir.mkdir(parents=True, exist_ok=True)
            (context.out_dir / "results.md").write_text(results_table(table, optimum, title))
        summary: dict[str, Any] = {
            "methods": table,
            "ranking": sorted(table, key=lambda k: table[k]["mean"]),
            "evaluations": self.budget,
        }
        if optimum is not None:
            summary["optimum"] = float(optimum)
        return summary


class StructureTask(BenchmarkTask):
    """Bayesian-network structure learning over orderings, compared across methods.

    :class:`BenchmarkTask` on an :class:`~tessera_law2order.OrderingProblem` (by default
    data from the Asia network), whose optimum is known exactly; each method's row also
    gets ``shd``, the mean structural Hamming distance between the best ordering's network
    and the network the data came from.

    Arguments are the fields of :class:`tessera_law2order._configs.StructureConfig`.
    """

    def __init__(self, problem: Any, **kwargs: Any) -> None:
        if not callable(getattr(problem, "parents", None)):
            raise TypeError(
                f"law2order.structure: problem {problem!r} must be an ordering problem with "
                "parents(ordering), such as law2order.bn"
            )
        super().__init__(problem, **kwargs)

    def _summarise(self, context: RunContext, runs: Mapping[str, list[dict[str, Any]]]) -> dict:
        summary = super()._summarise(context, runs)
        truth = getattr(self.problem, "true_parents", None)
        if truth is not None:
            for row in summary["methods"].values():
                distances = [
                    structural_hamming_distance(self.problem.parents(p), truth)
                    for p in row["best_points"]
                ]
                row["shd"] = sum(distances) / len(distances)
        if summary.get("optimum") is not None and math.isfinite(summary["optimum"]):
            best = min(row["mean"] for row in summary["methods"].values())
            summary["best_gap"] = best - summary["optimum"]
        return summary
