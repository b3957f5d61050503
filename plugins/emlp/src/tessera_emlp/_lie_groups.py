"""Continuous matrix groups: SU(n), U(n), Sp(n), SL(n), GL(n) and Scaling(n).

Each group is given by a basis of its Lie algebra (and, for GL(n), a reflection reaching the
second component); its ``relation_residual`` measures the defining equations directly.

References:
    | A Practical Method for Constructing Equivariant Multilayer Perceptrons for
      Arbitrary Matrix Groups (Finzi et al., 2021)
    | https://arxiv.org/abs/2104.09459
"""

from __future__ import annotations

import math
from collections.abc import Hashable

import torch
from torch import Tensor

from tessera.kinds import Group
from tessera.kinds._group import orthogonality_residual
from tessera_emlp._checks import positive_int

__all__ = ["GL", "SL", "SU", "Scaling", "Sp", "U", "expm_samples", "haar_unitary"]


def haar_unitary(n: int, d: int, generator: torch.Generator | None = None) -> Tensor:
    """Haar-distributed unitary matrices, (n, d, d), complex128.

    QR of a complex Gaussian matrix with the phases of ``diag(R)`` moved into ``Q``.

    References:
        | How to generate random matrices from the classical compact groups (Mezzadri, 2007)
        | https://arxiv.org/abs/math-ph/0609050
    """
    re = torch.randn(n, d, d, generator=generator, dtype=torch.float64)
    im = torch.randn(n, d, d, generator=generator, dtype=torch.float64)
    q, r = torch.linalg.qr(torch.complex(re, im) / math.sqrt(2))
    phases = r.diagonal(dim1=-2, dim2=-1)
    phases = phases / phases.abs().clamp_min(1e-300)
    return q * phases[:, None, :]


def expm_samples(
    group: Group, n: int, generator: torch.Generator | None, scale: float = 1.0
) -> Tensor:
    """``expm(Σ zᵢ Aᵢ)`` with ``z ~ N(0, scale² / k)`` over the ``k`` algebra generators,
    times a random word of the discrete generators; (n, d, d) in ``group.dtype``.

    The ``1 / k`` keeps the spread of samples of a non-compact group independent of its
    dimension, so that their entries stay of order ``e^scale``.
    """
    algebra = group.lie_algebra
    k = len(algebra)
    z = torch.randn(n, k, generator=generator, dtype=torch.float64) * (scale / math.sqrt(k))
    g = torch.linalg.matrix_exp(torch.einsum("nk,kij->nij", z.to(group.dtype), algebra))
    if len(group.discrete_generators):
        g = group._random_dense_words(n, generator) @ g
    return g


def _imaginary(g: Tensor) -> Tensor:
    if not g.is_complex():
        return torch.zeros(g.shape[:-2], dtype=torch.float64)
    return torch.linalg.matrix_norm(g.imag).to(torch.float64)


def _unit(n: int, i: int, j: int, dtype: torch.dtype = torch.float64) -> Tensor:
    e = torch.zeros(n, n, dtype=dtype)
    e[i, j] = 1
    return e


class _SizedGroup(Group):
    """A group with one size parameter ``n``, acting on ``R^n`` (or ``C^n``)."""

    def __init__(self, n: int) -> None:
        self.n = positive_int(f"{type(self).__name__}(n)", n)

    @property
    def d(self) -> int:
        return self.n

    @property
    def name(self) -> str:
        return f"{type(self).__name__}({self.n})"

    def _structure(self) -> Hashable:
        return (type(self), self.n)


class U(_SizedGroup):
    """The unitary group U(n) acting on ``C^n``; complex dtype.

    Lie algebra: the ``n²`` anti-Hermitian matrices ``E_ij − E_ji``, ``i(E_ij + E_ji)``
    (``i < j``) and ``i E_kk``. Samples are exactly Haar distributed.

    Arguments:
        n: the dimension, ≥ 1.

    Example:
        >>> G = U(2)
        >>> G.dtype, len(G.lie_algebra)
        (torch.complex128, 4)
    """

    dtype = torch.complex128

    @property
    def is_compact(self) -> bool:
        return True

    def _build_lie_algebra(self) -> Tensor | None:
        n, parts = self.n, []
        for i in range(n):
            for j in range(i + 1, n):
                parts.append(_unit(n, i, j) - _unit(n, j, i))
                parts.append(1j * (_unit(n, i, j) + _unit(n, j, i)))
        parts += self._diagonal()
        return torch.stack([p.to(self.dtype) for p in parts])

    def _diagonal(self) -> list[Tensor]:
        return [1j * _unit(self.n, k, k) for k in range(self.n)]

    def _samples(self, n: int, generator: torch.Generator | None) -> Tensor:
        return haar_unitary(n, self.n, generator)

    def relation_residual(self, g: Tensor) -> Tensor:
        """``‖gᴴg − I‖_F``, (...,)."""
        return orthogonality_residual(self._check_matrices(g))


