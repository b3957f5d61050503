"""The permutation optimiser: hill climbing finds optima and never re-proposes."""

from __future__ import annotations

import itertools

import pytest
import torch
from tessera_law2order import LAW, PermutationOptimizer, PositionKernel, RandomSearch, TakenSet

from tessera.bo import ExactGP, ExpectedImprovement, SearchSpaceExhaustedError
from tessera.spaces import Box, Permutation


def _rows(x: torch.Tensor) -> set[tuple[int, ...]]:
    return {tuple(int(v) for v in row) for row in x}


def _fitted(n: int, m: int, seed: int = 0):
    space = Permutation(n)
    x = space.sample(m, torch.Generator().manual_seed(seed))
    x = torch.unique(x, dim=0)
    y = (x - torch.arange(float(n))).abs().sum(-1)
    return space, x, y, ExactGP(PositionKernel(n=n), restarts=1, iterations=10).fit(x, y)


def test_taken_set():
    """Members are always found; others are not."""
    everything = torch.tensor(list(itertools.permutations(range(5))), dtype=torch.float64)
    taken = TakenSet(5)
    taken.add(everything[::2])
    inside = taken.contains(everything)
    assert inside[::2].all() and not inside[1::2].any() and len(taken) == 60


def test_hill_climbing_reaches_the_optimum():
    """A unimodal score under swaps (minus the Hamming distance) is maximised exactly."""
    space = Permutation(9)
    target = torch.randperm(9, generator=torch.Generator().manual_seed(1)).double()

    def score(x: torch.Tensor) -> torch.Tensor:
        return -(x != target).sum(-1).double()

    optimizer = PermutationOptimizer(random_starts=3, best_random_starts=0, evaluated_starts=0)
    gen = torch.Generator().manual_seed(0)
    taken = TakenSet(9)
    assert torch.equal(optimizer.maximize(score, space, taken, generator=gen), target)
    taken.add(target[None])  # the optimum is taken: the best is a swap away
    best = optimizer.maximize(score, space, taken, generator=gen)
    assert int((best != target).sum()) == 2


def test_climbs_from_evaluated_starts():
    """An evaluated start, itself taken, climbs to the optimum three swaps away."""
    space = Permutation(9)
    target = torch.randperm(9, generator=torch.Generator().manual_seed(3)).double()
    start = target.clone()
    for i, j in ((0, 1), (2, 3), (4, 5)):
        start[[i, j]] = start[[j, i]]

    def score(x: torch.Tensor) -> torch.Tensor:
        return -(x != target).sum(-1).double()

    optimizer = PermutationOptimizer(
        random_starts=0, best_random_starts=0, evaluated_starts=1, raw_samples=0
    )
    taken = TakenSet(9)
    taken.add(start[None])
    gen = torch.Generator().manual_seed(0)
    best = optimizer.maximize(score, space, taken, start[None], generator=gen)
    assert torch.equal(best, target)


@pytest.mark.parametrize("exhaustive_limit", [0, 5040])
def test_never_proposes_a_taken_permutation(exhaustive_limit):
    """With 110 of 120 permutations evaluated or pending, a batch holds only new ones."""
    space = Permutation(5)
    everything = torch.tensor(list(itertools.permutations(range(5))), dtype=torch.float64)
    order = torch.randperm(120, generator=torch.Generator().manual_seed(2))
    observed, pending = everything[order[:100]], everything[order[100:110]]
    y = (observed - torch.arange(5.0)).abs().sum(-1)
    gp = ExactGP(PositionKernel(n=5), restarts=1, iterations=10).fit(observed, y)
    optimizer = PermutationOptimizer(
        random_starts=4, best_random_starts=4, raw_samples=50, exhaustive_limit=exhaustive_limit
    )
    gen = torch.Generator().manual_seed(0)
    for acquisition in (LAW(), ExpectedImprovement(), RandomSearch()):
        batch = optimizer.optimize(
            acquisition,
            gp,
            space,
            float(y.min()),
            observed,
            y,
            q=8,
            pending=pending,
            generator=gen,
        )
        assert len(_rows(batch)) == 8
        assert not _rows(batch) & _rows(torch.cat([observed, pending]))
    with pytest.raises(SearchSpaceExhaustedError, match="q = 11"):
        optimizer.optimize(LAW(), gp, space, 0.0, observed, y, q=11, pending=pending)


def test_bo_loop_evaluates_distinct_permutations():
    """A whole loop with LAW on 7 items never evaluates a permutation twice."""
    from tessera.bo import BayesianOptimization

    space = Permutation(7)
    bo = BayesianOptimization(
        space,
        lambda p: float(sum(abs(v - i) for i, v in enumerate(p))),
        surrogate=ExactGP(PositionKernel(), restarts=1, iterations=10),
        acquisition=LAW(),
        optimizer=PermutationOptimizer(
            random_starts=3,
            best_random_starts=3,
            evaluated_starts=3,
            raw_samples=100,
            reference_samples=100,
            exhaustive_limit=0,
        ),
        initial_design=6,
        batch_size=4,
    )
    result = bo.run(18)
    assert len(_rows(result.x)) == 18


def test_first_point_maximises_the_acquisition_exhaustively():
    """On a small space the first point is the acquisition's exact argmax."""
    space, x, y, gp = _fitted(5, 15)
    law = LAW(weight="ei")
    optimizer = PermutationOptimizer()  # 120 ≤ exhaustive_limit
    best = optimizer.optimize(law, gp, space, float(y.min()), x, y, q=1)[0]
    everything = torch.tensor(list(itertools.permutations(range(5))), dtype=torch.float64)
    taken = TakenSet(5)
    taken.add(x)
    fresh = everything[~taken.contains(everything)]
    with torch.no_grad():
        scores = law(fresh, gp, float(y.min()))
    assert torch.equal(best, fresh[int(scores.argmax())])


def test_only_permutation_spaces():
    """Other spaces are refused with a pointer to the core optimiser."""
    _space, x, y, gp = _fitted(4, 6)
    with pytest.raises(NotImplementedError, match="AcquisitionOptimizer"):
        PermutationOptimizer().optimize(LAW(), gp, Box(0.0, 1.0), 0.0, x, y)
    with pytest.raises(ValueError, match="max_steps"):
        PermutationOptimizer(max_steps=0)


def test_law_works_with_the_core_optimizer():
    """The core AcquisitionOptimizer picks LAW batches from its pool through select()."""
    from tessera.bo import AcquisitionOptimizer, BayesianOptimization

    bo = BayesianOptimization(
        Permutation(6),
        lambda p: float(sum(abs(v - i) for i, v in enumerate(p))),
        surrogate=ExactGP(PositionKernel(), restarts=1, iterations=10),
        acquisition=LAW(),
        optimizer=AcquisitionOptimizer(raw_samples=64, jitter_samples=16, starts=2, rounds=2),
        initial_design=4,
        batch_size=3,
    )
    assert len(_rows(bo.run(10).x)) == 10
