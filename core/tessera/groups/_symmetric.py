"""The symmetric group S(n) acting by permuting coordinates."""

from __future__ import annotations

from collections.abc import Hashable

import torch
from torch import Tensor

from tessera.groups._validation import check_size
from tessera.kinds._group import Group, permutation_matrices, permutation_residual

__all__ = ["S"]


class S(Group):
    """The symmetric group S(n) of all ``n!`` permutation matrices acting on ``R^n``.

    Discrete generators, as permutation vectors: the transposition ``(0 1)`` and the
    ``n``-cycle ``perm[i] = (i + 1) mod n``, i.e. ``(P x)[i] = x[(i + 1) mod n]`` (for
    ``n = 2`` only the transposition, for ``n = 1`` none). These two generate S(n). No Lie
    algebra. Samples are uniform over all ``n!`` permutations.

    Arguments:
        n: the number of permuted coordinates, ≥ 1.

    Example:
        >>> from tessera.groups import S
        >>> S(4).discrete_permutations.tolist()
        [[1, 0, 2, 3], [1, 2, 3, 0]]
    """

    def __init__(self, n: int) -> None:
        self.n = check_size("S(n)", n)

    @property
    def d(self) -> int:
        return self.n

    @property
    def name(self) -> str:
        return f"S({self.n})"

    @property
    def is_orthogonal(self) -> bool:  # type: ignore[override]
        return True

    @property
    def is_permutation(self) -> bool:
        return True

    @property
    def is_compact(self) -> bool:
        return True

    def _build_discrete_permutations(self) -> Tensor | None:
        n = self.n
        if n == 1:
            return torch.zeros(0, 1, dtype=torch.long)
        transposition = torch.arange(n)
        transposition[:2] = torch.tensor([1, 0])
        if n == 2:
            return transposition[None]
        cycle = (torch.arange(n) + 1) % n
        return torch.stack([transposition, cycle])

    def sample_permutations(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` uniformly random permutation vectors, (n, d), int64."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"{self.name}: the number of samples must be an int ≥ 0, got {n!r}")
        return torch.rand(n, self.n, generator=generator, dtype=torch.float64).argsort(dim=-1)

    def _samples(self, n: int, generator: torch.Generator | None) -> Tensor:
        return permutation_matrices(self.sample_permutations(n, generator), self.dtype)

    def relation_residual(self, g: Tensor) -> Tensor:
        """How far ``g`` is from a permutation matrix, (...,); see
        :func:`~tessera.kinds._group.permutation_residual`."""
        return permutation_residual(self._check_matrices(g))

    def algebra_residual(self, a: Tensor) -> Tensor:
        """``‖a‖_F``, (...,): the Lie algebra of a finite group is ``{0}``."""
        return torch.linalg.matrix_norm(self._check_matrices(a)).to(torch.float64)

    def _structure(self) -> Hashable:
        return (S, self.n)
