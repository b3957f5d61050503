"""Lazy linear operators for the constraint systems: Kronecker products and sums, index
permutations and block structure, applied to blocks of column vectors without forming
matrices.

An operator of shape ``(m, n)`` maps ``x: (n, k)`` to ``(m, k)`` with :meth:`matmat` and
``y: (m, k)`` to ``(n, k)`` with the adjoint :meth:`rmatmat`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence

import torch
from torch import Tensor

__all__ = [
    "Dense",
    "Identity",
    "Kron",
    "KronSum",
    "LinearOperator",
    "Shifted",
    "SignedPermutation",
    "as_signed_permutation",
]


class LinearOperator(ABC):
    """A linear map ``R^n → R^m`` (or complex) known by its action on column blocks."""

    shape: tuple[int, int]
    dtype: torch.dtype

    @abstractmethod
    def matmat(self, x: Tensor) -> Tensor:
        """``A @ x`` for ``x: (n, k)``; returns ``(m, k)``."""

    @abstractmethod
    def rmatmat(self, y: Tensor) -> Tensor:
        """``Aᴴ @ y`` for ``y: (m, k)``; returns ``(n, k)``."""

    def to_dense(self) -> Tensor:
        """The matrix, ``(m, n)``; only for small operators."""
        return self.matmat(torch.eye(self.shape[1], dtype=self.dtype))

    def signed_permutation(self) -> tuple[Tensor, Tensor] | None:
        """``(perm, signs)`` with ``(A x)[i] = signs[i] · x[perm[i]]`` when ``A`` is a signed
        permutation matrix, else ``None``."""
        return None

    def norm_bound(self) -> float:
        """An upper bound on the spectral norm."""
        return float(torch.linalg.matrix_norm(self.to_dense(), ord=2))

    def __matmul__(self, x: Tensor) -> Tensor:
        return self.matmat(x)


def _cast(x: Tensor, dtype: torch.dtype) -> Tensor:
    target = torch.promote_types(x.dtype, dtype)
    return x if x.dtype == target else x.to(target)


class Dense(LinearOperator):
    """A stored matrix, ``(m, n)``."""

    def __init__(self, matrix: Tensor) -> None:
        self.matrix = matrix
        self.shape = (matrix.shape[0], matrix.shape[1])
        self.dtype = matrix.dtype

    def matmat(self, x: Tensor) -> Tensor:
        x = _cast(x, self.dtype)
        return self.matrix.to(x.dtype) @ x

    def rmatmat(self, y: Tensor) -> Tensor:
        y = _cast(y, self.dtype)
        return self.matrix.to(y.dtype).mH @ y

    def to_dense(self) -> Tensor:
        return self.matrix

    def signed_permutation(self) -> tuple[Tensor, Tensor] | None:
        return as_signed_permutation(self.matrix)

    def norm_bound(self) -> float:
        return float(torch.linalg.matrix_norm(self.matrix, ord=2))


def as_signed_permutation(matrix: Tensor, tol: float = 1e-12) -> tuple[Tensor, Tensor] | None:
    """``(perm, signs)`` if ``matrix`` has one entry ±1 in each row and column, else ``None``."""
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or not matrix.numel():
        return None
    if matrix.is_complex():
        if float(matrix.imag.abs().amax()) > tol:
            return None
        matrix = matrix.real
    perm = matrix.abs().argmax(dim=-1)
    signs = matrix.gather(-1, perm[:, None])[:, 0]
    rebuilt = torch.zeros_like(matrix)
    rebuilt[torch.arange(len(perm)), perm] = signs
    if float((rebuilt - matrix).abs().amax()) > tol:
        return None
    if float((signs.abs() - 1).abs().amax()) > tol or len(torch.unique(perm)) != len(perm):
        return None
    return perm, signs.sign().to(torch.float64)


class SignedPermutation(LinearOperator):
    """``(A x)[i] = signs[i] · x[perm[i]]``: a (signed) permutation kept as indices."""

    def __init__(
        self, perm: Tensor, signs: Tensor | None = None, dtype: torch.dtype = torch.float64
    ) -> None:
        self.perm = perm.long()
        self.signs = signs
        self.inverse = torch.empty_like(self.perm)
        self.inverse[self.perm] = torch.arange(len(self.perm))
        self.shape = (len(perm), len(perm))
        self.dtype = dtype

    def matmat(self, x: Tensor) -> Tensor:
        out = x[self.perm]
        return out if self.signs is None else out * self.signs.to(x.dtype)[:, None]

    def rmatmat(self, y: Tensor) -> Tensor:
        if self.signs is not None:
            y = y * self.signs.to(y.dtype)[:, None]
        return y[self.inverse]

    def signed_permutation(self) -> tuple[Tensor, Tensor] | None:
        signs = torch.ones(len(self.perm), dtype=torch.float64)
        return self.perm, signs if self.signs is None else self.signs.to(torch.float64)

    def norm_bound(self) -> float:
        return 1.0


class Identity(LinearOperator):
    """The identity on ``R^n``."""

    def __init__(self, n: int, dtype: torch.dtype = torch.float64) -> None:
        self.shape = (n, n)
        self.dtype = dtype

    def matmat(self, x: Tensor) -> Tensor:
        return x

    def rmatmat(self, y: Tensor) -> Tensor:
        return y

    def signed_permutation(self) -> tuple[Tensor, Tensor] | None:
        n = self.shape[0]
        return torch.arange(n), torch.ones(n, dtype=torch.float64)

    def norm_bound(self) -> float:
        return 1.0


def _apply_axis(op: LinearOperator, x: Tensor, axis: int, adjoint: bool = False) -> Tensor:
    """Apply ``op`` along ``axis`` of ``x: (d_1, …, d_p, k)``."""
    if isinstance(op, SignedPermutation):
        index, signs = (op.inverse, op.signs) if adjoint else (op.perm, op.signs)
        out = x.index_select(axis, index)
        if signs is not None:
            shape = [1] * x.ndim
            shape[axis] = -1
            if adjoint:
                out = x * signs.to(x.dtype).reshape(shape)
                out = out.index_select(axis, index)
            else:
                out = out * signs.to(x.dtype).reshape(shape)
        return out
    if isinstance(op, Dense):
        matrix = op.matrix.mH if adjoint else op.matrix
        x = _cast(x, matrix.dtype)
        out = torch.tensordot(matrix.to(x.dtype), x, dims=([1], [axis]))
        return out.movedim(0, axis)
    moved = x.movedim(axis, 0)
    flat = moved.reshape(moved.shape[0], -1)
    flat = op.rmatmat(flat) if adjoint else op.matmat(flat)
    return flat.reshape(-1, *moved.shape[1:]).movedim(0, axis)


class Kron(LinearOperator):
    """``A_1 ⊗ A_2 ⊗ … ⊗ A_p`` of square factors; ``None`` stands for an identity factor.

    Acts on a vector reshaped to ``(d_1, …, d_p)`` (row-major) one axis at a time.
    """

    def __init__(self, sizes: Sequence[int], factors: Sequence[LinearOperator | None]) -> None:
        self.sizes = tuple(sizes)
        self.factors = list(factors)
        n = math.prod(self.sizes)
        self.shape = (n, n)
        dtypes = [f.dtype for f in self.factors if f is not None]
        self.dtype = dtypes[0] if dtypes else torch.float64
        for d in dtypes:
            self.dtype = torch.promote_types(self.dtype, d)

    def _apply(self, x: Tensor, adjoint: bool) -> Tensor:
        k = x.shape[1]
        t = x.reshape(*self.sizes, k)
        for axis, factor in enumerate(self.factors):
            if factor is not None:
                t = _apply_axis(factor, t, axis, adjoint)
        return t.reshape(-1, k)

    def matmat(self, x: Tensor) -> Tensor:
        return self._apply(x, adjoint=False)

    def rmatmat(self, y: Tensor) -> Tensor:
        return self._apply(y, adjoint=True)

    def signed_permutation(self) -> tuple[Tensor, Tensor] | None:
        perm = torch.zeros((), dtype=torch.long)
        signs = torch.ones((), dtype=torch.float64)
        for size, factor in zip(self.sizes, self.factors):
            local = (
                (torch.arange(size), torch.ones(size, dtype=torch.float64))
                if factor is None
                else factor.signed_permutation()
            )
            if local is None:
                return None
            perm = (perm[..., None] * size + local[0]).reshape(-1)
            signs = (signs[..., None] * local[1]).reshape(-1)
        return perm, signs

    def norm_bound(self) -> float:
        return math.prod(1.0 if f is None else f.norm_bound() for f in self.factors)


class KronSum(LinearOperator):
    """``Σ_i I ⊗ … ⊗ A_i ⊗ … ⊗ I`` of square factors; ``None`` stands for a zero factor."""

    def __init__(self, sizes: Sequence[int], factors: Sequence[LinearOperator | None]) -> None:
        self.sizes = tuple(sizes)
        self.factors = list(factors)
        n = math.prod(self.sizes)
        self.shape = (n, n)
        dtypes = [f.dtype for f in self.factors if f is not None]
        self.dtype = dtypes[0] if dtypes else torch.float64
        for d in dtypes:
            self.dtype = torch.promote_types(self.dtype, d)

    def _apply(self, x: Tensor, adjoint: bool) -> Tensor:
        k = x.shape[1]
        t = _cast(x, self.dtype).reshape(*self.sizes, k)
        out = torch.zeros_like(t)
        for axis, factor in enumerate(self.factors):
            if factor is not None:
                out = out + _apply_axis(factor, t, axis, adjoint)
        return out.reshape(-1, k)

    def matmat(self, x: Tensor) -> Tensor:
        return self._apply(x, adjoint=False)

    def rmatmat(self, y: Tensor) -> Tensor:
        return self._apply(y, adjoint=True)

    def norm_bound(self) -> float:
        return sum(0.0 if f is None else f.norm_bound() for f in self.factors)


class Shifted(LinearOperator):
    """``A + c I`` for a square operator ``A``: the constraint ``ρ(h) − I`` with ``c = −1``."""

    def __init__(self, op: LinearOperator, shift: float) -> None:
        self.op = op
        self.shift = shift
        self.shape = op.shape
        self.dtype = op.dtype

    def matmat(self, x: Tensor) -> Tensor:
        return self.op.matmat(x) + self.shift * _cast(x, self.op.dtype)

    def rmatmat(self, y: Tensor) -> Tensor:
        return self.op.rmatmat(y) + self.shift * _cast(y, self.op.dtype)

    def norm_bound(self) -> float:
        return self.op.norm_bound() + abs(self.shift)
