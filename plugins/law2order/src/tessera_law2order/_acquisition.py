"""Greedy batch acquisitions: LAW, and the kriging-believer, BUCB, DPP and random baselines.

Each acquisition here chooses a batch one point at a time. :meth:`start` returns a
:class:`BatchSelection`, whose :meth:`~BatchSelection.scores` rank candidates for the next
point of the batch given the points already chosen, and whose :meth:`~BatchSelection.add`
commits a chosen point. :meth:`GreedyBatchAcquisition.select` runs that loop over a finite
candidate set; :class:`~tessera_law2order.PermutationOptimizer` runs it over a whole
permutation space, maximising each step's score by hill climbing.

Objectives are minimised; ``best_f`` is the smallest value observed.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable

import torch
from torch import Tensor

from tessera.bo import expected_improvement
from tessera.kinds import Acquisition, Surrogate
from tessera.spaces import Permutation

__all__ = [
    "DPP",
    "LAW",
    "BatchSelection",
    "BatchUCB",
    "GreedyBatchAcquisition",
    "KrigingBeliever",
    "RandomSearch",
    "default_reference",
    "ei_weight",
    "est_weight",
    "estimate_minimum",
]

_TINY = 1e-12
#: Random permutations standing for the space in EST's estimate when none are given.
REFERENCE_SAMPLES = 1024


def default_reference(x: Tensor) -> Tensor | None:
    """Points standing for the search space of candidates ``x`` (m, d).

    For permutation rows, ``REFERENCE_SAMPLES`` random permutations of ``d`` items drawn with
    a fixed seed, so that scores of any chunk of candidates use the same reference;
    otherwise ``None`` (the observed points alone).
    """
    if not _is_permutations(x.round()):
        return None
    generator = torch.Generator().manual_seed(1510_06423)
    return Permutation(x.shape[1]).sample(REFERENCE_SAMPLES, generator)


def estimate_minimum(mean: Tensor, std: Tensor, best_f: float, points: int = 512) -> float:
    """The EST estimate m̂ of the minimum of f, from marginals at a set of points.

    ``m̂ = E[min(min_x f(x), best_f)] = best_f − ∫_{−∞}^{best_f} P(min_x f(x) ≤ w) dw``, with
    ``P(min_x f(x) ≤ w) = 1 − Π_x Φ((μ(x) − w) / σ(x))`` treating the points as independent,
    integrated by the trapezoid rule on ``points`` values of w. Always ≤ ``best_f``.

    Arguments:
        mean: posterior means μ, (m,).
        std: posterior standard deviations σ, (m,).
        best_f: the smallest value observed.
        points: grid points of the integral.

    References:
        | Optimization as Estimation with Gaussian Processes in Bandit Settings
          (Wang, Zhou, Li and Jegelka, 2016), mirrored for minimisation
        | https://arxiv.org/abs/1510.06423

    Example:
        >>> import torch
        >>> m = estimate_minimum(torch.zeros(3), torch.ones(3), best_f=0.0)
        >>> -1.0 < m < 0.0
        True
    """
    mean, std = mean.double().reshape(-1), std.double().reshape(-1).clamp_min(_TINY)
    lower = float((mean - 8.0 * std).min())
    if not lower < best_f:
        return float(best_f)
    w = torch.linspace(lower, float(best_f), points, dtype=torch.float64)
    log_above = torch.zeros(points, dtype=torch.float64)
    for mu, sigma in zip(mean.split(4096), std.split(4096)):
        z = (mu[None, :] - w[:, None]) / sigma[None, :]
        log_above = log_above + torch.special.log_ndtr(z).sum(-1)
    below = -torch.expm1(log_above)
    return float(best_f) - float(torch.trapezoid(below, w))


def ei_weight(a: Tensor, lower_bound: float = 0.01) -> Tensor:
    """w(a) = ε + (1 − ε) a / (1 + a) for expected improvement a ≥ 0: in [ε, 1).

    Example:
        >>> import torch
        >>> ei_weight(torch.tensor([0.0, 1.0], dtype=torch.float64)).tolist()
        [0.01, 0.505]
    """
    a = a.clamp_min(0)
    return lower_bound + (1 - lower_bound) * a / (1 + a)


def est_weight(a: Tensor, lower_bound: float = 0.01, slope: float = 0.2) -> Tensor:
    """w(a) = ε + (1 − ε) sigmoid(slope · a) for an EST score a: in (ε, 1).

    Example:
        >>> import torch
        >>> est_weight(torch.tensor([0.0], dtype=torch.float64)).tolist()
        [0.505]
    """
    return lower_bound + (1 - lower_bound) * torch.sigmoid(slope * a)


def _train_data(surrogate: Surrogate) -> tuple[Tensor | None, Tensor | None]:
    try:
        x, y = surrogate.train_data()
    except NotImplementedError:
        return None, None
    return x.double(), y.double()


def _is_permutations(x: Tensor) -> bool:
    if x.ndim != 2 or not len(x):
        return False
    expected = torch.arange(x.shape[1], dtype=x.dtype).expand_as(x)
    return bool(torch.equal(x.sort(dim=-1).values, expected))


class _Base:
    """The base acquisition a(x): expected improvement or the EST score, at one batch step.

    EI is measured in units of the observed values' standard deviation, so that weight
    functions see the same scale on every problem; the EST score
    ``(m̂ − μ(x)) / σ(x)`` is scale-free.
    """

    def __init__(
        self,
        kind: str,
        surrogate: Surrogate,
        best_f: float,
        reference: Tensor | None,
        est_points: int,
    ) -> None:
        self.kind, self.best_f, self.est_points = kind, float(best_f), est_points
        x_obs, y_obs = _train_data(surrogate)
        self.y_scale = 1.0
        if y_obs is not None and len(y_obs) > 1 and float(y_obs.std()) > 0:
            self.y_scale = float(y_obs.std())
        parts = [t for t in (x_obs, reference) if t is not None and len(t)]
        self.reference = torch.cat([p.double() for p in parts]) if parts else None
        self.m_hat = self.estimate(surrogate, self.best_f) if kind == "est" else math.nan

    def estimate(self, surrogate: Surrogate, best_f: float) -> float:
        if self.reference is None:
            return best_f
        with torch.no_grad():
            post = surrogate.posterior(self.reference)
        return estimate_minimum(post.mean, post.stddev, best_f, self.est_points)

    def scores(self, x: Tensor, surrogate: Surrogate, best_f: float, m_hat: float) -> Tensor:
        post = surrogate.posterior(x)
        if self.kind == "ei":
            return expected_improvement(post.mean, post.stddev, best_f) / self.y_scale
        return (m_hat - post.mean) / post.stddev.clamp_min(_TINY)


class BatchSelection(ABC):
    """One batch in the making: scores for its next point, given the points already chosen.

    Attributes:
        surrogate: the model the batch is chosen from.
        best_f: the smallest value observed.
        chosen: the points chosen so far, (k, d).
    """

    def __init__(self, surrogate: Surrogate, best_f: float) -> None:
        self.surrogate, self.best_f = surrogate, float(best_f)
        self.chosen: Tensor | None = None
        self.model = surrogate  # conditioned on the chosen points as pending

    @abstractmethod
    def scores(self, x: Tensor) -> Tensor:
        """Scores (m,) of candidates ``x`` (m, d) for the next point; larger is better."""

    def add(self, x: Tensor) -> None:
        """Commit chosen points ``x`` (k, d) to the batch."""
        x = torch.as_tensor(x).double().reshape(-1, x.shape[-1])
        self.chosen = x if self.chosen is None else torch.cat([self.chosen, x])
        self.model = self.surrogate.condition_on_pending(self.chosen)

    @property
    def size(self) -> int:
        """The number of points chosen so far."""
        return 0 if self.chosen is None else len(self.chosen)


class GreedyBatchAcquisition(Acquisition, ABC):
    """An acquisition that builds a batch greedily through a :class:`BatchSelection`.

    Calling it scores candidates for the first point of a batch.
    """

    batch = True

    @abstractmethod
    def start(
        self, surrogate: Surrogate, best_f: float, reference: Tensor | None = None
    ) -> BatchSelection:
        """A new batch for ``surrogate``.

        Arguments:
            surrogate: the fitted model.
            best_f: the smallest value observed.
            reference: points (r, d) standing for the search space where an acquisition
                needs global information (the EST estimate of the minimum); the observed
                points are always used too. Calling the acquisition and :meth:`select` use
                :func:`default_reference` of the candidates, so that scores do not depend on
                how candidates are split into chunks.
        """

    def __call__(self, x: Tensor, surrogate: Surrogate, best_f: float) -> Tensor:
        return self.start(surrogate, best_f, default_reference(x)).scores(x)

    def select(self, candidates: Tensor, q: int, surrogate: Surrogate, best_f: float) -> Tensor:
        """Indices (q,) of ``q`` distinct candidates (m, d), chosen one after the other."""
        if not 1 <= q <= len(candidates):
            raise ValueError(
                f"{type(self).__name__}.select: q={q} must be between 1 and the number of "
                f"candidates ({len(candidates)}); lower q or give more candidates"
            )
        candidates = candidates.double()
        selection = self.start(surrogate, best_f, default_reference(candidates))
        chosen: list[int] = []
        with torch.no_grad():
            for _ in range(q):
                scores = torch.nan_to_num(selection.scores(candidates).double(), nan=-torch.inf)
                if chosen:
                    scores[chosen] = -torch.inf
                j = int(scores.argmax())
                if j in chosen:  # every remaining score is −inf
                    j = next(i for i in range(len(candidates)) if i not in chosen)
                chosen.append(j)
                selection.add(candidates[j : j + 1])
        return torch.tensor(chosen, dtype=torch.long)

    def example_inputs(self, n: int = 16, generator: torch.Generator | None = None) -> Tensor:
        """``n`` random permutations of 5 items, (n, 5)."""
        return Permutation(5).sample(n, generator)


# LAW and the unweighted DPP


class _DPPSelection(BatchSelection):
    """Greedy MAP of a DPP whose L-ensemble is the (weighted) posterior covariance.

    The first point maximises the base acquisition a(x); each next one maximises
    ``w(a(x)) σ_{k−1}(x)``, σ_{k−1} being the posterior standard deviation given the
    observations and the k − 1 points already chosen (as pending points of the surrogate).
    """

    def __init__(
        self,
        base: _Base,
        surrogate: Surrogate,
        best_f: float,
        weight: Callable[[Tensor], Tensor] | None,
    ) -> None:
        super().__init__(surrogate, best_f)
        self.base, self.weight = base, weight

    def scores(self, x: Tensor) -> Tensor:
        a = self.base.scores(x, self.surrogate, self.best_f, self.base.m_hat)
        if self.chosen is None:
            return a
        sigma = self.model.posterior(x).stddev / self.base.y_scale
        return sigma if self.weight is None else self.weight(a) * sigma


class LAW(GreedyBatchAcquisition):
    """LAW: a batch as the greedy MAP of a DPP with the acquisition weighted kernel.

    The L-ensemble is ``L(x, x') = w(a(x)) k_post(x, x') w(a(x'))``, where ``k_post`` is the
    posterior covariance and ``w`` maps the acquisition ``a`` into ``[ε, 1)``, bounded below
    by ``ε > 0`` as the regret bound needs. Greedy MAP takes first the maximiser of ``a``,
    then each time the maximiser of ``w(a(x)) σ_{k−1}(x)``, the posterior standard deviation
    conditioned on the points already chosen: ``det L`` grows by ``w(a(x))² σ_{k−1}(x)²``.
    Chosen points condition the surrogate as pending points; for
    :class:`~tessera.bo.ExactGP` that adds the fitted noise variance to them, as a jitter.

    Weights: ``"ei"``, ``w(a) = ε + (1 − ε) a / (1 + a)`` with ``a`` the expected
    improvement in units of the observed standard deviation; ``"est"``,
    ``w(a) = ε + (1 − ε) sigmoid(slope · a)`` with ``a = (m̂ − μ(x)) / σ(x)`` and ``m̂`` the
    EST estimate of the minimum (:func:`estimate_minimum`).

    Arguments:
        weight: ``"est"`` or ``"ei"``, the acquisition inside the weight.
        lower_bound: ε > 0, the smallest weight.
        slope: the EST weight's slope.
        est_points: grid points of the EST integral.

    References:
        | Batch Bayesian Optimization on Permutations using the Acquisition Weighted Kernel
          (Oh, Bondesan, Gavves and Welling, 2022)
        | https://arxiv.org/abs/2102.13382

    Example:
        >>> import torch
        >>> from tessera.bo import ExactGP
        >>> from tessera_law2order import LAW, PositionKernel
        >>> x = torch.tensor([[0.0, 1, 2, 3], [3, 2, 1, 0], [1, 0, 3, 2], [2, 3, 0, 1]])
        >>> gp = ExactGP(PositionKernel(n=4), restarts=1).fit(x, torch.tensor([1.0, 4, 2, 3]))
        >>> candidates = torch.tensor([[0.0, 1, 3, 2], [1, 0, 2, 3], [0, 2, 1, 3]])
        >>> LAW(weight="ei").select(candidates, 2, gp, best_f=1.0).shape
        torch.Size([2])
    """

    def __init__(
        self,
        weight: str = "est",
        lower_bound: float = 0.01,
        slope: float = 0.2,
        est_points: int = 512,
    ) -> None:
        if weight not in ("est", "ei"):
            raise ValueError(f"LAW: weight {weight!r} is unknown; use 'est' or 'ei'")
        if not 0 < lower_bound < 1:
            raise ValueError(f"LAW: lower_bound = {lower_bound} must be in (0, 1)")
        if slope <= 0 or est_points < 2:
            raise ValueError(f"LAW: slope = {slope} must be > 0 and est_points = {est_points} ≥ 2")
        self.weight, self.lower_bound = weight, float(lower_bound)
        self.slope, self.est_points = float(slope), int(est_points)

    def weight_of(self, a: Tensor) -> Tensor:
        """The weight w(a) of acquisition values ``a``."""
        if self.weight == "ei":
            return ei_weight(a, self.lower_bound)
        return est_weight(a, self.lower_bound, self.slope)

    def start(
        self, surrogate: Surrogate, best_f: float, reference: Tensor | None = None
    ) -> BatchSelection:
        base = _Base(self.weight, surrogate, best_f, reference, self.est_points)
        return _DPPSelection(base, surrogate, best_f, self.weight_of)


class DPP(GreedyBatchAcquisition):
    """The unweighted DPP baseline: the first point maximises the acquisition, the rest
    maximise the posterior standard deviation given the points already chosen.

    Arguments:
        acquisition: ``"est"`` or ``"ei"``, for the first point.
        est_points: grid points of the EST integral.

    References:
        | Batched Gaussian Process Bandit Optimization via Determinantal Point Processes
          (Kathuria, Deshpande and Kohli, 2016)
        | https://arxiv.org/abs/1611.04088
    """

    def __init__(self, acquisition: str = "est", est_points: int = 512) -> None:
        if acquisition not in ("est", "ei"):
            raise ValueError(f"DPP: acquisition {acquisition!r} is unknown; use 'est' or 'ei'")
        self.acquisition, self.est_points = acquisition, int(est_points)

    def start(
        self, surrogate: Surrogate, best_f: float, reference: Tensor | None = None
    ) -> BatchSelection:
        base = _Base(self.acquisition, surrogate, best_f, reference, self.est_points)
        return _DPPSelection(base, surrogate, best_f, None)


# Kriging believer


class _BelieverSelection(BatchSelection):
    def __init__(self, base: _Base, surrogate: Surrogate, best_f: float) -> None:
        super().__init__(surrogate, best_f)
        self.base, self.current_f, self.m_hat = base, float(best_f), base.m_hat

    def scores(self, x: Tensor) -> Tensor:
        return self.base.scores(x, self.model, self.current_f, self.m_hat)

    def add(self, x: Tensor) -> None:
        super().add(x)
        with torch.no_grad():
            believed = self.surrogate.posterior(self.chosen).mean
        self.current_f = min(self.best_f, float(believed.min()))
        if self.base.kind == "est":
            self.m_hat = self.base.estimate(self.model, self.current_f)


class KrigingBeliever(GreedyBatchAcquisition):
    """q points by the kriging believer: each chosen point is believed to take its
    posterior mean, and the acquisition is maximised again.

    The surrogate is conditioned on the chosen points (its variance shrinks near them),
    the incumbent becomes the smallest of the observed and believed values, and with EST
    the estimate of the minimum is recomputed.

    Arguments:
        acquisition: ``"ei"`` or ``"est"``.
        est_points: grid points of the EST integral.

    References:
        | Kriging Is Well-Suited to Parallelize Optimization (Ginsbourger, Le Riche and
          Carraro, 2010)
    """

    def __init__(self, acquisition: str = "ei", est_points: int = 512) -> None:
        if acquisition not in ("est", "ei"):
            raise ValueError(
                f"KrigingBeliever: acquisition {acquisition!r} is unknown; use 'ei' or 'est'"
            )
        self.acquisition, self.est_points = acquisition, int(est_points)

    def start(
        self, surrogate: Surrogate, best_f: float, reference: Tensor | None = None
    ) -> BatchSelection:
        base = _Base(self.acquisition, surrogate, best_f, reference, self.est_points)
        return _BelieverSelection(base, surrogate, best_f)


# Batch UCB


class _UCBSelection(BatchSelection):
    def __init__(self, owner: BatchUCB, surrogate: Surrogate, best_f: float) -> None:
        super().__init__(surrogate, best_f)
        self.owner = owner
        x_obs, _ = _train_data(surrogate)
        self.observed = 0 if x_obs is None else len(x_obs)

    def beta(self, x: Tensor) -> float:
        if self.owner.beta is not None:
            return self.owner.beta
        if not _is_permutations(x.round()):
            raise ValueError(
                "BatchUCB: the default β schedule needs the size of the space and reads it "
                "from permutation inputs; give beta=... for other spaces"
            )
        t = max(1, self.observed + self.size)
        log_size = math.lgamma(x.shape[1] + 1)
        return 2 * (log_size + math.log(t**2 * math.pi**2 / (6 * self.owner.delta)))

    def scores(self, x: Tensor) -> Tensor:
        post = self.model.posterior(x)
        return -post.mean + math.sqrt(self.beta(x)) * post.stddev


class BatchUCB(GreedyBatchAcquisition):
    """BUCB: the confidence bound with the variance updated by the points already chosen.

    Scores ``−μ(x) + √β_t σ_{k−1}(x)``: the mean given the observations, the standard
    deviation also given the chosen points. By default ``β_t = 2 log(|X| t² π² / (6 δ))``
    (the finite-space schedule) with ``|X| = n!`` and ``t`` the observations plus chosen
    points.

    Arguments:
        beta: a fixed β, or ``None`` for the schedule.
        delta: the schedule's failure probability δ ∈ (0, 1).

    References:
        | Parallelizing Exploration-Exploitation Tradeoffs in Gaussian Process Bandit
          Optimization (Desautels, Krause and Burdick, 2014)
        | https://jmlr.org/papers/v15/desautels14a.html
    """

    def __init__(self, beta: float | None = None, delta: float = 0.05) -> None:
        if beta is not None and beta < 0:
            raise ValueError(f"BatchUCB: beta = {beta} must be ≥ 0")
        if not 0 < delta < 1:
            raise ValueError(f"BatchUCB: delta = {delta} must be in (0, 1)")
        self.beta = None if beta is None else float(beta)
        self.delta = float(delta)

    def start(
        self, surrogate: Surrogate, best_f: float, reference: Tensor | None = None
    ) -> BatchSelection:
        return _UCBSelection(self, surrogate, best_f)


# Random search


class _RandomSelection(BatchSelection):
    def __init__(self, surrogate: Surrogate, best_f: float, generator: torch.Generator) -> None:
        super().__init__(surrogate, best_f)
        self.generator = generator

    def scores(self, x: Tensor) -> Tensor:
        return torch.rand(len(x), generator=self.generator, dtype=torch.float64)

    def add(self, x: Tensor) -> None:
        x = torch.as_tensor(x).double().reshape(-1, x.shape[-1])
        self.chosen = x if self.chosen is None else torch.cat([self.chosen, x])


class RandomSearch(GreedyBatchAcquisition):
    """Random search as an acquisition: uniform random scores, so random batches.

    The permutation optimiser draws unevaluated permutations uniformly instead of climbing
    random scores. Scores are reproducible: the generator is seeded by ``seed`` and the
    number of observations.

    Arguments:
        seed: the seed of the random scores.
    """

    #: Tells optimisers to sample points uniformly rather than maximise scores.
    random_search = True

    def __init__(self, seed: int = 0) -> None:
        self.seed = int(seed)

    def start(
        self, surrogate: Surrogate, best_f: float, reference: Tensor | None = None
    ) -> BatchSelection:
        x_obs, _ = _train_data(surrogate)
        observed = 0 if x_obs is None else len(x_obs)
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + observed)
        return _RandomSelection(surrogate, best_f, generator)
