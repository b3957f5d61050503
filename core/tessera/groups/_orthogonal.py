"""The orthogonal groups O(n) and SO(n), with exact Haar samplers."""

from __future__ import annotations

from collections.abc import Hashable

import torch
from torch import Tensor

from tessera.groups._validation import check_size
from tessera.kinds._group import Group, orthogonality_residual

__all__ = ["SO", "O", "haar_orthogonal", "so_basis"]


def so_basis(n: int, dtype: torch.dtype = torch.float64) -> Tensor:
    """The basis ``E_ij − E_ji`` (``i < j``, row-major order) of so(n), (n(n−1)/2, n, n).

    Example:
        >>> so_basis(2).tolist()
        [[[0.0, 1.0], [-1.0, 0.0]]]
    """
    i, j = torch.triu_indices(n, n, offset=1)
    basis = torch.zeros(len(i), n, n, dtype=dtype)
    k = torch.arange(len(i))
    basis[k, i, j] = 1
    basis[k, j, i] = -1
    return basis


def haar_orthogonal(
    n: int,
    d: int,
    generator: torch.Generator | None = None,
    *,
    special: bool = False,
    dtype: torch.dtype = torch.float64,
) -> Tensor:
    """Haar-distributed orthogonal matrices, (n, d, d).

    Takes ``Q R`` of a Gaussian matrix and scales the columns of ``Q`` by the signs of
    ``diag(R)``, which makes the factorisation unique and ``Q`` Haar distributed on O(d).
    With ``special``, the first column of each ``Q`` with ``det Q = −1`` is negated, which
    maps Haar measure on O(d) to Haar measure on SO(d).

    References:
        | How to generate random matrices from the classical compact groups (Mezzadri, 2007)
        | https://arxiv.org/abs/math-ph/0609050
    """
    z = torch.randn(n, d, d, generator=generator, dtype=torch.float64)
    q, r = torch.linalg.qr(z)
    signs = torch.where(r.diagonal(dim1=-2, dim2=-1) < 0, -1.0, 1.0).to(q.dtype)
    q = q * signs[:, None, :]
    if special:
        flip = torch.ones(n, d, dtype=q.dtype)
        flip[:, 0] = torch.linalg.det(q).sign()
        q = q * flip[:, None, :]
    return q.to(dtype)


class _Orthogonal(Group):
    """Shared part of O(n) and SO(n)."""

    special: bool = False

    def __init__(self, n: int) -> None:
        self.n = check_size(f"{type(self).__name__}(n)", n)

    @property
    def d(self) -> int:
        return self.n

    @property
    def name(self) -> str:
        return f"{type(self).__name__}({self.n})"

    @property
    def is_orthogonal(self) -> bool:  # type: ignore[override]
        return True

    @property
    def is_compact(self) -> bool:
        return True

    def _build_lie_algebra(self) -> Tensor | None:
        return so_basis(self.n, self.dtype) if self.n > 1 else None

    def _samples(self, n: int, generator: torch.Generator | None) -> Tensor:
        return haar_orthogonal(n, self.n, generator, special=self.special, dtype=self.dtype)

    def algebra_residual(self, a: Tensor) -> Tensor:
        """The distance to so(n): ``‖(a + aᵀ)/2‖_F`` together with any imaginary part."""
        a = self._check_matrices(a)
        symmetric = torch.linalg.matrix_norm((a.real + a.real.mT) / 2)
        if a.is_complex():
            symmetric = torch.hypot(symmetric, torch.linalg.matrix_norm(a.imag))
        return symmetric

    def _structure(self) -> Hashable:
        return (type(self), self.n)


class O(_Orthogonal):  # noqa: E742 - the standard name of the group
    """The orthogonal group O(n) acting on ``R^n``.

    Lie algebra: the ``n(n−1)/2`` matrices ``E_ij − E_ji`` of so(n). Discrete generator: the
    reflection ``diag(−1, 1, …, 1)``. Samples are exactly Haar distributed.

    Arguments:
        n: the dimension, ≥ 1.

    Example:
        >>> from tessera.groups import O
        >>> G = O(3)
        >>> tuple(G.lie_algebra.shape), tuple(G.discrete_generators.shape)
        ((3, 3, 3), (1, 3, 3))
    """

    def _build_discrete_generators(self) -> Tensor | None:
        reflection = torch.eye(self.n, dtype=self.dtype)
        reflection[0, 0] = -1
        return reflection[None]

    def relation_residual(self, g: Tensor) -> Tensor:
        """``‖gᵀg − I‖_F``, (...,)."""
        g = self._check_matrices(g)
        return orthogonality_residual(g) + _imaginary(g)


class SO(_Orthogonal):
    """The special orthogonal group SO(n) acting on ``R^n``.

    Lie algebra: the ``n(n−1)/2`` matrices ``E_ij − E_ji``; no discrete generators (SO(n) is
    connected). Samples are exactly Haar distributed.

    Arguments:
        n: the dimension, ≥ 1.

    Example:
        >>> from tessera.groups import SO
        >>> g = SO(3).sample(torch.Generator().manual_seed(0))
        >>> round(float(torch.linalg.det(g)), 6)
        1.0
    """

    special = True

    def relation_residual(self, g: Tensor) -> Tensor:
        """The larger of ``‖gᵀg − I‖_F`` and ``|det g − 1|``, (...,)."""
        g = self._check_matrices(g)
        determinant = (torch.linalg.det(g) - 1).abs().to(torch.float64)
        return torch.maximum(orthogonality_residual(g), determinant) + _imaginary(g)


def _imaginary(g: Tensor) -> Tensor:
    """``‖Im g‖_F`` (zero for real input): the real groups have real elements only."""
    if not g.is_complex():
        return torch.zeros(g.shape[:-2], dtype=torch.float64)
    return torch.linalg.matrix_norm(g.imag)
