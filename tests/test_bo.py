"""Tests of tessera.bo: kernels, the GP, acquisitions, the optimiser, the loop and task."""

from __future__ import annotations

import math
import pickle
from typing import Any

import mpmath
import numpy as np
import pytest
import torch
from scipy import stats

from tessera.bo import (
    AcquisitionOptimizer,
    BayesianOptimization,
    BOTask,
    ExactGP,
    ExpectedImprovement,
    LogExpectedImprovement,
    MaternKernel,
    NotPositiveDefiniteError,
    RBFKernel,
    SearchSpaceExhaustedError,
    UpperConfidenceBound,
    column_bounds,
    expected_improvement,
    is_member,
    log_expected_improvement,
    robust_cholesky,
    synthetic,
)
from tessera.runs import RunInterrupted
from tessera.spaces import Box, Categorical, Integer, Product
from tessera.testing import RecordingContext, parametrize_with_checks

#: The BO components the core's manifest declares.
NAMES = ["rbf", "matern", "gp", "ei", "log_ei", "ucb", "synthetic", "bo"]
MIXED = Product.of(x=Box(-1.0, 1.0, dims=2), c=Categorical(["a", "b", "c"]), k=Integer(0, 4))
FAST = {"raw_samples": 64, "jitter_samples": 32, "starts": 3, "rounds": 3, "gradient_steps": 8}


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Small matrices run fastest on one thread, and the machine may be shared."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@parametrize_with_checks("builtins", names=NAMES)
def test_conformance(case, check):
    check(case)


# Kernels


def test_column_bounds_cover_every_kind_of_variable():
    lower, upper = column_bounds(MIXED)
    assert lower.tolist() == [-1.0, -1.0, 0.0, 0.0]
    assert upper.tolist() == [1.0, 1.0, 2.0, 4.0]


def test_rbf_and_matern_match_their_formulas_on_scaled_columns():
    space = Box(0.0, 4.0, dims=2)
    x1 = torch.tensor([[0.0, 0.0]], dtype=torch.float64)
    x2 = torch.tensor([[2.0, 4.0]], dtype=torch.float64)
    rbf = RBFKernel(lengthscale=0.5, space=space)
    r2 = (0.5 / 0.5) ** 2 + (1.0 / 0.5) ** 2  # columns scaled by 4
    assert float(rbf(x1, x2).detach()) == pytest.approx(math.exp(-0.5 * r2))
    matern = MaternKernel(lengthscale=0.5, space=space, nu=1.5)
    r = math.sqrt(r2)
    assert float(matern(x1, x2).detach()) == pytest.approx(
        (1 + math.sqrt(3) * r) * math.exp(-math.sqrt(3) * r)
    )
    assert torch.equal(matern.diag(x1), torch.ones(1, dtype=torch.float64))


def test_kernel_binding_errors_are_precise():
    kernel = MaternKernel()
    with pytest.raises(RuntimeError, match="neither a space nor dims"):
        kernel(torch.zeros(2, 2), torch.zeros(2, 2))
    kernel.bind(MIXED)
    kernel.bind(MIXED)  # an equal space again is fine
    with pytest.raises(ValueError, match="build a new kernel"):
        kernel.bind(Box(0.0, 1.0))
    with pytest.raises(ValueError, match="differs from the space's width"):
        RBFKernel(dims=3, space=Box(0.0, 1.0))
    with pytest.raises(ValueError, match=r"nu = 2\.0"):
        MaternKernel(nu=2.0)


# The Gaussian process


def _fitted_gp(n: int = 10, seed: int = 0) -> tuple[ExactGP, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 2, generator=gen, dtype=torch.float64)
    y = torch.sin(4 * x[:, 0]) + x[:, 1] ** 2
    gp = ExactGP(RBFKernel(dims=2), restarts=2, iterations=40).fit(x, y)
    return gp, x, y


