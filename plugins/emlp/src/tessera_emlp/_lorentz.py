"""Lorentz groups: O(1,3), SO(1,3), SO⁺(1,3) and the 1+1 dimensional O(1,1), SO⁺(1,1).

The metric is ``η = diag(1, −1, …, −1)`` (time first); a Lorentz transformation satisfies
``gᵀ η g = η``. SO restricts to ``det g = 1``; the orthochronous ``+`` component also keeps
the direction of time, ``g₀₀ ≥ 1``.

References:
    | A Practical Method for Constructing Equivariant Multilayer Perceptrons for
      Arbitrary Matrix Groups (Finzi et al., 2021)
    | https://arxiv.org/abs/2104.09459
"""

from __future__ import annotations

from collections.abc import Hashable

import torch
from torch import Tensor

from tessera.kinds import Group
from tessera_emlp._lie_groups import expm_samples

__all__ = ["O11", "O13", "SO13", "SO11p", "SO13p", "lorentz_metric"]


def lorentz_metric(space: int, dtype: torch.dtype = torch.float64) -> Tensor:
    """``η = diag(1, −1, …, −1)`` with ``space`` minus signs, (space + 1, space + 1)."""
    eta = -torch.eye(space + 1, dtype=dtype)
    eta[0, 0] = 1
    return eta


class _Lorentz(Group):
    """Shared part of the Lorentz groups on ``R^{1+space}``."""

    space: int = 3
    special: bool = False
    orthochronous: bool = False
    label: str = "O"

    #: The spread of the random rapidities and angles of samples (see ``expm_samples``).
    sample_scale: float = 1.0

    def __init__(self) -> None:
        pass

    @property
    def d(self) -> int:
        return self.space + 1

    @property
    def name(self) -> str:
        return f"{self.label}(1,{self.space})"

    @property
    def is_compact(self) -> bool:
        return False

    @property
    def metric(self) -> Tensor:
        """``η``, (d, d)."""
        return lorentz_metric(self.space)

    def _build_lie_algebra(self) -> Tensor | None:
        d, parts = self.d, []
        for i in range(1, d):  # boosts
            a = torch.zeros(d, d, dtype=torch.float64)
            a[0, i] = a[i, 0] = 1
            parts.append(a)
        for i in range(1, d):  # rotations
            for j in range(i + 1, d):
                a = torch.zeros(d, d, dtype=torch.float64)
                a[i, j], a[j, i] = 1, -1
                parts.append(a)
        return torch.stack(parts)

    def _build_discrete_generators(self) -> Tensor | None:
        parity = self.metric  # diag(1, −1, …): flips space
        time = -self.metric  # diag(−1, 1, …): flips time
        if self.orthochronous:
            return torch.zeros(0, self.d, self.d, dtype=torch.float64)
        if self.special:
            return (parity @ time)[None]  # −I: det 1, reverses time
        return torch.stack([parity, time])

    def _samples(self, n: int, generator: torch.Generator | None) -> Tensor:
        return expm_samples(self, n, generator, self.sample_scale)

    def relation_residual(self, g: Tensor) -> Tensor:
        """``‖gᵀ η g − η‖_F``, plus ``|det g − 1|`` for SO and ``max(0, 1 − g₀₀)`` for the
        orthochronous component, plus any imaginary part; (...,)."""
        g = self._check_matrices(g)
        eta = self.metric.to(g.dtype)
        residual = torch.linalg.matrix_norm(g.mT @ eta @ g - eta).to(torch.float64)
        if g.is_complex():
            residual = residual + torch.linalg.matrix_norm(g.imag)
            g = g.real
        if self.special:
            residual = residual + (torch.linalg.det(g) - 1).abs()
        if self.orthochronous:
            residual = residual + (1 - g[..., 0, 0]).clamp_min(0)
        return residual

    def _structure(self) -> Hashable:
        return (type(self),)


class O13(_Lorentz):
    """The Lorentz group O(1,3): all ``g`` with ``gᵀ η g = η``, ``η = diag(1, −1, −1, −1)``.

    Lie algebra: three boosts ``E_0i + E_i0`` and three rotations ``E_ij − E_ji``; discrete
    generators: parity ``diag(1, −1, −1, −1)`` and time reversal ``diag(−1, 1, 1, 1)``.

    Example:
        >>> G = O13()
        >>> G.d, len(G.lie_algebra), len(G.discrete_generators)
        (4, 6, 2)
    """


class SO13(_Lorentz):
    """The proper Lorentz group SO(1,3): O(1,3) with ``det g = 1``; its second component is
    reached by ``PT = −I``.

    Example:
        >>> len(SO13().discrete_generators)
        1
    """

    special = True
    label = "SO"


class SO13p(_Lorentz):
    """The restricted Lorentz group SO⁺(1,3): the identity component of O(1,3).

    Example:
        >>> SO13p().name
        'SO+(1,3)'
    """

    special = True
    orthochronous = True
    label = "SO+"


class O11(_Lorentz):
    """The 1+1 dimensional Lorentz group O(1,1) with ``η = diag(1, −1)``.

    Example:
        >>> O11().d
        2
    """

    space = 1


class SO11p(_Lorentz):
    """The restricted 1+1 dimensional Lorentz group SO⁺(1,1): boosts only.

    Example:
        >>> len(SO11p().lie_algebra)
        1
    """

    space = 1
    special = True
    orthochronous = True
    label = "SO+"