class SU(U):
    """The special unitary group SU(n) acting on ``C^n``; complex dtype.

    Lie algebra: the ``n² − 1`` traceless anti-Hermitian matrices ``E_ij − E_ji``,
    ``i(E_ij + E_ji)`` (``i < j``) and ``i(E_kk − E_{k+1,k+1})``. Samples are Haar
    distributed (a Haar unitary divided by an ``n``-th root of its determinant).

    Arguments:
        n: the dimension, ≥ 1.

    Example:
        >>> g = SU(3).sample(torch.Generator().manual_seed(0))
        >>> round(abs(complex(torch.linalg.det(g)) - 1), 10)
        0.0
    """

    def _diagonal(self) -> list[Tensor]:
        n = self.n
        return [1j * (_unit(n, k, k) - _unit(n, k + 1, k + 1)) for k in range(n - 1)]

    def _build_lie_algebra(self) -> Tensor | None:
        return super()._build_lie_algebra() if self.n > 1 else None

    def _samples(self, n: int, generator: torch.Generator | None) -> Tensor:
        g = haar_unitary(n, self.n, generator)
        root = torch.linalg.det(g) ** (1.0 / self.n)
        return g / root[:, None, None]

    def relation_residual(self, g: Tensor) -> Tensor:
        """The larger of ``‖gᴴg − I‖_F`` and ``|det g − 1|``, (...,)."""
        g = self._check_matrices(g)
        det = (torch.linalg.det(g) - 1).abs().to(torch.float64)
        return torch.maximum(orthogonality_residual(g), det)


class Sp(_SizedGroup):
    """The real symplectic group Sp(2n) acting on ``R^{2n}``: ``gᵀ J g = J``.

    ``J = [[0, I], [−I, 0]]``. Lie algebra: the ``n(2n + 1)`` Hamiltonian matrices
    ``[[B, C], [D, −Bᵀ]]`` with ``C`` and ``D`` symmetric. Non-compact; samples are
    exponentials of random algebra elements.

    Arguments:
        n: half the dimension, ≥ 1.

    Example:
        >>> G = Sp(2)
        >>> G.d, len(G.lie_algebra)
        (4, 10)
    """

    @property
    def d(self) -> int:
        return 2 * self.n

    @property
    def is_compact(self) -> bool:
        return False

    @property
    def form(self) -> Tensor:
        """The symplectic form ``J``, (2n, 2n)."""
        n = self.n
        j = torch.zeros(2 * n, 2 * n, dtype=torch.float64)
        j[:n, n:] = torch.eye(n, dtype=torch.float64)
        j[n:, :n] = -torch.eye(n, dtype=torch.float64)
        return j

    def _build_lie_algebra(self) -> Tensor | None:
        n, parts = self.n, []
        for i in range(n):
            for j in range(n):
                a = torch.zeros(2 * n, 2 * n, dtype=torch.float64)
                a[i, j], a[n + j, n + i] = 1, -1
                parts.append(a)
        for i in range(n):
            for j in range(i, n):
                for rows, cols in ((0, n), (n, 0)):
                    a = torch.zeros(2 * n, 2 * n, dtype=torch.float64)
                    a[rows + i, cols + j] = a[rows + j, cols + i] = 1
                    parts.append(a)
        return torch.stack(parts)

    def _samples(self, n: int, generator: torch.Generator | None) -> Tensor:
        return expm_samples(self, n, generator)

    def relation_residual(self, g: Tensor) -> Tensor:
        """``‖gᵀ J g − J‖_F``, (...,), plus any imaginary part."""
        g = self._check_matrices(g)
        j = self.form.to(g.dtype)
        return torch.linalg.matrix_norm(g.mT @ j @ g - j).to(torch.float64) + _imaginary(g)


