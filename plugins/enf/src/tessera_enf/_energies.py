"""The energies of the DW4 and LJ13 particle systems (Köhler et al., 2020).

Both take positions (B, N, D) and return reduced energies (B,) (temperature 1), are
invariant to rotations, reflections, translations and permutations, and work with any
floating dtype.

References:
    | Equivariant Flows: exact likelihood generative learning for symmetric densities
    | (Köhler, Klein and Noé, 2020), §6, https://arxiv.org/abs/2006.02425
    | E(n) Equivariant Normalizing Flows (Satorras et al., 2021), §5.1
    | https://arxiv.org/abs/2105.09016
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["DoubleWell", "LennardJones", "pair_distances"]


def pair_distances(x: Tensor) -> Tensor:
    """Distances ``‖x_i − x_j‖`` of the pairs ``i < j`` of ``x`` (B, N, D), (B, N(N−1)/2)."""
    if x.ndim != 3:
        raise ValueError(f"x must have shape (batch, particles, dim), got {tuple(x.shape)}")
    i, j = torch.triu_indices(x.shape[1], x.shape[1], offset=1, device=x.device)
    return (x[:, i] - x[:, j]).square().sum(-1).sqrt()


class DoubleWell:
    r"""The pairwise double-well energy of DW4:

    .. math::

        E(x) = \tfrac{1}{2} \sum_{i \ne j} a (d_{ij} - d_0)^4 + b (d_{ij} - d_0)^2 + c.

    Arguments:
        num_particles, dim: the system's size (DW4: 4 particles in 2D).
        a, b, c, d0: the coefficients (DW4: 0.9, −4, 0, 4).

    Example:
        >>> energy = DoubleWell()
        >>> x = torch.tensor([[[0.0, 0.0], [4.0, 0.0], [0.0, 4.0], [4.0, 4.0]]])
        >>> round(float(energy(x)), 4)  # four sides at d0, two diagonals at 4√2
        -8.3966
    """

    def __init__(
        self,
        num_particles: int = 4,
        dim: int = 2,
        a: float = 0.9,
        b: float = -4.0,
        c: float = 0.0,
        d0: float = 4.0,
    ) -> None:
        self.num_particles, self.dim = num_particles, dim
        self.a, self.b, self.c, self.d0 = a, b, c, d0

    def __call__(self, x: Tensor) -> Tensor:
        """Energies (B,) of positions (B, N, D)."""
        _check(self, x)
        s = pair_distances(x) - self.d0
        return (self.a * s**4 + self.b * s**2 + self.c).sum(-1)


class LennardJones:
    r"""The Lennard-Jones cluster energy of LJ13 with a harmonic confinement:

    .. math::

        E(x) = \varepsilon \sum_{i \ne j} \Big[\Big(\frac{r_m}{d_{ij}}\Big)^{12}
            - 2 \Big(\frac{r_m}{d_{ij}}\Big)^{6}\Big]
            + \frac{k}{2} \sum_i \|x_i - \bar x\|^2.

    The sum runs over ordered pairs, so each pair counts twice: this is the energy of the
    reference implementation that generated the LJ13 data of Köhler et al. and of the E-NF
    paper (a printed ``ε/2 Σ_{ij}`` would halve it, i.e. double the temperature and melt the
    cluster). With ``ε = r_m = k = 1`` the samples are a condensed 13-particle cluster.

    Arguments:
        num_particles, dim: the system's size (LJ13: 13 particles in 3D).
        epsilon, r_m: well depth and distance of the minimum (1 and 1).
        oscillator: ``k``, the strength of the confinement (1).

    Example:
        >>> energy = LennardJones(num_particles=2, dim=3, oscillator=0.0)
        >>> float(energy(torch.tensor([[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]])))
        -2.0
    """

    def __init__(
        self,
        num_particles: int = 13,
        dim: int = 3,
        epsilon: float = 1.0,
        r_m: float = 1.0,
        oscillator: float = 1.0,
    ) -> None:
        self.num_particles, self.dim = num_particles, dim
        self.epsilon, self.r_m, self.oscillator = epsilon, r_m, oscillator

    def __call__(self, x: Tensor) -> Tensor:
        """Energies (B,) of positions (B, N, D)."""
        _check(self, x)
        r6 = (self.r_m / pair_distances(x)) ** 6
        energy = 2 * self.epsilon * (r6**2 - 2 * r6).sum(-1)  # ordered pairs
        if self.oscillator:
            centred = x - x.mean(1, keepdim=True)
            energy = energy + 0.5 * self.oscillator * centred.square().sum(dim=(1, 2))
        return energy


def _check(energy: DoubleWell | LennardJones, x: Tensor) -> None:
    expected = (energy.num_particles, energy.dim)
    if x.ndim != 3 or tuple(x.shape[1:]) != expected:
        raise ValueError(
            f"{type(energy).__name__}: positions must have shape (batch, {expected[0]}, "
            f"{expected[1]}), got {tuple(x.shape)}"
        )
