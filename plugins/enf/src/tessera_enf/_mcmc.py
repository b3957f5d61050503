"""Random-walk Metropolis with many parallel walkers, for Boltzmann densities ``e^{-E(x)}``."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = ["MCMCResult", "Metropolis"]

_ADAPT_EVERY = 50


@dataclass
class MCMCResult:
    """What :meth:`Metropolis.sample` returns.

    Attributes:
        samples: (S, *shape), in the order walkers produced them, then shuffled.
        energies: their energies, (S,).
        acceptance: acceptance rate after burn-in.
        step_size: the proposal std used after burn-in.
    """

    samples: Tensor
    energies: Tensor
    acceptance: float
    step_size: float


class Metropolis:
    r"""Random-walk Metropolis sampling of ``p(x) ∝ exp(−E(x))``.

    ``walkers`` chains start from ``init_scale · N(0, I)`` and move by Gaussian proposals
    ``x' = x + σ ε``, accepted with probability ``min(1, e^{E(x) − E(x')})``. During the
    ``burn_in`` steps (whose states are discarded) ``σ`` is tuned every 50 steps towards
    ``target_acceptance``; afterwards it is fixed, so the kept chain is a valid Metropolis
    chain. Every ``thin``-th state of every walker is kept.

    Arguments:
        walkers, burn_in, thin, step_size, adapt, target_acceptance, init_scale: see
            :class:`tessera_enf.configs.MetropolisConfig`.

    References:
        | Equation of State Calculations by Fast Computing Machines (Metropolis et al., 1953)

    Example:
        >>> sampler = Metropolis(walkers=200, burn_in=200, thin=5, step_size=1.0)
        >>> result = sampler.sample(lambda x: 0.5 * x.square().sum(dim=(1, 2)), (1, 1), 2000,
        ...                         torch.Generator().manual_seed(0))
        >>> abs(float(result.samples.var()) - 1.0) < 0.15
        True
    """

    def __init__(
        self,
        walkers: int = 1000,
        burn_in: int = 2000,
        thin: int = 10,
        step_size: float = 0.1,
        adapt: bool = True,
        target_acceptance: float = 0.4,
        init_scale: float = 1.0,
    ) -> None:
        if walkers < 1 or burn_in < 0 or thin < 1 or step_size <= 0 or init_scale <= 0:
            raise ValueError(
                f"Metropolis: need walkers ≥ 1, burn_in ≥ 0, thin ≥ 1 and positive step_size "
                f"and init_scale; got {walkers}, {burn_in}, {thin}, {step_size}, {init_scale}"
            )
        if not 0 < target_acceptance < 1:
            raise ValueError(
                f"Metropolis: target_acceptance must lie in (0, 1), got {target_acceptance}"
            )
        self.walkers, self.burn_in, self.thin = walkers, burn_in, thin
        self.step_size, self.adapt = step_size, adapt
        self.target_acceptance, self.init_scale = target_acceptance, init_scale

    def sample(
        self,
        energy: Callable[[Tensor], Tensor],
        shape: tuple[int, ...],
        num_samples: int,
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float64,
    ) -> MCMCResult:
        """Draw ``num_samples`` states of shape ``shape`` from ``exp(−energy(x))``.

        Arguments:
            energy: maps (walkers, *shape) to (walkers,); non-finite values are rejected.
            shape: the shape of one state, e.g. (particles, dim).
            num_samples: how many states to keep in all.
            generator: the random source.
            dtype: the dtype of the chains.
        """
        if num_samples < 1:
            raise ValueError(f"Metropolis: num_samples must be ≥ 1, got {num_samples}")
        w = self.walkers
        x = self.init_scale * torch.randn((w, *shape), generator=generator, dtype=dtype)
        e = _energy(energy, x)
        sigma = self.step_size

        # Burn-in, tuning σ
        accepted = 0.0
        for step in range(1, self.burn_in + 1):
            x, e, rate = self._step(energy, x, e, sigma, generator)
            accepted += rate
            if self.adapt and step % _ADAPT_EVERY == 0:
                sigma *= math.exp(accepted / _ADAPT_EVERY - self.target_acceptance)
                accepted = 0.0

        # Production
        rounds = math.ceil(num_samples / w)
        kept, kept_e, rate_sum = [], [], 0.0
        for _ in range(rounds):
            for _ in range(self.thin):
                x, e, rate = self._step(energy, x, e, sigma, generator)
                rate_sum += rate
            kept.append(x.clone())
            kept_e.append(e.clone())
        samples = torch.stack(kept).flatten(0, 1)[:num_samples]
        energies = torch.stack(kept_e).flatten(0, 1)[:num_samples]
        order = torch.randperm(len(samples), generator=generator)
        return MCMCResult(samples[order], energies[order], rate_sum / (rounds * self.thin), sigma)

    def _step(
        self,
        energy: Callable[[Tensor], Tensor],
        x: Tensor,
        e: Tensor,
        sigma: float,
        generator: torch.Generator | None,
    ) -> tuple[Tensor, Tensor, float]:
        proposal = x + sigma * torch.randn(x.shape, generator=generator, dtype=x.dtype)
        e_new = _energy(energy, proposal)
        log_u = torch.rand(len(x), generator=generator, dtype=x.dtype).log()
        accept = log_u < (e - e_new)
        shape = (-1,) + (1,) * (x.ndim - 1)
        x = torch.where(accept.reshape(shape), proposal, x)
        e = torch.where(accept, e_new, e)
        return x, e, float(accept.to(x.dtype).mean())


def _energy(energy: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    e = energy(x)
    if e.shape != (len(x),):
        raise ValueError(
            f"Metropolis: the energy must map {len(x)} states to shape ({len(x)},), "
            f"got {tuple(e.shape)}"
        )
    return torch.where(torch.isfinite(e), e, torch.full_like(e, math.inf))
