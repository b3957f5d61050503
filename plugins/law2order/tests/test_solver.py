"""The law2order solver: feasible solutions on QAP, flow shop and TSP; better than random."""

from __future__ import annotations

import pytest
import torch
from tessera_law2order import LAW2ORDERSolver

import tessera
from tessera.bo import BayesianOptimization
from tessera.problems import CVRP, QAP, FlowShop, load_instance
from tessera.spaces import Permutation

SMALL = {
    "initial_design": 6,
    "batch_size": 3,
    "batches": 2,
    "restarts": 1,
    "iterations": 10,
    "optimizer": {
        "random_starts": 3,
        "best_random_starts": 3,
        "evaluated_starts": 3,
        "raw_samples": 100,
        "max_steps": 10,
        "reference_samples": 100,
        "exhaustive_limit": 0,
    },
}


@pytest.mark.parametrize("name", ["chr12a", "car1", "burma14"])
def test_solutions_are_feasible_with_their_true_cost(name):
    """On a shipped QAP, flow shop and TSP the cost is the problem's objective."""
    problem = load_instance(name)
    solver = tessera.create("solver", "law2order", **SMALL)
    solution = solver.solve(problem)
    problem.check(solution.value)
    assert solution.cost == problem.objective(solution.value)
    assert solution.cost >= problem.optimum
    assert solution.info["evaluations"] == 12
    assert solution.info["best_values"][-1] == solution.cost


def test_same_seed_same_solution():
    """Solving twice with one seed gives the same history."""
    problem = FlowShop.random(7, seed=3, num_machines=3)
    solver = LAW2ORDERSolver(**SMALL, seed=5)
    assert solver.solve(problem).info == solver.solve(problem).info


def test_unsupported_problem():
    """A problem of another type is refused with the supported types named."""
    with pytest.raises(TypeError, match="QAP, FlowShop, TSP"):
        LAW2ORDERSolver(**SMALL).solve(CVRP.random(5, seed=0))


def test_short_run_beats_random_search_on_a_small_qap():
    """Ten batches of five after ten random points beat sixty random points on average."""
    problem = QAP.random(8, seed=0)
    law, random = [], []
    for seed in range(4):
        solver = LAW2ORDERSolver(
            initial_design=10,
            batch_size=5,
            batches=10,
            restarts=1,
            iterations=30,
            seed=seed,
            optimizer={
                "random_starts": 5,
                "best_random_starts": 5,
                "evaluated_starts": 5,
                "raw_samples": 300,
                "max_steps": 30,
                "reference_samples": 300,
            },
        )
        law.append(solver.solve(problem).cost)
        bo = BayesianOptimization(
            Permutation(8),
            lambda p: float(problem.objective(list(p))),
            initial_design=60,
            seed=seed,
        )
        random.append(bo.run(60).best_value)
    assert sum(law) / 4 < sum(random) / 4
    assert torch.tensor(law).min() <= torch.tensor(random).min()
