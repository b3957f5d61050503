"""Tasks ``dpdp.tsp``, ``dpdp.cvrp`` and ``dpdp.tsptw``: solvers compared on instance sets."""

from __future__ import annotations

import logging
import math
import re
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from tessera.kinds import RunContext, Solver, Task
from tessera.problems import CVRP, TSP, TSPTW, Problem, Solution

__all__ = ["CVRPTask", "RoutingTask", "TSPTWTask", "TSPTask", "make_instances", "plot_solution"]

logger = logging.getLogger(__name__)


def make_instances(
    problem_type: type[Problem],
    *,
    instances: list[str] | None = None,
    num_instances: int = 10,
    size: int = 20,
    seed: int = 1234,
    scale: int | None = None,
) -> list[Problem]:
    """The instance set of a task: files or shipped instances, or seeded random ones.

    Random instance ``k`` uses seed ``seed + k``. CVRP instances have demands 1 to 9 and
    capacities 20, 30, 40, 50 for 10, 20, 50, 100 customers; TSPTW instances use integer
    coordinates in ``[0, scale]`` (100 by default).

    Example:
        >>> from tessera.problems import TSP
        >>> [p.name for p in make_instances(TSP, num_instances=2, size=5, seed=7)]
        ['tsp5-seed7', 'tsp5-seed8']
    """
    if instances:
        from tessera.problems import available_instances, load_instance, read_instance

        shipped = set(available_instances())
        found = [load_instance(i) if i in shipped else read_instance(i) for i in instances]
        for name, problem in zip(instances, found):
            exact = type(problem) is problem_type
            if not exact:
                raise TypeError(
                    f"instance {name!r} is a {type(problem).__name__}, but this task compares "
                    f"{problem_type.__name__} solvers; use the dpdp."
                    f"{type(problem).__name__.lower()} task"
                )
        return found
    if problem_type is TSPTW:
        scale = 100 if scale is None else scale
    return [problem_type.random(size, seed=seed + k, scale=scale) for k in range(num_instances)]


def _label(solver: Solver, index: int) -> str:
    try:
        from tessera.registry import spec_of

        return spec_of(solver)["name"]
    except Exception:
        return f"{type(solver).__name__.lower()}{index}"


def _solve_all(solver: Solver, problems: list[Problem]) -> list[Solution | None]:
    """Solve every instance; an instance the solver cannot solve feasibly gives ``None``."""
    from tessera_dpdp._solver import NoSolutionError

    try:
        return list(solver.solve_many(problems))
    except NoSolutionError:
        pass
    found: list[Solution | None] = []
    for problem in problems:
        try:
            found.append(solver.solve(problem))
        except NoSolutionError as error:
            logger.warning("%s", error)
            found.append(None)
    return found


