"""The solver ``law2order``: batch Bayesian optimisation over permutations, as a Solver."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from tessera.bo import BayesianOptimization, BOResult, ExactGP
from tessera.kinds import Acquisition, Kernel, Solver
from tessera.problems import QAP, TSP, FlowShop, Problem, Solution
from tessera.spaces import Permutation
from tessera_law2order._acquisition import LAW
from tessera_law2order._kernels import PositionKernel
from tessera_law2order._optimize import PermutationOptimizer

__all__ = ["LAW2ORDERSolver", "as_optimizer"]


def as_optimizer(value: Any) -> PermutationOptimizer:
    """A :class:`PermutationOptimizer` from itself, a mapping of its settings, or a config.

    Example:
        >>> as_optimizer({"max_steps": 5}).max_steps
        5
    """
    if value is None:
        return PermutationOptimizer()
    if isinstance(value, PermutationOptimizer):
        return value
    if isinstance(value, Mapping):
        return PermutationOptimizer(**value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return PermutationOptimizer(**dump())
    raise TypeError(
        "optimizer must be a PermutationOptimizer, a mapping of its settings or a config, got "
        f"{type(value).__name__}"
    )


class LAW2ORDERSolver(Solver):
    """LAW2ORDER: batch Bayesian optimisation of a permutation problem's objective.

    A Gaussian process with a permutation kernel (the position kernel by default) models
    the objective; after ``initial_design`` random permutations, ``batches`` batches of
    ``batch_size`` permutations are chosen by the acquisition (LAW with EST weights by
    default) and :class:`~tessera_law2order.PermutationOptimizer`, and evaluated. The best
    permutation evaluated is the solution, so every solution is feasible and its cost is the
    problem's own objective. The budget is capped at ``n!`` evaluations.

    Arguments:
        kernel: a kernel on permutations; copied for every solve. Position kernel if None.
        acquisition: the batch acquisition; LAW (EST weights) if None.
        initial_design: random permutations evaluated first.
        batch_size: permutations per batch.
        batches: batches after the initial design.
        restarts: restarts of the Gaussian process's hyperparameter fit.
        iterations: L-BFGS iterations per restart.
        optimizer: a :class:`PermutationOptimizer` or a mapping of its settings.
        seed: seed of the initial design, the optimiser and the fit's restarts.

    References:
        | Batch Bayesian Optimization on Permutations using the Acquisition Weighted Kernel
          (Oh, Bondesan, Gavves and Welling, 2022)
        | https://arxiv.org/abs/2102.13382

    Example:
        >>> from tessera.problems import QAP
        >>> solver = LAW2ORDERSolver(initial_design=4, batch_size=2, batches=1, restarts=1,
        ...                          iterations=5, optimizer={"exhaustive_limit": 5040})
        >>> problem = QAP.random(5, seed=0)
        >>> solution = solver.solve(problem)
        >>> solution.cost == problem.objective(solution.value), solution.info["evaluations"]
        (True, 6)
    """

    problem_types: ClassVar[tuple[type[Problem], ...]] = (QAP, FlowShop, TSP)

    def __init__(
        self,
        kernel: Kernel | None = None,
        acquisition: Acquisition | None = None,
        initial_design: int = 30,
        batch_size: int = 5,
        batches: int = 20,
        restarts: int = 3,
        iterations: int = 60,
        optimizer: Any = None,
        seed: int = 0,
    ) -> None:
        for name, value in (
            ("initial_design", initial_design),
            ("batch_size", batch_size),
            ("restarts", restarts),
            ("iterations", iterations),
        ):
            if value < 1:
                raise ValueError(f"law2order: {name} = {value} must be ≥ 1")
        if batches < 0:
            raise ValueError(f"law2order: batches = {batches} must be ≥ 0")
        self.kernel = kernel if kernel is not None else PositionKernel()
        self.acquisition = acquisition if acquisition is not None else LAW()
        self.initial_design, self.batch_size, self.batches = initial_design, batch_size, batches
        self.restarts, self.iterations = restarts, iterations
        self.optimizer = as_optimizer(optimizer)
        self.seed = seed

    @property
    def budget(self) -> int:
        """Evaluations per solve: the initial design plus the batches."""
        return self.initial_design + self.batch_size * self.batches

    def loop(self, objective: Callable[[Any], float] | None, n: int) -> BayesianOptimization:
        """A fresh Bayesian-optimisation loop over ``Permutation(n)``, not yet run."""
        space = Permutation(n)
        surrogate = ExactGP(
            copy.deepcopy(self.kernel),
            restarts=self.restarts,
            iterations=self.iterations,
            seed=self.seed,
        )
        return BayesianOptimization(
            space,
            objective,
            surrogate=surrogate,
            acquisition=self.acquisition,
            optimizer=self.optimizer,
            initial_design=min(self.initial_design, space.size),
            batch_size=self.batch_size,
            seed=self.seed,
        )

    def minimize(
        self,
        objective: Callable[[tuple[int, ...]], float],
        n: int,
        callback: Callable[[BayesianOptimization], None] | None = None,
    ) -> BOResult:
        """Minimise ``objective`` over permutations of ``n`` items; the loop's result."""
        budget = min(self.budget, math.factorial(n))
        return self.loop(objective, n).run(budget, callback)

    def solve(self, problem: Problem) -> Solution:
        """The best permutation found within the budget, with its cost and the history."""
        self.check_supported(problem)
        result = self.minimize(lambda p: float(problem.objective(list(p))), problem.size)
        value = list(result.best_point)
        return Solution(
            value,
            cost=problem.objective(value),
            info={
                "evaluations": len(result.y),
                "best_values": result.best_values.tolist(),
            },
        )
