"""Tests of the benchmark problems: definitions, optima, spaces."""

from __future__ import annotations

import itertools
import math
import pickle

import numpy as np
import pytest
import torch
from scipy.optimize import minimize
from tessera_bofm.problems import SIX_HUMP_CAMEL_MINIMUM, Ackley5C, Func2C, Func3C

import tessera
from tessera.problems import InfeasibleSolutionError


def _terms(z: np.ndarray) -> list[np.ndarray]:
    """Rosenbrock/300, six-hump camel/10, Beale/50 at points z (..., 2), written anew."""
    a, b = z[..., 0], z[..., 1]
    rosen = (100 * (b - a**2) ** 2 + (a - 1) ** 2) / 300
    camel = ((4 - 2.1 * a**2 + a**4 / 3) * a**2 + a * b + (-4 + 4 * b**2) * b**2) / 10
    beale = sum((c - a + a * b**k) ** 2 for c, k in ((1.5, 1), (2.25, 2), (2.625, 3))) / 50
    return [rosen, camel, beale]


def _func(h: tuple[int, ...], x: np.ndarray) -> np.ndarray:
    g = _terms(2 * x)
    f = g[h[0]] + g[min(h[1], 2)]
    if len(h) == 3:
        f = f + (5 * g[1] if h[2] == 0 else 2 * g[0] if h[2] == 1 else h[2] * g[2])
    return f


@pytest.mark.parametrize("problem", [Func2C(), Func3C()], ids=["func2c", "func3c"])
def test_func_problems_match_their_definition(problem):
    x = problem.space.sample(50, torch.Generator().manual_seed(0))
    for point in problem.space.decode(x):
        h = tuple(point[k] for k in ("h1", "h2", "h3") if k in point)
        expected = float(_func(h, np.array(point["x"])))
        assert problem.objective(point) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("problem", "sizes"), [(Func2C(), (3, 5)), (Func3C(), (3, 5, 4))], ids=["func2c", "func3c"]
)
def test_func_optima_by_brute_force(problem, sizes):
    """Every category combination, a grid over x then L-BFGS-B from the grid's best."""
    grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, 81)] * 2), -1).reshape(-1, 2)
    best = math.inf
    for h in itertools.product(*(range(m) for m in sizes)):
        start = grid[np.argmin(_func(h, grid))]
        result = minimize(lambda x, h=h: float(_func(h, x)), start, bounds=[(-1, 1)] * 2)
        best = min(best, result.fun)
    assert best == pytest.approx(problem.optimum, abs=1e-7)
    assert problem.objective(problem.metadata["minimizer"]) == pytest.approx(problem.optimum)


def test_six_hump_camel_minimum():
    result = minimize(lambda z: 10 * float(_terms(np.asarray(z))[1]), [0.1, -0.7])
    assert result.fun == pytest.approx(SIX_HUMP_CAMEL_MINIMUM, abs=1e-9)


def test_ackley5c():
    problem = Ackley5C()
    assert problem.space.dim == 6 and problem.space.size is None
    assert problem.objective(problem.metadata["minimizer"]) == pytest.approx(0.0, abs=1e-12)
    x = problem.space.sample(200, torch.Generator().manual_seed(0))
    values = [problem.objective(p) for p in problem.space.decode(x)]
    assert min(values) > 0
    # Independent formula at one point: z = (0.5, -1, -0.875, 0, 0.125, 1)
    point = {"x": 0.5, "h1": 0, "h2": 1, "h3": 8, "h4": 9, "h5": 16}
    z = np.array([0.5, -1, -0.875, 0, 0.125, 1])
    rms, mean_cos = np.sqrt(np.mean(z**2)), np.mean(np.cos(2 * np.pi * z))
    expected = -20 * np.exp(-0.2 * rms) - np.exp(mean_cos) + 20 + np.e
    assert problem.objective(point) == pytest.approx(expected, rel=1e-12)


def test_problems_are_components_that_check_points(registry):
    problem = tessera.create("problem", "func2c", registry=registry)
    assert isinstance(problem, Func2C) and problem.minimize
    with pytest.raises(InfeasibleSolutionError, match="not a point of the space"):
        problem.objective({"x": [0.0, 2.0], "h1": 0, "h2": 0})
    clone = pickle.loads(pickle.dumps(problem))
    assert clone.objective(problem.metadata["minimizer"]) == problem.optimum
    with pytest.raises(NotImplementedError, match="fixed benchmark"):
        Func3C.random(3)


def test_svr_diabetes_evaluates_a_point(registry):
    pytest.importorskip("sklearn")
    problem = tessera.create("problem", "svr-diabetes", splits=2, registry=registry)
    point = {
        "log10_C": 0.0,
        "log10_tol": -3.0,
        "log10_nu": -0.5,
        "kernel": "rbf",
        "gamma": "scale",
        "shrinking": True,
    }
    rmse = problem.objective(point)
    assert 40 < rmse < 80  # the diabetes targets have standard deviation 77
    assert pickle.loads(pickle.dumps(problem)).objective(point) == pytest.approx(rmse)
