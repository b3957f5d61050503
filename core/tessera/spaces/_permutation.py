"""Permutations of ``n`` items."""

from __future__ import annotations

import math
from collections.abc import Hashable
from numbers import Integral
from typing import Any

import torch
from torch import Tensor

from tessera.spaces._base import DiscretePart, Space, nearest_int

__all__ = ["Permutation"]


class Permutation(Space):
    """The ``n!`` permutations of ``0, …, n − 1``.

    A permutation is encoded as its vector of indices, as floats, (n,); its native value is
    a ``tuple[int, ...]``. Neighbours are one swap away: all ``n(n − 1)/2`` transpositions of
    two positions, or with ``adjacent_swaps`` only the ``n − 1`` swaps of neighbouring
    positions.

    Arguments:
        n: the number of items, ≥ 1.
        adjacent_swaps: restrict neighbours to swaps of positions ``i`` and ``i + 1``.

    References:
        | Batch Bayesian Optimization on Permutations using the Acquisition Weighted Kernel
          (Oh et al., 2021)
        | https://arxiv.org/abs/2102.13382

    Example:
        >>> from tessera.spaces import Permutation
        >>> space = Permutation(4)
        >>> len(space.neighbours(space.encode([(2, 0, 3, 1)])[0]))
        6
        >>> space.project(torch.tensor([0.3, -1.0, 7.0, 0.2])).tolist()
        [2.0, 0.0, 3.0, 1.0]
    """

    def __init__(self, n: int, adjacent_swaps: bool = False) -> None:
        if isinstance(n, bool) or not isinstance(n, Integral):
            raise TypeError(
                f"Permutation: n must be a positive int, got {n!r} of type {type(n).__name__}"
            )
        if n < 1:
            raise ValueError(f"Permutation: n must be a positive int, got {n}; use n ≥ 1")
        self.n = int(n)
        self.adjacent_swaps = bool(adjacent_swaps)

    @property
    def dim(self) -> int:
        return self.n

    @property
    def size(self) -> int:
        return math.factorial(self.n)

    @property
    def discrete_parts(self) -> tuple[DiscretePart, ...]:
        return (DiscretePart(0, self.n, self.size, "permutation"),)

    def _sample(self, n: int, generator: torch.Generator | None) -> Tensor:
        u = torch.rand(n, self.n, generator=generator, dtype=torch.float64)
        return u.argsort(dim=-1).to(torch.float64)

    def _why_not(self, point: Any) -> str | None:
        if isinstance(point, (str, bytes)) or not hasattr(point, "__len__"):
            return f"expected a sequence of {self.n} ints"
        values = point.tolist() if hasattr(point, "tolist") else list(point)
        if len(values) != self.n:
            return f"expected {self.n} entries, got {len(values)}"
        if any(isinstance(v, bool) or not isinstance(v, Integral) for v in values):
            return "every entry must be an int"
        if sorted(values) != list(range(self.n)):
            return f"not a permutation of 0..{self.n - 1}"
        return None

    def _encode_one(self, point: Any) -> list[float]:
        values = point.tolist() if hasattr(point, "tolist") else list(point)
        return [float(v) for v in values]

    def _decode_one(self, x: Tensor) -> tuple[int, ...]:
        values = tuple(nearest_int(float(v), "entry") for v in x)
        if sorted(values) != list(range(self.n)):
            raise ValueError(f"{values} is not a permutation of 0..{self.n - 1}")
        return values

    def project(self, x: Tensor) -> Tensor:
        """The permutation ordered like ``x``, (..., n) → (..., n).

        The ``k``-th smallest entry becomes ``k`` (ties by position), which is the
        permutation vector nearest to ``x`` in Euclidean distance.
        """
        x = torch.as_tensor(x, dtype=torch.float64)
        order = x.argsort(dim=-1, stable=True)
        return order.argsort(dim=-1, stable=True).to(torch.float64)

    @property
    def swaps(self) -> Tensor:
        """The pairs of positions swapped to reach a neighbour, (k, 2), int64."""
        if self.adjacent_swaps:
            first = torch.arange(self.n - 1)
            return torch.stack([first, first + 1], dim=-1)
        return torch.triu_indices(self.n, self.n, offset=1).T

    def neighbours(self, x: Tensor) -> Tensor:
        """The permutations one swap away, (n,) → (k, n), in the order of :attr:`swaps`.

        ``k = n(n − 1)/2``, or ``n − 1`` with ``adjacent_swaps``.
        """
        x = self._check_encoded(x, single=True)
        self.decode(x)  # validates
        swaps = self.swaps
        rows = torch.arange(len(swaps))
        out = x.repeat(len(swaps), 1)
        out[rows, swaps[:, 0]] = x[0, swaps[:, 1]]
        out[rows, swaps[:, 1]] = x[0, swaps[:, 0]]
        return out

    def _structure(self) -> Hashable:
        return (Permutation, self.n, self.adjacent_swaps)

    def __repr__(self) -> str:
        extra = ", adjacent_swaps=True" if self.adjacent_swaps else ""
        return f"Permutation({self.n}{extra})"
