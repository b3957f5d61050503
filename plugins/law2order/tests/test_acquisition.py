"""LAW against a brute-force greedy DPP, weights, the EST estimate, and the baselines."""

from __future__ import annotations

import math

import pytest
import torch
from tessera_law2order import (
    DPP,
    LAW,
    BatchUCB,
    KrigingBeliever,
    PositionKernel,
    RandomSearch,
    ei_weight,
    est_weight,
    estimate_minimum,
)

from tessera.bo import ExactGP, expected_improvement
from tessera.bo._optimize import is_member
from tessera.spaces import Permutation


@pytest.fixture(scope="module")
def setting():
    """A GP with (almost) noise-free pending points, fitted on 12 permutations of 6."""
    space = Permutation(6)
    gen = torch.Generator().manual_seed(0)
    x = space.sample(12, gen)
    target = torch.tensor([5.0, 3, 1, 0, 2, 4])
    y = (x - target).abs().sum(-1) + 0.3 * torch.sin(3 * x[:, 0])
    gp = ExactGP(PositionKernel(n=6), noise=1e-7, learn_noise=False, restarts=1).fit(x, y)
    candidates = torch.unique(space.sample(40, gen), dim=0)
    candidates = candidates[~is_member(candidates, x)][:14]
    return gp, candidates, float(y.min())


def _greedy_dpp(first: int, weights: torch.Tensor, cov: torch.Tensor, q: int) -> list[int]:
    """Brute force: the first index, then each time the largest det(L_S) by determinants."""
    kernel = weights[:, None] * cov * weights[None, :]
    chosen = [first]
    while len(chosen) < q:
        dets = torch.full((len(cov),), -math.inf, dtype=torch.float64)
        for j in range(len(cov)):
            if j not in chosen:
                idx = [*chosen, j]
                dets[j] = torch.linalg.det(kernel[idx][:, idx])
        chosen.append(int(dets.argmax()))
    return chosen


@pytest.mark.parametrize("weight", ["est", "ei"])
def test_law_equals_brute_force_greedy_dpp(setting, weight):
    """LAW's batch is the greedy MAP of the DPP with L = diag(w) K_post diag(w)."""
    gp, candidates, best_f = setting
    law = LAW(weight=weight)
    with torch.no_grad():
        chosen = law.select(candidates, 5, gp, best_f).tolist()
        a = law(candidates, gp, best_f)
        cov = gp.posterior(candidates, joint=True).covariance
    assert chosen[0] == int(a.argmax())  # the first point maximises the acquisition
    assert chosen == _greedy_dpp(chosen[0], law.weight_of(a), cov, 5)


def test_law_scores_are_the_dpp_gains(setting):
    """w(a(x))² σ²_{k−1}(x) equals det L_{S ∪ x} / det L_S up to the pending jitter."""
    gp, candidates, best_f = setting
    law = LAW()
    with torch.no_grad():
        selection = law.start(gp, best_f, candidates)
        a = selection.scores(candidates)
        w = law.weight_of(a)
        cov = gp.posterior(candidates, joint=True).covariance / selection.base.y_scale**2
        kernel = w[:, None] * cov * w[None, :]
        selection.add(candidates[:2])
        scores = selection.scores(candidates[2:])
    for j in range(2, len(candidates)):
        idx = [0, 1, j]
        gain = torch.linalg.det(kernel[idx][:, idx]) / torch.linalg.det(kernel[:2, :2])
        assert float(scores[j - 2]) ** 2 == pytest.approx(float(gain), rel=1e-4)


def test_dpp_is_law_without_weights(setting):
    """The unweighted DPP baseline is the brute-force greedy DPP on K_post."""
    gp, candidates, best_f = setting
    dpp = DPP()
    with torch.no_grad():
        chosen = dpp.select(candidates, 4, gp, best_f).tolist()
        cov = gp.posterior(candidates, joint=True).covariance
    assert chosen[0] == int(dpp(candidates, gp, best_f).argmax())
    assert chosen == _greedy_dpp(chosen[0], torch.ones(len(cov), dtype=torch.float64), cov, 4)


