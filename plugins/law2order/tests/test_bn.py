"""Structure learning over orderings: BIC scores, the DP optimum, sampling, SHD."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from tessera_law2order import (
    BayesianNetwork,
    OrderingProblem,
    bic_local_scores,
    build_bn,
    structural_hamming_distance,
)

import tessera


def _bic(data: np.ndarray, v: int, parents: tuple[int, ...]) -> float:
    """BIC of binary data by explicit counting."""
    total = 0.0
    for config in itertools.product([0, 1], repeat=len(parents)):
        rows = (
            np.all(data[:, list(parents)] == config, axis=1)
            if parents
            else np.ones(len(data), dtype=bool)
        )
        n_j = rows.sum()
        for k in (0, 1):
            n_jk = (data[rows, v] == k).sum()
            if n_jk:
                total += n_jk * math.log(n_jk / n_j)
    return total - 0.5 * math.log(len(data)) * 2 ** len(parents)


def test_asia_samples_follow_the_tables():
    """Marginals of smoke and of either (tub or lung) match the network."""
    net = BayesianNetwork.asia()
    data = net.sample(20000, seed=1)
    assert data[:, 1].mean() == pytest.approx(0.5, abs=0.02)
    assert np.array_equal(data[:, 5], data[:, 2] | data[:, 3])  # either is deterministic
    assert data[data[:, 1] == 1, 3].mean() == pytest.approx(0.1, abs=0.01)


def test_bic_local_scores_by_counting():
    """Every local score equals the BIC computed by explicit counting."""
    data = BayesianNetwork.random(4, seed=2).sample(300, seed=2)
    sets, masks, scores = bic_local_scores(data, [2] * 4, 2)
    for v in range(4):
        for i, ps in enumerate(sets):
            if v in ps:
                assert scores[v, i] == -math.inf
            else:
                assert scores[v, i] == pytest.approx(_bic(data, v, ps), rel=1e-10)
            assert masks[i] == sum(1 << u for u in ps)


def test_objective_and_optimum_by_brute_force():
    """The ordering objective is the best consistent DAG's −BIC; the DP finds the optimum."""
    problem = OrderingProblem.random(5, seed=4, samples=300)
    values = []
    for order in itertools.permutations(range(5)):
        best = 0.0
        for k, v in enumerate(order):
            candidates = [
                ps for size in range(3) for ps in itertools.combinations(sorted(order[:k]), size)
            ]
            best += max(_bic(problem.data, v, ps) for ps in candidates)
        assert problem.objective(list(order)) == pytest.approx(-best, rel=1e-10)
        values.append(-best)
    assert problem.optimum == pytest.approx(min(values), rel=1e-10)


def test_parents_respect_the_ordering_and_shd():
    """Learnt parents precede their child; the truth's ordering is near the optimum."""
    problem = build_bn("asia", samples=2000, seed=0)
    truth = BayesianNetwork.asia()
    order = truth.order
    parents = problem.parents(order)
    position = {v: k for k, v in enumerate(order)}
    assert all(position[u] < position[v] for v, ps in enumerate(parents) for u in ps)
    assert structural_hamming_distance(parents, truth.parents) <= 3
    assert problem.objective(order) - problem.optimum < 0.05 * problem.optimum
    assert structural_hamming_distance(truth.parents, truth.parents) == 0


def test_registered_problem_and_errors():
    """law2order.bn builds from a spec; bad input is refused clearly."""
    problem = tessera.create("problem", "law2order.bn", network="random", size=6, samples=100)
    assert problem.size == 6 and problem.space.n == 6
    assert not problem.is_feasible([0, 1, 2, 3, 4, 4])
    with pytest.raises(ValueError, match="network"):
        build_bn("alarm")
    with pytest.raises(ValueError, match="sum to 1"):
        BayesianNetwork(["a"], [2], [()], [[[0.5, 0.6]]])
    with pytest.raises(ValueError, match=r"\['a', 'b'\] form a cycle"):
        BayesianNetwork(["a", "b"], [2, 2], [(1,), (0,)], [[[0.5, 0.5]] * 2] * 2)