def plot_solution(ax: Any, problem: Problem, value: Any, title: str = "") -> None:
    """Draw a tour or a CVRP solution's routes on a matplotlib axis."""
    coords = np.asarray(problem.coords, dtype=float)[:, :2]
    if isinstance(problem, CVRP):
        paths = [[0, *r, 0] for r in problem.routes(value)]
    else:
        tour = problem.tour(value) if isinstance(problem, TSPTW) else list(value)
        paths = [[*tour, tour[0]]]
    for path in paths:
        ax.plot(coords[path, 0], coords[path, 1], "-", lw=1)
    ax.scatter(coords[:, 0], coords[:, 1], s=8, c="k", zorder=3)
    ax.scatter(coords[:1, 0], coords[:1, 1], s=40, c="r", marker="s", zorder=4)
    ax.set_title(title, fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect("equal")


class RoutingTask(Task):
    """Run solvers on one instance set and compare mean cost, gap and time per instance.

    Times are wall-clock and CPU (this process) seconds per instance. The gap of a solver
    on an instance is ``100 · (cost / reference - 1)`` where the
    reference is the cost of the solver at index ``reference``, or by default the best cost
    any solver found (or the instance's known optimum, if lower). Each solver's metrics are
    logged as one step; the summary holds them per solver label. A checkpoint after each
    solver lets an interrupted comparison resume. With ``plot > 0`` and coordinates, the
    first ``plot`` solutions of each solver are drawn to ``plots/tours_LABEL.png``, and
    ``results.md`` in the run folder holds the table.

    Arguments are the fields of :class:`tessera_dpdp.configs.RoutingTaskConfig`.
    """

    problem_type: ClassVar[type[Problem]] = TSP

    def __init__(
        self,
        solvers: list[Solver],
        labels: list[str] | None = None,
        reference: int | None = None,
        instances: list[str] | None = None,
        num_instances: int = 10,
        size: int = 20,
        seed: int = 1234,
        scale: int | None = None,
        plot: int = 2,
    ) -> None:
        if not solvers:
            raise ValueError("solvers is empty; give at least one solver spec")
        if labels is not None and len(labels) != len(solvers):
            raise ValueError(
                f"labels has {len(labels)} entries for {len(solvers)} solvers; give one label "
                "per solver or leave labels out"
            )
        if reference is not None and not 0 <= reference < len(solvers):
            raise ValueError(
                f"reference={reference} is not the index of a solver (0..{len(solvers) - 1})"
            )
        for solver in solvers:
            if not solver.supports(self.problem_type.random(4, seed=0)):
                raise TypeError(
                    f"solver {_label(solver, 0)!r} does not solve "
                    f"{self.problem_type.__name__} problems"
                )
        self.solvers = solvers
        self.labels = labels or _unique([_label(s, i) for i, s in enumerate(solvers)])
        self.reference = reference
        self.instances = instances
        self.num_instances = num_instances
        self.size = size
        self.seed = seed
        self.scale = scale
        self.plot = plot

    def problems(self) -> list[Problem]:
        """The instance set."""
        return make_instances(
            self.problem_type,
            instances=self.instances,
            num_instances=self.num_instances,
            size=self.size,
            seed=self.seed,
            scale=self.scale,
        )

    def run(self, context: RunContext) -> dict[str, Any]:
        problems = self.problems()
        state = context.load_checkpoint() or {"costs": {}, "times": {}}
        costs: dict[str, list[float | None]] = state["costs"]
        times: dict[str, float] = state["times"]

        # Solve, one solver at a time
        solutions: dict[str, list[Solution | None]] = {}
        for step, (label, solver) in enumerate(zip(self.labels, self.solvers)):
            if label in costs:
                continue
            begin, cpu = time.perf_counter(), time.process_time()
            found = _solve_all(solver, problems)
            times[label] = (time.perf_counter() - begin) / len(problems)
            times[f"{label}/cpu"] = (time.process_time() - cpu) / len(problems)
            costs[label] = [None if s is None else float(s.cost) for s in found]
            solutions[label] = found
            context.save_checkpoint(step, {"costs": costs, "times": times})

        # Compare
        summary = self._summarise(problems, costs, times)
        for step, label in enumerate(self.labels):
            context.log_metrics(step, {f"{label}/{k}": v for k, v in summary[label].items()})
        self._write_table(context.out_dir, summary)
        if self.plot and solutions:
            self._plot(context, problems, solutions)
        return summary

    def _summarise(
        self,
        problems: list[Problem],
        costs: dict[str, list[float | None]],
        times: dict[str, float],
    ) -> dict[str, Any]:
        table = np.array(
            [[math.nan if c is None else c for c in costs[label]] for label in self.labels]
        )
        if self.reference is not None:
            reference = table[self.reference]
        else:
            reference = np.nanmin(np.where(np.isnan(table), np.inf, table), axis=0)
            optima = np.array([math.inf if p.optimum is None else p.optimum for p in problems])
            reference = np.minimum(reference, optima)
        summary: dict[str, Any] = {}
        for row, label in enumerate(self.labels):
            solved = ~np.isnan(table[row])
            gaps = 100.0 * (table[row][solved] / reference[solved] - 1.0)
            summary[label] = {
                "mean_cost": float(np.mean(table[row][solved])) if solved.any() else math.nan,
                "gap_percent": float(np.mean(gaps)) if solved.any() else math.nan,
                "time_per_instance": float(times[label]),
                "cpu_time_per_instance": float(times[f"{label}/cpu"]),
                "solved": int(solved.sum()),
            }
        summary["instances"] = len(problems)
        return summary

    def _write_table(self, out_dir: Path, summary: dict[str, Any]) -> None:
        lines = [
            f"{self.problem_type.__name__}: {summary['instances']} instances",
            "",
            "| solver | mean cost | gap (%) | time per instance (s) | CPU time (s) | solved |",
            "|---|---|---|---|---|---|",
        ]
        for label in self.labels:
            row = summary[label]
            lines.append(
                f"| {label} | {row['mean_cost']:.4f} | {row['gap_percent']:.3f} | "
                f"{row['time_per_instance']:.3f} | {row['cpu_time_per_instance']:.3f} | "
                f"{row['solved']} |"
            )
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "results.md").write_text("\n".join(lines) + "\n")

    def _plot(
        self,
        context: RunContext,
        problems: list[Problem],
        solutions: dict[str, list[Solution | None]],
    ) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        shown = [k for k, p in enumerate(problems) if getattr(p, "coords", None) is not None]
        shown = shown[: self.plot]
        if not shown:
            return
        for label, found in solutions.items():
            figure, axes = plt.subplots(1, len(shown), figsize=(3 * len(shown), 3), squeeze=False)
            for ax, k in zip(axes[0], shown):
                if found[k] is not None:
                    title = f"{problems[k].name}: {found[k].cost:.4g}"
                    plot_solution(ax, problems[k], found[k].value, title)
            figure.tight_layout()
            context.save_plot("tours_" + re.sub(r"[^A-Za-z0-9_-]+", "_", label), figure)
            plt.close(figure)


def _unique(labels: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label}#{seen[label]}")
    return out


class TSPTask(RoutingTask):
    """``dpdp.tsp``: compare solvers on TSP instances (see :class:`RoutingTask`)."""

    problem_type = TSP


class CVRPTask(RoutingTask):
    """``dpdp.cvrp``: compare solvers on CVRP instances (see :class:`RoutingTask`)."""

    problem_type = CVRP


class TSPTWTask(RoutingTask):
    """``dpdp.tsptw``: compare solvers on TSPTW instances (see :class:`RoutingTask`)."""

    problem_type = TSPTW
