"""The Metropolis sampler against distributions with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from tessera_enf import Metropolis


def test_gaussian_moments():
    """Samples of exp(−(x − μ)² / 2σ²) have mean μ and variance σ² in every coordinate."""
    mu, sigma = 1.0, 0.7
    sampler = Metropolis(walkers=400, burn_in=300, thin=5, step_size=0.3)
    result = sampler.sample(
        lambda x: ((x - mu) ** 2).sum(dim=(1, 2)) / (2 * sigma**2),
        (2, 3),
        8000,
        torch.Generator().manual_seed(0),
    )
    x = result.samples.reshape(-1, 6)
    assert result.samples.shape == (8000, 2, 3)
    assert torch.allclose(x.mean(0), torch.full((6,), mu, dtype=x.dtype), atol=0.04)
    assert torch.allclose(x.var(0), torch.full((6,), sigma**2, dtype=x.dtype), rtol=0.08)
    assert 0.25 < result.acceptance < 0.55  # the step size was tuned towards 0.4


def test_double_well_matches_the_integrated_density():
    """On E(x) = 3(x² − 1)² the empirical CDF is within 0.02 of the exact CDF, and the
    two wells hold half the mass each."""
    energy = lambda x: 3 * (x.squeeze(-1).squeeze(-1) ** 2 - 1) ** 2  # noqa: E731
    sampler = Metropolis(walkers=500, burn_in=500, thin=10, step_size=0.5)
    result = sampler.sample(energy, (1, 1), 10000, torch.Generator().manual_seed(1))
    x = result.samples.flatten().sort().values

    grid = torch.linspace(-3, 3, 20001, dtype=torch.float64)
    density = torch.exp(-3 * (grid**2 - 1) ** 2)
    cdf = torch.cumsum(density, 0)
    cdf = cdf / cdf[-1]
    exact = torch.from_numpy(np.interp(x.numpy(), grid.numpy(), cdf.numpy()))
    empirical = torch.arange(1, len(x) + 1, dtype=torch.float64) / len(x)
    assert float((exact - empirical).abs().max()) < 0.02
    assert float((x > 0).double().mean()) == pytest.approx(0.5, abs=0.03)


def test_burn_in_only_adapts_and_counts():
    """Without adaptation the step size is kept; the sample count is exact."""
    sampler = Metropolis(walkers=7, burn_in=10, thin=3, step_size=0.2, adapt=False)
    result = sampler.sample(lambda x: x.square().sum(dim=(1, 2)), (2, 2), 20)
    assert result.samples.shape == (20, 2, 2) and result.energies.shape == (20,)
    assert result.step_size == 0.2
    assert torch.allclose(result.energies, result.samples.square().sum(dim=(1, 2)))


def test_non_finite_energies_are_rejected():
    """States of infinite or NaN energy are never accepted."""
    energy = lambda x: torch.where(x[:, 0, 0] > 0, math.inf, 0.0)  # noqa: E731
    result = Metropolis(walkers=20, burn_in=50, thin=2, step_size=1.0, init_scale=0.01).sample(
        lambda x: energy(-x.abs()) + energy(x), (1, 1), 100, torch.Generator().manual_seed(0)
    )
    assert (result.samples <= 0).all()


def test_bad_arguments():
    """Invalid settings fail with a message naming them."""
    with pytest.raises(ValueError, match="walkers"):
        Metropolis(walkers=0)
    with pytest.raises(ValueError, match="target_acceptance"):
        Metropolis(target_acceptance=1.5)
    with pytest.raises(ValueError, match="to shape"):
        Metropolis(walkers=3, burn_in=1).sample(lambda x: x.sum(), (1, 1), 3)
