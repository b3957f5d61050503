"""Expected improvement, its logarithm, and the upper confidence bound, for minimisation."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from tessera.kinds import Acquisition, Surrogate

__all__ = [
    "ExpectedImprovement",
    "LogExpectedImprovement",
    "UpperConfidenceBound",
    "expected_improvement",
    "log_expected_improvement",
]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_SQRT_HALF_PI = math.sqrt(math.pi / 2)
#: Below this z, log h(z) uses its asymptotic series; above, the erfcx form is exact enough.
_ASYMPTOTIC_Z = -1e3


def _normal_cdf(z: Tensor) -> Tensor:
    return 0.5 * torch.special.erfc(-z / math.sqrt(2))


def _normal_pdf(z: Tensor) -> Tensor:
    return torch.exp(-0.5 * z**2 - _LOG_SQRT_2PI)


def expected_improvement(mean: Tensor, std: Tensor, best_f: float | Tensor) -> Tensor:
    """E[max(best_f − f, 0)] for f ~ N(mean, std²), elementwise.

    Equal to ``σ (z Φ(z) + φ(z))`` with ``z = (best_f − μ)/σ``; where ``σ = 0`` it is
    ``max(best_f − μ, 0)``.

    Example:
        >>> import torch
        >>> ei = expected_improvement(torch.tensor([0.0]), torch.tensor([1.0]), 0.0)
        >>> round(float(ei), 6)  # φ(0)
        0.398942
    """
    std = std.clamp_min(0)
    safe = torch.where(std > 0, std, torch.ones_like(std))
    z = (best_f - mean) / safe
    ei = safe * (z * _normal_cdf(z) + _normal_pdf(z))
    return torch.where(std > 0, ei, (best_f - mean).clamp_min(0))


def _log_h(z: Tensor) -> Tensor:
    """log(φ(z) + z Φ(z)), accurate for every finite z."""
    # Direct form where h(z) ≥ h(−1) ≈ 0.083
    z_hi = z.clamp_min(-1.0)
    direct = torch.log(_normal_pdf(z_hi) + z_hi * _normal_cdf(z_hi))

    # h(z) = φ(z) (1 − w), w = |z| Φ(z) / φ(z) = |z| √(π/2) erfcx(|z|/√2), for z < −1
    z_mid = z.clamp(_ASYMPTOTIC_Z, -1.0)
    w = -z_mid * _SQRT_HALF_PI * torch.special.erfcx(-z_mid / math.sqrt(2))
    middle = -0.5 * z_mid**2 - _LOG_SQRT_2PI + torch.log1p(-w)

    # 1 − w = z⁻² − 3 z⁻⁴ + 15 z⁻⁶ − …, for z < −1000
    z_lo = z.clamp_max(_ASYMPTOTIC_Z)
    inv2 = z_lo.pow(-2)
    tail = -0.5 * z_lo**2 - _LOG_SQRT_2PI + inv2.log() + torch.log1p(-3 * inv2 + 15 * inv2**2)

    return torch.where(z > -1.0, direct, torch.where(z > _ASYMPTOTIC_Z, middle, tail))


def log_expected_improvement(mean: Tensor, std: Tensor, best_f: float | Tensor) -> Tensor:
    """log E[max(best_f − f, 0)] for f ~ N(mean, std²), finite wherever ``std > 0``.

    Computed as ``log σ + log h(z)`` with ``h(z) = φ(z) + z Φ(z)``, using the scaled
    complementary error function for z < −1 and an asymptotic series for z < −1000, so it
    stays accurate (and differentiable) where EI itself underflows to zero. Where
    ``σ = 0`` the result is ``log max(best_f − μ, 0)`` (``−inf`` without improvement).

    References:
        | Unexpected Improvements to Expected Improvement for Bayesian Optimization
          (Ament et al., 2023)
        | https://arxiv.org/abs/2310.20708

    Example:
        >>> import torch
        >>> log_ei = log_expected_improvement(torch.tensor([40.0]), torch.tensor([1.0]), 0.0)
        >>> bool(torch.isfinite(log_ei)), float(log_ei) < -800
        (True, True)
    """
    std = std.clamp_min(0)
    safe = torch.where(std > 0, std, torch.ones_like(std))
    z = (best_f - mean) / safe
    value = safe.log() + _log_h(z)
    improvement = torch.where(std > 0, torch.ones_like(z), (best_f - mean).clamp_min(0))
    return torch.where(std > 0, value, improvement.log())


class ExpectedImprovement(Acquisition):
    """Expected improvement below the best value observed, ``best_f − xi``.

    Arguments:
        xi: the improvement margin required, in units of the objective.

    References:
        | Efficient Global Optimization of Expensive Black-Box Functions (Jones et al., 1998)

    Example:
        >>> import torch
        >>> from tessera.bo import ExactGP, ExpectedImprovement, RBFKernel
        >>> x = torch.linspace(0, 1, 6, dtype=torch.float64)[:, None]
        >>> gp = ExactGP(RBFKernel(dims=1), restarts=1).fit(x, (x[:, 0] - 0.3) ** 2)
        >>> ExpectedImprovement()(x, gp, best_f=0.0).shape
        torch.Size([6])
    """

    def __init__(self, xi: float = 0.0) -> None:
        if xi < 0:
            raise ValueError(f"ExpectedImprovement: xi = {xi} must be ≥ 0")
        self.xi = float(xi)

    def __call__(self, x: Tensor, surrogate: Surrogate, best_f: float) -> Tensor:
        post = surrogate.posterior(x)
        return expected_improvement(post.mean, post.stddev, best_f - self.xi)


class LogExpectedImprovement(ExpectedImprovement):
    """The logarithm of expected improvement; ranks like EI, without underflow.

    Arguments:
        xi: the improvement margin required, in units of the objective.

    References:
        | Unexpected Improvements to Expected Improvement for Bayesian Optimization
          (Ament et al., 2023)
        | https://arxiv.org/abs/2310.20708
    """

    def __call__(self, x: Tensor, surrogate: Surrogate, best_f: float) -> Tensor:
        post = surrogate.posterior(x)
        return log_expected_improvement(post.mean, post.stddev, best_f - self.xi)


class UpperConfidenceBound(Acquisition):
    """The optimistic score ``−(μ − √β σ)``: large where the lower bound of f is small.

    Named after the maximisation form; Tessera minimises, so it scores the negated lower
    confidence bound.

    Arguments:
        beta: the exploration weight β ≥ 0.

    References:
        | Gaussian Process Optimization in the Bandit Setting (Srinivas et al., 2010)
        | https://arxiv.org/abs/0912.3995
    """

    def __init__(self, beta: float = 2.0) -> None:
        if beta < 0:
            raise ValueError(f"UpperConfidenceBound: beta = {beta} must be ≥ 0")
        self.beta = float(beta)

    def __call__(self, x: Tensor, surrogate: Surrogate, best_f: float) -> Tensor:
        post = surrogate.posterior(x)
        return -post.mean + math.sqrt(self.beta) * post.stddev
