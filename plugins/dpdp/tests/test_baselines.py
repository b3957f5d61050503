"""Baseline solvers: feasibility, local optimality, and clear errors for missing extras."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest
from tessera_dpdp import DPDP, HGS, LKH, MissingDependencyError, NearestNeighbour, ORTools, TwoOpt
from tessera_dpdp._localsearch import local_search, routes_of

from tessera.problems import CVRP, TSP, TSPTW, load_instance


def test_nearest_neighbour_is_greedy():
    """Each step goes to the nearest unvisited node."""
    problem = TSP.random(12, seed=0)
    tour = NearestNeighbour().solve(problem).value
    d = np.asarray(problem.distances)
    for k in range(1, len(tour)):
        rest = [j for j in range(12) if j not in tour[:k]]
        assert d[tour[k - 1], tour[k]] == min(d[tour[k - 1], j] for j in rest)


def test_two_opt_reaches_a_two_opt_local_optimum():
    """No single 2-opt or segment move improves the final tour."""
    problem = TSP.random(30, seed=5)
    found = TwoOpt().solve(problem)
    d = np.asarray(problem.distances)
    t = found.value
    n = len(t)
    for i in range(n - 1):
        for j in range(i + 2, n):
            a, b, c, e = t[i], t[i + 1], t[j], t[(j + 1) % n]
            assert d[a, c] + d[b, e] >= d[a, b] + d[c, e] - 1e-9


def test_two_opt_on_cvrp_respects_capacity_and_improves():
    """Routes stay within capacity; local search never worsens nearest neighbour."""
    for seed in range(5):
        problem = CVRP.random(25, seed=seed)
        found = TwoOpt().solve(problem)
        assert problem.is_feasible(found.value)
        assert found.cost <= NearestNeighbour().solve(problem).cost + 1e-12


def test_local_search_handles_asymmetric_distances():
    """Reversals are costed in the new direction: the result's length is reported right."""
    rng = np.random.default_rng(0)
    d = rng.integers(1, 50, (9, 9)) * (1 - np.eye(9, dtype=int))
    tour = local_search(d, list(range(9)))
    assert sorted(tour) == list(range(9))
    before = d[np.arange(9), np.roll(np.arange(9), -1)].sum()
    assert d[tour, np.roll(tour, -1)].sum() <= before


def test_local_search_can_open_a_route():
    """A CVRP segment moves into a new route when that is shorter (10 against 22)."""
    d = np.array([[0, 1, 1, 3], [1, 0, 2, 10], [1, 2, 0, 10], [3, 10, 10, 0]], float)
    routes = routes_of(local_search(d, [0, 1, 3, 2], np.array([0, 1, 1, 1]), 3))
    assert sorted(map(sorted, routes)) == [[1, 2], [3]]


def test_dpdp_beats_nearest_neighbour_on_berlin52():
    """The model-free heatmap with potentials on a TSPLIB instance: within 5% of the
    optimum with a beam of 1000, better than nearest neighbour."""
    from tessera_dpdp import DistanceHeatmap

    problem = load_instance("berlin52")
    solver = DPDP(
        beam_size=1000, score="heatmap_potential", graph="heatmap", model=DistanceHeatmap()
    )
    found = solver.solve(problem)
    assert found.cost <= 1.05 * problem.optimum
    assert found.cost < NearestNeighbour().solve(problem).cost


@pytest.mark.parametrize(
    ("solver", "module", "problem"),
    [
        (ORTools(time_limit=0.2), "ortools", TSPTW.random(8, seed=1)),
        (LKH(), "elkai", TSP.random(20, seed=1)),
        (HGS(time_limit=0.2), "pyvrp", CVRP.random(12, seed=1)),
    ],
    ids=["ortools", "lkh", "hgs"],
)
def test_optional_solvers(solver, module, problem, monkeypatch):
    """With the package a feasible solution; without it an error naming the pip command."""
    if importlib.util.find_spec(module) is not None:
        found = solver.solve(problem)
        assert problem.objective(found.value) == pytest.approx(found.cost)
    for name in list(sys.modules):
        if name == module or name.startswith(module + "."):
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingDependencyError, match=f"pip install {module}"):
        solver.solve(problem)


def test_baselines_reject_unsupported_problems():
    """A TSPTW instance is not for the 2-opt baseline: a TypeError names the types."""
    with pytest.raises(TypeError, match="supported: TSP, CVRP"):
        TwoOpt().solve(TSPTW.random(5, seed=0))
