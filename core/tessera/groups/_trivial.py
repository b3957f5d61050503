"""The trivial group."""

from __future__ import annotations

from collections.abc import Hashable

import torch
from torch import Tensor

from tessera.groups._validation import check_size
from tessera.kinds._group import Group

__all__ = ["Trivial"]


class Trivial(Group):
    """The trivial group ``{I}`` acting on ``R^n``: no Lie algebra, no discrete generators.

    Arguments:
        n: the dimension, ≥ 1.

    Example:
        >>> from tessera.groups import Trivial
        >>> Trivial(3).sample().equal(torch.eye(3, dtype=torch.float64))
        True
    """

    def __init__(self, n: int) -> None:
        self.n = check_size("Trivial(n)", n)

    @property
    def d(self) -> int:
        return self.n

    @property
    def name(self) -> str:
        return f"Trivial({self.n})"

    @property
    def is_orthogonal(self) -> bool:  # type: ignore[override]
        return True

    @property
    def is_permutation(self) -> bool:
        return True

    @property
    def is_compact(self) -> bool:
        return True

    def _samples(self, n: int, generator: torch.Generator | None) -> Tensor:
        return torch.eye(self.n, dtype=self.dtype).repeat(n, 1, 1)

    def relation_residual(self, g: Tensor) -> Tensor:
        """``‖g − I‖_F``, (...,)."""
        g = self._check_matrices(g)
        return torch.linalg.matrix_norm(g - torch.eye(self.n, dtype=g.dtype)).to(torch.float64)

    def algebra_residual(self, a: Tensor) -> Tensor:
        """``‖a‖_F``, (...,): the Lie algebra is ``{0}``."""
        return torch.linalg.matrix_norm(self._check_matrices(a)).to(torch.float64)

    def _structure(self) -> Hashable:
        return (Trivial, self.n)