def test_gp_posterior_matches_a_direct_numpy_computation():
    gp, x, y = _fitted_gp()
    test = torch.rand(4, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    post = gp.posterior(test, joint=True)

    # The same model written out with numpy
    ell = gp.kernel.lengthscale.detach().numpy()
    s, noise = gp.outputscale.item(), gp.noise.item()
    mu, sd = float(y.mean()), float(y.std())

    def k(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        d = (a[:, None, :] - b[None, :, :]) / ell
        return s * np.exp(-0.5 * (d**2).sum(-1))

    xn, tn, yn = x.numpy(), test.numpy(), (y.numpy() - mu) / sd
    gram = k(xn, xn) + noise * np.eye(len(xn))
    mean = mu + sd * k(tn, xn) @ np.linalg.solve(gram, yn)
    cov = sd**2 * (k(tn, tn) - k(tn, xn) @ np.linalg.solve(gram, k(xn, tn)))
    np.testing.assert_allclose(post.mean.detach().numpy(), mean, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(post.covariance.detach().numpy(), cov, rtol=1e-5, atol=1e-10)
    np.testing.assert_allclose(post.variance.detach().numpy(), np.diag(cov), rtol=1e-5, atol=1e-10)


def test_gp_fit_improves_the_map_objective_over_its_start():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(15, 1, generator=gen, dtype=torch.float64)
    y = torch.sin(12 * x[:, 0])
    gp = ExactGP(RBFKernel(dims=1, lengthscale=3.0), restarts=1, iterations=50)
    y_std = (y - y.mean()) / y.std()
    before = gp._loss(x, y_std).item()
    gp.fit(x, y)
    assert gp._loss(x, y_std).item() < before - 0.1
    assert gp.kernel.lengthscale.item() < 1.0  # a wiggly function needs a short length


def test_cheap_update_equals_a_factorisation_from_scratch():
    gp, x, y = _fitted_gp(n=9)
    x_new = torch.tensor([[0.3, 0.7]], dtype=torch.float64)
    y_new = torch.tensor([0.2], dtype=torch.float64)
    updated = pickle.loads(pickle.dumps(gp)).add_observations(x_new, y_new)

    scratch = pickle.loads(pickle.dumps(gp))
    data = scratch._data
    y_all = (torch.cat([y, y_new]) - data.y_mean) / data.y_scale
    scratch._data = scratch._factorise(torch.cat([x, x_new]), y_all, data.y_mean, data.y_scale)

    test = torch.rand(5, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    a, b = updated.posterior(test), scratch.posterior(test)
    torch.testing.assert_close(a.mean, b.mean, rtol=1e-8, atol=1e-10)
    torch.testing.assert_close(a.variance, b.variance, rtol=1e-6, atol=1e-12)
    assert len(updated.train_data()[0]) == 10


def test_pending_points_keep_the_mean_and_shrink_the_variance():
    gp, _, _ = _fitted_gp()
    test = torch.tensor([[0.5, 0.5], [0.9, 0.1]], dtype=torch.float64)
    before = gp.posterior(test)
    after = gp.condition_on_pending(test[:1]).posterior(test)
    torch.testing.assert_close(after.mean, before.mean, rtol=1e-8, atol=1e-10)
    assert after.variance[0] < 0.5 * before.variance[0]
    assert after.variance[1] <= before.variance[1] * (1 + 1e-9)
    with pytest.raises(RuntimeError, match="conditioned on pending points"):
        gp.condition_on_pending(test[:1]).add_observations(test[1:], torch.zeros(1))


def test_robust_cholesky_adds_jitter_and_refuses_nan():
    singular = torch.ones(3, 3, dtype=torch.float64)
    factor, jitter = robust_cholesky(singular)
    assert jitter > 0
    torch.testing.assert_close(
        factor @ factor.T, singular + jitter * torch.eye(3, dtype=torch.float64)
    )
    with pytest.raises(NotPositiveDefiniteError, match="NaN"):
        robust_cholesky(torch.full((2, 2), math.nan, dtype=torch.float64))
    with pytest.raises(NotPositiveDefiniteError, match="not positive definite"):
        robust_cholesky(-torch.eye(2, dtype=torch.float64))


def test_gp_rejects_bad_data():
    gp = ExactGP(RBFKernel(dims=1))
    with pytest.raises(ValueError, match=r"shape \(n, d\)"):
        gp.fit(torch.zeros(3), torch.zeros(3))
    with pytest.raises(ValueError, match="rows \\[1\\] are not finite"):
        gp.fit(torch.zeros(2, 1), torch.tensor([0.0, math.inf]))
    with pytest.raises(RuntimeError, match="not been fitted"):
        gp.posterior(torch.zeros(1, 1))


# Acquisitions


def test_expected_improvement_matches_the_closed_form():
    gen = np.random.default_rng(0)
    mean, std, best = gen.normal(size=200), gen.uniform(0.01, 3, size=200), 0.3
    z = (best - mean) / std
    expected = (best - mean) * stats.norm.cdf(z) + std * stats.norm.pdf(z)
    got = expected_improvement(torch.tensor(mean), torch.tensor(std), best)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10, atol=1e-14)
    log_got = log_expected_improvement(torch.tensor(mean), torch.tensor(std), best)
    safe = expected > 1e-8  # where the closed form itself is accurate
    np.testing.assert_allclose(log_got.numpy()[safe], np.log(expected[safe]), rtol=1e-9)


def _log_ei_mpmath(z: float) -> float:
    mpmath.mp.dps = 60
    zm = mpmath.mpf(z)
    h = mpmath.npdf(zm) + zm * mpmath.ncdf(zm)
    return float(mpmath.log(h))


@pytest.mark.parametrize("z", [-0.5, -1.0, -5.0, -30.0, -300.0, -999.0, -1001.0, -1e5, -1e8])
def test_log_ei_is_accurate_where_ei_underflows(z):
    got = float(
        log_expected_improvement(
            torch.tensor([-z], dtype=torch.float64), torch.tensor([1.0], dtype=torch.float64), 0.0
        )
    )
    assert got == pytest.approx(_log_ei_mpmath(z), rel=1e-9)


def test_log_ei_has_finite_gradients_everywhere():
    mean = torch.tensor([-3.0, 0.0, 2.0, 50.0, 1e4], dtype=torch.float64, requires_grad=True)
    std = torch.ones(5, dtype=torch.float64)
    log_expected_improvement(mean, std, 0.0).sum().backward()
    assert torch.isfinite(mean.grad).all() and (mean.grad < 0).all()
    zero = log_expected_improvement(torch.tensor([1.0, -1.0]), torch.tensor([0.0, 0.0]), 0.0)
    assert zero[0] == -math.inf and zero[1] == 0.0


def test_acquisitions_score_through_the_surrogate():
    gp, _, y = _fitted_gp()
    test = torch.rand(6, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    post = gp.posterior(test)
    best = float(y.min())
    ei = ExpectedImprovement()(test, gp, best)
    torch.testing.assert_close(LogExpectedImprovement()(test, gp, best), ei.log())
    torch.testing.assert_close(
        UpperConfidenceBound(beta=4.0)(test, gp, best), -post.mean + 2.0 * post.stddev
    )
    assert ExpectedImprovement(xi=0.5)(test, gp, best).lt(ei + 1e-15).all()


# The acquisition optimiser


def test_is_member_uses_a_tolerance():
    ref = torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    assert is_member(torch.tensor([[1e-12, 1.0], [1e-3, 1.0]]), ref).tolist() == [True, False]
    assert is_member(torch.zeros(0, 2), ref).shape == (0,)


def test_optimizer_never_proposes_an_evaluated_point():
    space = Integer(0, 3) * Categorical(["a", "b"])  # 8 points
    x = space.encode([(0, "a"), (1, "a"), (2, "a"), (3, "a"), (0, "b"), (1, "b")])
    y = torch.tensor([0.0, 0.1, 0.2, 0.3, 0.01, 0.11], dtype=torch.float64)
    gp = ExactGP(restarts=1, iterations=20).bind(space).fit(x, y)
    opt = AcquisitionOptimizer(**FAST)
    chosen = opt.optimize(ExpectedImprovement(), gp, space, 0.0, x, y, q=2)
    assert sorted(space.decode(chosen)) == [(2, "b"), (3, "b")]
    with pytest.raises(SearchSpaceExhaustedError, match="fewer than q = 3"):
        opt.optimize(ExpectedImprovement(), gp, space, 0.0, x, y, q=3)


class _JointUCB(UpperConfidenceBound):
    """A batch acquisition: chooses its q points itself from the optimiser's pool."""

    batch = True

    def __init__(self) -> None:
        super().__init__(beta=1.0)
        self.pools: list[int] = []

    def select(self, candidates, q, surrogate, best_f):
        self.pools.append(len(candidates))
        return super().select(candidates, q, surrogate, best_f)


def test_optimizer_lets_batch_acquisitions_choose_from_a_pool():
    gen = torch.Generator().manual_seed(1)
    x = MIXED.sample(8, gen)
    y = x[:, 0] ** 2 + x[:, 3]
    gp = ExactGP(restarts=1, iterations=20).bind(MIXED).fit(x, y)
    acq = _JointUCB()
    chosen = AcquisitionOptimizer(**FAST).optimize(acq, gp, MIXED, 0.0, x, y, q=4, generator=gen)
    assert acq.pools and acq.pools[0] >= 4
    assert len(torch.unique(chosen, dim=0)) == 4 and not is_member(chosen, x).any()


def test_optimizer_finds_the_acquisition_maximum_on_a_mixed_space():
    gen = torch.Generator().manual_seed(0)
    x = MIXED.sample(12, gen)
    y = (x[:, 0] - 0.4) ** 2 + (x[:, 1] + 0.3) ** 2 + (x[:, 2] - 1).abs() + 0.1 * x[:, 3]
    gp = ExactGP(restarts=1, iterations=30).bind(MIXED).fit(x, y)
    acq = UpperConfidenceBound(beta=0.0)  # the posterior mean, negated
    opt = AcquisitionOptimizer(**FAST)
    best = opt.optimize(acq, gp, MIXED, float(y.min()), x, y, q=3, generator=gen)
    assert best.shape == (3, MIXED.dim)
    assert not is_member(best, x).any() and len(torch.unique(best, dim=0)) == 3
    assert torch.equal(MIXED.project(best), best)
    pool = MIXED.sample(2000, gen)
    with torch.no_grad():
        assert acq(best[:1], gp, 0.0).item() >= acq(pool, gp, 0.0).max().item() - 1e-6


# The loop


def _sphere(point: dict[str, Any]) -> float:
    x, c, k = point["x"], point["c"], point["k"]
    return (x[0] - 0.4) ** 2 + (x[1] + 0.3) ** 2 + {"a": 0.5, "b": 0.0, "c": 1.0}[c] + 0.1 * k


def test_ask_and_tell_with_batches():
    bo = BayesianOptimization(
        MIXED,
        initial_design=3,
        batch_size=2,
        seed=1,
        surrogate=ExactGP(restarts=1, iterations=20),
        optimizer=AcquisitionOptimizer(**FAST),
    )
    for _ in range(3):
        points = bo.ask()
        bo.tell(points, [_sphere(p) for p in points])
    assert bo.evaluations == 5  # 2 + 1 random (the initial design), then 2 proposed
    assert len(torch.unique(bo.x, dim=0)) == 5
    with pytest.raises(ValueError, match="not finite"):
        bo.tell(bo.ask(1), [math.nan])
    with pytest.raises(ValueError, match="2 points but 1 values"):
        bo.tell(bo.ask(2), [1.0])


def test_points_asked_and_not_told_are_pending():
    """Asks before the tells (parallel workers) never share a point, random or proposed."""
    space = Integer(0, 4) * Categorical(["a", "b"])  # 10 points
    bo = BayesianOptimization(
        space,
        initial_design=3,
        seed=0,
        surrogate=ExactGP(restarts=1, iterations=10),
        optimizer=AcquisitionOptimizer(**FAST),
    )
    first = bo.ask(2)  # random
    bo.tell(first[:1], [0.0])
    second = bo.ask(2)  # random, while first[1] is out
    bo.tell(second, [1.0, 2.0])
    third = bo.ask(2)  # proposed while first[1] is still out
    fourth = bo.ask(2)
    asked = first + second + third + fourth
    assert len(asked) == 8 and len(set(asked)) == 8 and len(bo.pending) == 5
    rest = asked[1:2] + asked[4:]
    bo.tell(rest, [float(k) for k, _ in rest])
    assert len(bo.pending) == 0 and bo.evaluations == 8
    assert len(bo.state_dict()["pending"]) == 0


def test_resumed_loop_continues_exactly():
    def make() -> BayesianOptimization:
        return BayesianOptimization(
            MIXED,
            _sphere,
            ExactGP(restarts=2, iterations=10),
            optimizer=AcquisitionOptimizer(**FAST),
            initial_design=4,
            seed=3,
        )

    straight = make().run(7)
    first = make()
    first.run(5)
    state = pickle.loads(pickle.dumps(first.state_dict()))
    second = make()
    second.load_state_dict(state)
    resumed = second.run(7)
    torch.testing.assert_close(resumed.x, straight.x)


def test_bo_beats_random_search_on_average():
    problem = synthetic("sphere", dims=2)
    bo_best, random_best = [], []
    for seed in range(3):
        bo = BayesianOptimization(
            problem.space,
            problem.objective,
            ExactGP(restarts=1, iterations=15, seed=seed),
            optimizer=AcquisitionOptimizer(**FAST),
            initial_design=4,
            seed=seed,
        )
        bo_best.append(bo.run(12).best_value)
        points = problem.space.decode(
            problem.space.sample(12, torch.Generator().manual_seed(seed))
        )
        random_best.append(min(problem.objective(p) for p in points))
    assert np.mean(bo_best) < 0.2 * np.mean(random_best)


def test_synthetic_problems_reach_their_optima():
    assert synthetic("sphere", 3).objective([0.25] * 3) == 0.0
    assert synthetic("ackley", 2).objective([0.0, 0.0]) == pytest.approx(0.0, abs=1e-12)
    assert synthetic("rosenbrock", 3).objective([1.0] * 3) == 0.0
    branin = synthetic()
    for x in ([-math.pi, 12.275], [math.pi, 2.275], [9.42478, 2.475]):
        assert branin.objective(x) == pytest.approx(branin.optimum, abs=1e-5)
    with pytest.raises(ValueError, match="two-dimensional"):
        synthetic("branin", 3)


# The task


def _task(budget: int = 6) -> BOTask:
    return BOTask(
        synthetic("sphere", 2),
        surrogate=ExactGP(restarts=1, iterations=20),
        optimizer=FAST,
        initial_design=3,
        budget=budget,
    )


def test_bo_task_runs_checkpoints_and_plots(tmp_path):
    context = RecordingContext(tmp_path)
    summary = _task().run(context)
    assert summary["evaluations"] == 6 and summary["regret"] == pytest.approx(
        summary["best_value"]
    )
    assert context.plots == [tmp_path / "plots" / "best_value.png"]
    assert context.plots[0].stat().st_size > 0
    steps = [step for step, _ in context.metrics]
    assert steps == list(range(6))
    best = [m["best_value"] for _, m in context.metrics]
    assert best == sorted(best, reverse=True)


def test_bo_task_resumes_after_an_interruption(tmp_path):
    straight = RecordingContext(tmp_path)
    expected = _task().run(straight)

    interrupted = RecordingContext(tmp_path, stop_after=4)
    with pytest.raises(RunInterrupted):
        _task().run(interrupted)
    interrupted.stop_after = None
    resumed = _task().run(interrupted)
    assert resumed == expected


def test_bo_task_through_the_runner(tmp_path):
    from tessera.runs import run

    spec = {
        "task": {
            "name": "bo",
            "params": {
                "problem": {"name": "synthetic", "params": {"function": "branin"}},
                "surrogate": {"name": "gp", "params": {"restarts": 1, "iterations": 20}},
                "optimizer": FAST,
                "initial_design": 3,
                "budget": 6,
            },
        },
        "seed": 0,
    }
    result = run(spec, out=tmp_path / "run")
    assert result.status == "completed", (tmp_path / "run" / "error.txt").read_text()
    assert (tmp_path / "run" / "plots" / "best_value.png").exists()


def test_bo_task_config_checks_the_budget():
    from tessera.bo._configs import BOTaskConfig

    with pytest.raises(ValueError, match="exceeds budget"):
        BOTaskConfig(problem={"name": "synthetic"}, initial_design=8, budget=5)
    with pytest.raises(TypeError, match="needs a 'space'"):
        BOTask(object())