def test_weights_are_bounded_below():
    """Both weight functions map into [ε, 1) with ε > 0, increasingly."""
    a = torch.tensor([-1e6, -5.0, 0.0, 1.0, 1e6], dtype=torch.float64)
    w_est = est_weight(a, 0.01)
    w_ei = ei_weight(a.clamp_min(0), 0.01)
    for w in (w_est, w_ei):
        assert float(w.min()) >= 0.01 and float(w.max()) < 1.0 + 1e-12
        assert bool((w[1:] >= w[:-1]).all())
    assert float(w_ei[2]) == pytest.approx(0.01)


def test_estimate_minimum_of_one_point_is_best_f_minus_ei():
    """With one point, m̂ = E[min(f, b)] = b − EI(b), in closed form."""
    mean, std = torch.tensor([0.3]), torch.tensor([0.8])
    for best_f in (-1.0, 0.0, 0.5):
        expected = best_f - float(expected_improvement(mean, std, best_f))
        assert estimate_minimum(mean, std, best_f, points=4000) == pytest.approx(
            expected, abs=1e-5
        )
    # More uncertain points push the estimate down; never above best_f
    wide = estimate_minimum(torch.zeros(50), torch.ones(50), 0.0)
    narrow = estimate_minimum(torch.zeros(50), 0.1 * torch.ones(50), 0.0)
    assert wide < narrow <= 0.0


def test_kriging_believer_and_bucb(setting):
    """Baselines choose distinct points, the first by their own acquisition."""
    gp, candidates, best_f = setting
    with torch.no_grad():
        for acquisition in (KrigingBeliever("ei"), KrigingBeliever("est"), BatchUCB()):
            chosen = acquisition.select(candidates, 4, gp, best_f).tolist()
            assert len(set(chosen)) == 4
            assert chosen[0] == int(acquisition(candidates, gp, best_f).argmax())
        post = gp.posterior(candidates)
        ei = expected_improvement(post.mean, post.stddev, best_f)
        assert KrigingBeliever("ei").select(candidates, 1, gp, best_f).item() == int(ei.argmax())


def test_bucb_beta_schedule(setting):
    """β_t = 2 log(n! t² π² / (6δ)) with t the observations; a fixed β overrides it."""
    gp, candidates, best_f = setting
    selection = BatchUCB(delta=0.1).start(gp, best_f)
    expected = 2 * (math.lgamma(7) + math.log(12**2 * math.pi**2 / 0.6))
    assert selection.beta(candidates) == pytest.approx(expected)
    assert BatchUCB(beta=3.0).start(gp, best_f).beta(candidates) == 3.0
    with pytest.raises(ValueError, match="beta"):
        selection.beta(candidates + 0.5)


def test_random_search_is_reproducible(setting):
    """Random batches depend on the seed only."""
    gp, candidates, best_f = setting
    a = RandomSearch(3).select(candidates, 4, gp, best_f)
    b = RandomSearch(3).select(candidates, 4, gp, best_f)
    assert torch.equal(a, b) and len(set(a.tolist())) == 4


def test_errors(setting):
    """Bad settings and batch sizes fail with clear messages."""
    gp, candidates, best_f = setting
    with pytest.raises(ValueError, match="weight"):
        LAW(weight="ucb")
    with pytest.raises(ValueError, match="lower_bound"):
        LAW(lower_bound=0.0)
    with pytest.raises(ValueError, match="q=99"):
        LAW().select(candidates, 99, gp, best_f)
    with pytest.raises(ValueError, match="delta"):
        BatchUCB(delta=1.0)


def test_scores_do_not_depend_on_chunks(setting):
    """EST scores of a chunk of candidates equal those of the whole set."""
    gp, candidates, best_f = setting
    for acquisition in (LAW(), KrigingBeliever("est"), DPP()):
        with torch.no_grad():
            whole = acquisition(candidates, gp, best_f)
            part = acquisition(candidates[:5], gp, best_f)
        assert torch.allclose(whole[:5], part)