class SL(_SizedGroup):
    """The special linear group SL(n) acting on ``R^n``: ``det g = 1``.

    Lie algebra: the ``n² − 1`` traceless matrices ``E_ij`` (``i ≠ j``) and
    ``E_kk − E_{k+1,k+1}``. Non-compact; samples are exponentials of random algebra elements.

    Arguments:
        n: the dimension, ≥ 1.

    Example:
        >>> len(SL(3).lie_algebra)
        8
    """

    @property
    def is_compact(self) -> bool:
        return self.n == 1

    def _build_lie_algebra(self) -> Tensor | None:
        n = self.n
        parts = [_unit(n, i, j) for i in range(n) for j in range(n) if i != j]
        parts += [_unit(n, k, k) - _unit(n, k + 1, k + 1) for k in range(n - 1)]
        return torch.stack(parts) if parts else None

    def _samples(self, n: int, generator: torch.Generator | None) -> Tensor:
        if self.n == 1:
            return torch.ones(n, 1, 1, dtype=self.dtype)
        return expm_samples(self, n, generator)

    def relation_residual(self, g: Tensor) -> Tensor:
        """``|det g − 1|``, (...,), plus any imaginary part."""
        g = self._check_matrices(g)
        return (torch.linalg.det(g) - 1).abs().to(torch.float64) + _imaginary(g)


class GL(_SizedGroup):
    """The general linear group GL(n) of invertible real ``n × n`` matrices.

    Lie algebra: all ``n²`` matrices ``E_ij``; discrete generator: the reflection
    ``diag(−1, 1, …, 1)``, which reaches the matrices of negative determinant.

    Arguments:
        n: the dimension, ≥ 1.

    Example:
        >>> G = GL(2)
        >>> len(G.lie_algebra), len(G.discrete_generators)
        (4, 1)
    """

    #: Matrices whose smallest singular value is below this fraction of the largest count as
    #: singular.
    singular_tolerance: float = 1e-12

    @property
    def is_compact(self) -> bool:
        return False

    def _build_lie_algebra(self) -> Tensor | None:
        n = self.n
        return torch.stack([_unit(n, i, j) for i in range(n) for j in range(n)])

    def _build_discrete_generators(self) -> Tensor | None:
        reflection = torch.eye(self.n, dtype=torch.float64)
        reflection[0, 0] = -1
        return reflection[None]

    def _samples(self, n: int, generator: torch.Generator | None) -> Tensor:
        return expm_samples(self, n, generator)

    def relation_residual(self, g: Tensor) -> Tensor:
        """1 where ``g`` is (numerically) singular, 0 where it is invertible, (...,), plus
        any imaginary part."""
        g = self._check_matrices(g)
        s = torch.linalg.svdvals(g)
        singular = s[..., -1] <= self.singular_tolerance * s[..., 0]
        return singular.to(torch.float64) + _imaginary(g)


class Scaling(_SizedGroup):
    """The scaling group ``{c I : c > 0}`` acting on ``R^n``.

    Lie algebra: the identity. Samples are ``e^z I`` with ``z ~ N(0, 1)``.

    Arguments:
        n: the dimension, ≥ 1.

    Example:
        >>> Scaling(3).lie_algebra[0].equal(torch.eye(3, dtype=torch.float64))
        True
    """

    @property
    def is_compact(self) -> bool:
        return False

    def _build_lie_algebra(self) -> Tensor | None:
        return torch.eye(self.n, dtype=torch.float64)[None]

    def _samples(self, n: int, generator: torch.Generator | None) -> Tensor:
        z = torch.randn(n, generator=generator, dtype=torch.float64)
        return z.exp()[:, None, None] * torch.eye(self.n, dtype=torch.float64)

    def relation_residual(self, g: Tensor) -> Tensor:
        """``‖g − c I‖_F`` with ``c = tr(g) / n``, plus ``max(0, −c)``, (...,)."""
        g = self._check_matrices(g)
        c = g.diagonal(dim1=-2, dim2=-1).real.mean(-1)
        eye = torch.eye(self.n, dtype=g.dtype)
        off = torch.linalg.matrix_norm(g - c[..., None, None].to(g.dtype) * eye)
        return off.to(torch.float64) + (-c).clamp_min(0).to(torch.float64)
