"""The ``dpdp`` solver: restricted dynamic programming guided by a heatmap."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import torch

from tessera.kinds import Solver
from tessera.problems import CVRP, TSP, TSPTW, Problem, Solution
from tessera_dpdp._dp import DPResult, run_dp
from tessera_dpdp._graph import build_graph, kind_of

__all__ = ["DPDP", "SHIPPED_CHECKPOINTS", "NoSolutionError", "actions_to_solution"]

#: Checkpoints that ship with the plugin, by the name ``checkpoint`` accepts.
SHIPPED_CHECKPOINTS = {"tsp100": "checkpoints/gcn_tsp100.pt"}


class NoSolutionError(RuntimeError):
    """The restricted dynamic program kept no state that completes a feasible route."""


def actions_to_solution(kind: str, actions: list[int], n: int) -> list[int] | list[list[int]]:
    """A problem's native solution from the DP's actions (nodes after the start).

    TSP and TSPTW give the tour from node 0; CVRP gives the routes, an action ``j + n``
    meaning "via the depot to ``j``".

    Example:
        >>> actions_to_solution("cvrp", [2, 1 + 4, 3], 4)
        [[2], [1, 3]]
    """
    if kind != "cvrp":
        return [0, *actions]
    routes: list[list[int]] = [[]]
    for action in actions:
        if action >= n:
            routes.append([])
        routes[-1].append(action % n)
    return [r for r in routes if r]


def _checkpoint_path(checkpoint: str) -> Path:
    if checkpoint in SHIPPED_CHECKPOINTS:
        path = Path(__file__).parent / SHIPPED_CHECKPOINTS[checkpoint]
        if not path.exists():
            raise FileNotFoundError(
                f"the shipped checkpoint {checkpoint!r} is missing from this installation "
                f"({path}); train one with the dpdp.train task and pass its file"
            )
        return path
    path = Path(checkpoint)
    if not path.exists():
        raise FileNotFoundError(
            f"checkpoint file '{checkpoint}' does not exist; give a file written by "
            f"tessera.save or one of {sorted(SHIPPED_CHECKPOINTS)}"
        )
    return path


class DPDP(Solver):
    """Deep Policy Dynamic Programming: a beam of non-dominated partial routes.

    Each step expands every state to the unvisited neighbours of its current node in a
    sparse graph (for CVRP also via the depot), removes dominated states (same visited set
    and current node, not cheaper, and for CVRP not more capacity left, for TSPTW not
    earlier), and keeps the ``beam_size`` best states of each instance by score. Instances
    of one type and size are solved together, ``batch_size`` at a time. Costs are compared
    as exact integers: the instance's own integer distances, or float distances scaled by
    a power of two and rounded; the reported cost is the problem's own objective of the
    route found, checked against the DP's cost.

    Arguments are the fields of :class:`tessera_dpdp.configs.DPDPConfig`.

    References:
        Kool, van Hoof, Gromicho and Welling, "Deep Policy Dynamic Programming for Vehicle
        Routing Problems" (2021), arXiv:2102.11756.

    Example:
        >>> from tessera.problems import TSP
        >>> problem = TSP.random(8, seed=0)
        >>> exact = DPDP(beam_size=None, graph="full").solve(problem)
        >>> beam = DPDP(beam_size=50).solve(problem)
        >>> exact.cost <= beam.cost + 1e-12
        True
    """

    problem_types: ClassVar[tuple[type[Problem], ...]] = (TSP, CVRP, TSPTW)
    example_problem_sizes: ClassVar[tuple[int, ...]] = (7, 12)

    def __init__(
        self,
        beam_size: int | None = 1000,
        score: str = "cost",
        graph: str = "knn",
        knn: int = 10,
        heatmap_threshold: float = 1e-5,
        model: Any = None,
        checkpoint: str | None = None,
        depot_penalty: float = 0.1,
        start_distance_weight: float = 0.1,
        complete: bool = True,
        lookahead: bool = True,
        batch_size: int = 16,
        device: str = "cpu",
    ) -> None:
        if score not in ("cost", "heatmap", "heatmap_potential"):
            raise ValueError(
                f"unknown score {score!r}; use 'cost', 'heatmap' or 'heatmap_potential'"
            )
        if graph not in ("full", "knn", "heatmap"):
            raise ValueError(f"unknown graph {graph!r}; use 'full', 'knn' or 'heatmap'")
        if checkpoint is not None:
            from tessera.registry import load

            model = load(_checkpoint_path(checkpoint))
        if model is not None and not callable(getattr(model, "heatmap", None)):
            raise TypeError(
                f"model {type(model).__name__} has no heatmap(problems) method; use a heatmap "
                "model such as dpdp.gcn or dpdp.distance_heatmap"
            )
        if (score != "cost" or graph == "heatmap") and model is None:
            raise ValueError(
                f"score={score!r} with graph={graph!r} needs a heatmap model; give model or "
                "checkpoint, or use score='cost' with graph='knn' or 'full'"
            )
        self.beam_size = beam_size
        self.score = score
        self.graph = graph
        self.knn = knn
        self.heatmap_threshold = heatmap_threshold
        self.model = model
        self.checkpoint = checkpoint
        self.depot_penalty = depot_penalty
        self.start_distance_weight = start_distance_weight
        self.complete = complete
        self.lookahead = lookahead
        self.batch_size = batch_size
        self.device = device
        if model is not None and hasattr(model, "problem_types"):
            # A heatmap model reads one problem type
            self.problem_types = tuple(model.problem_types)

    @property
    def uses_heatmap(self) -> bool:
        """Whether this solver runs its model (heatmap scores or the heatmap graph)."""
        return self.score != "cost" or self.graph == "heatmap"

    def solve(self, problem: Problem) -> Solution:
        """Solve one instance; see :meth:`solve_many`."""
        return self.solve_many([problem])[0]

    def solve_many(self, problems: Sequence[Problem]) -> list[Solution]:
        """Solve instances, batching those of equal type and size.

        Raises:
            TypeError: A problem is of a type this solver does not support.
            NoSolutionError: No state of the beam completes a feasible route (TSPTW, or a
                sparse graph); a larger beam or a denser graph may help.
        """
        for problem in problems:
            self.check_supported(problem)
        groups: dict[tuple[str, int], list[int]] = defaultdict(list)
        for index, problem in enumerate(problems):
            groups[(kind_of(problem), problem.distances.shape[0])].append(index)
        solutions: list[Solution | None] = [None] * len(problems)
        for indices in groups.values():
            for start in range(0, len(indices), self.batch_size):
                chunk = indices[start : start + self.batch_size]
                found = self._solve_batch([problems[i] for i in chunk])
                for i, solution in zip(chunk, found):
                    solutions[i] = solution
        return solutions  # type: ignore[return-value]

    def heatmaps(self, problems: Sequence[Problem]) -> torch.Tensor | None:
        """The model's log-probability heatmaps, (I, N, N), or ``None`` without a model."""
        if not self.uses_heatmap:
            return None
        with torch.no_grad():
            return self.model.heatmap(list(problems)).double()

    def _solve_batch(self, problems: list[Problem]) -> list[Solution]:
        begin = time.perf_counter()
        log_heatmap = self.heatmaps(problems)
        heatmap_time = time.perf_counter() - begin
        graph, scales = build_graph(
            problems,
            graph=self.graph,
            knn=self.knn,
            log_heatmap=log_heatmap,
            heatmap_threshold=self.heatmap_threshold,
            score=self.score,
            depot_penalty=self.depot_penalty,
            start_distance_weight=self.start_distance_weight,
            lookahead=self.lookahead,
            device=self.device,
        )
        result = run_dp(graph, self.beam_size, lookahead=self.lookahead, complete=self.complete)
        elapsed = time.perf_counter() - begin
        return [
            self._solution(p, result, i, scales[i], elapsed, heatmap_time)
            for i, p in enumerate(problems)
        ]

    def _solution(
        self,
        problem: Problem,
        result: DPResult,
        index: int,
        scale: float,
        elapsed: float,
        heatmap_time: float,
    ) -> Solution:
        actions, dp_cost = result.actions[index], result.costs[index]
        if actions is None:
            raise NoSolutionError(
                f"DPDP with beam_size={self.beam_size} and graph={self.graph!r} found no "
                f"feasible route for {problem.name!r}; use a larger beam_size or a denser "
                "graph (graph='full')"
            )
        kind, n = kind_of(problem), problem.distances.shape[0]
        value = actions_to_solution(kind, actions, n)
        cost = problem.objective(value)

        # The DP's integer cost must be the route's length, up to rounding
        edges = len(actions) + 1 + (kind == "cvrp") * sum(a >= n for a in actions)
        slack = 0.0 if scale == 1.0 else 0.5 * edges / scale + 1e-9 * abs(float(cost))
        if abs(dp_cost / scale - float(cost)) > slack:
            raise RuntimeError(
                f"internal error: the DP cost {dp_cost / scale} of {problem.name!r} differs "
                f"from the objective {cost} of its route {value}"
            )
        batch = len(result.actions)
        info = {
            "beam_size": self.beam_size,
            "expansions": result.expansions / batch,
            "states": result.states / batch,
            "time": elapsed / batch,
            "heatmap_time": heatmap_time / batch,
            "batch": batch,
        }
        return Solution(value, cost, info)
