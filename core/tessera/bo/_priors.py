"""Log-densities of the priors placed on kernel and likelihood hyperparameters.

Each function takes the hyperparameter's value (not its logarithm), as Gaussian-process
libraries conventionally do for MAP fits, and returns the log-density summed over entries.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = [
    "gamma_log_prob",
    "half_cauchy_log_prob",
    "inverse_gamma_log_prob",
    "log_normal_log_prob",
]


def gamma_log_prob(x: Tensor, concentration: float, rate: float) -> Tensor:
    """log Gamma(x; k, θ⁻¹) summed over entries of ``x`` (positive).

    Example:
        >>> float(gamma_log_prob(torch.tensor(1.0), 1.0, 1.0))
        -1.0
    """
    k, r = concentration, rate
    log_norm = k * math.log(r) - math.lgamma(k)
    return (log_norm + (k - 1) * x.log() - r * x).sum()


def inverse_gamma_log_prob(x: Tensor, concentration: float, rate: float) -> Tensor:
    """log InverseGamma(x; k, r) summed over entries of ``x`` (positive)."""
    k, r = concentration, rate
    log_norm = k * math.log(r) - math.lgamma(k)
    return (log_norm - (k + 1) * x.log() - r / x).sum()


def log_normal_log_prob(x: Tensor, loc: float, scale: float) -> Tensor:
    """log LogNormal(x; μ, σ) summed over entries of ``x`` (positive)."""
    log_x = x.log()
    z = (log_x - loc) / scale
    return (-0.5 * z**2 - log_x - math.log(scale) - 0.5 * math.log(2 * math.pi)).sum()


def half_cauchy_log_prob(x: Tensor, scale: float) -> Tensor:
    """log HalfCauchy(x; s) summed over entries of ``x`` (non-negative).

    Its density is finite at zero, so unlike a horseshoe it has a MAP estimate; it shrinks
    towards zero with heavy tails.
    """
    return (math.log(2 / (math.pi * scale)) - torch.log1p((x / scale) ** 2)).sum()
