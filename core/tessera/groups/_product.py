"""Direct products of groups, acting block-diagonally."""

from __future__ import annotations

import functools
from collections.abc import Hashable, Sequence

import torch
from torch import Tensor

from tessera.kinds._group import Group, permutation_matrices

__all__ = ["DirectProduct"]


class DirectProduct(Group):
    """The direct product ``G_1 × … × G_r`` acting block-diagonally on ``R^{d_1 + … + d_r}``.

    Each factor's Lie-algebra basis and discrete generators are embedded in its own diagonal
    block, with zeros (algebra) or the identity (group) on the other blocks; a sample is the
    block diagonal of independent samples of the factors. Nested products are flattened, so
    ``(A × B) × C`` and ``A × (B × C)`` are the same group; a product of one factor equals
    that factor.

    Arguments:
        groups: the factors, at least one.

    Example:
        >>> from tessera.groups import SO, S, DirectProduct
        >>> G = DirectProduct([SO(3), S(4)])
        >>> G == SO(3) * S(4), G.d, len(G.lie_algebra), len(G.discrete_generators)
        (True, 7, 3, 2)
    """

    def __init__(self, groups: Sequence[Group]) -> None:
        if isinstance(groups, Group):
            groups = [groups]
        factors: list[Group] = []
        for i, group in enumerate(groups):
            if not isinstance(group, Group):
                raise TypeError(
                    f"DirectProduct: groups[{i}] is {group!r} of type {type(group).__name__}; "
                    "every factor must be a tessera Group"
                )
            factors.extend(group.groups if isinstance(group, DirectProduct) else [group])
        if not factors:
            raise ValueError("DirectProduct: groups is empty; give at least one group")
        self.groups: tuple[Group, ...] = tuple(factors)
        self.dtype = functools.reduce(torch.promote_types, [g.dtype for g in factors])
        sizes = [g.d for g in factors]
        self._offsets = [sum(sizes[:i]) for i in range(len(sizes))]

    @property
    def d(self) -> int:
        return sum(g.d for g in self.groups)

    @property
    def name(self) -> str:
        return "×".join(g.name for g in self.groups)

    @property
    def is_orthogonal(self) -> bool:  # type: ignore[override]
        return all(g.is_orthogonal for g in self.groups)

    @property
    def is_permutation(self) -> bool:
        return all(g.is_permutation for g in self.groups)

    @property
    def is_compact(self) -> bool:
        return all(g.is_compact for g in self.groups)

    def _blocks(self) -> list[tuple[Group, slice]]:
        return [(g, slice(o, o + g.d)) for g, o in zip(self.groups, self._offsets, strict=True)]

    # Generators

    def _build_lie_algebra(self) -> Tensor | None:
        parts = []
        for group, block in self._blocks():
            embedded = torch.zeros(len(group.lie_algebra), self.d, self.d, dtype=self.dtype)
            embedded[:, block, block] = group.lie_algebra
            parts.append(embedded)
        return torch.cat(parts)

    def _build_discrete_permutations(self) -> Tensor | None:
        factor_perms = [g.discrete_permutations for g in self.groups]
        if any(p is None for p in factor_perms):
            return None
        parts = []
        for (_, block), perms in zip(self._blocks(), factor_perms, strict=True):
            assert perms is not None
            embedded = torch.arange(self.d).repeat(len(perms), 1)
            embedded[:, block] = perms + block.start
            parts.append(embedded)
        return torch.cat(parts)

    def _build_discrete_generators(self) -> Tensor | None:
        if all(g.discrete_permutations is not None for g in self.groups):
            return None  # derived from the permutations
        parts = []
        for group, block in self._blocks():
            dense = group.discrete_generators
            embedded = torch.eye(self.d, dtype=self.dtype).repeat(len(dense), 1, 1)
            embedded[:, block, block] = dense.to(self.dtype)
            parts.append(embedded)
        return torch.cat(parts)

    # Sampling

    def sample_permutations(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` random elements as permutation vectors, (n, d): each block from its factor."""
        if not self.is_permutation:
            return super().sample_permutations(n, generator)  # raises
        return torch.cat(
            [g.sample_permutations(n, generator) + block.start for g, block in self._blocks()],
            dim=-1,
        )

    def _samples(self, n: int, generator: torch.Generator | None) -> Tensor:
        if self.is_permutation:
            return permutation_matrices(self.sample_permutations(n, generator), self.dtype)
        g = torch.zeros(n, self.d, self.d, dtype=self.dtype)
        for group, block in self._blocks():
            g[:, block, block] = group.samples(n, generator, dtype=self.dtype)
        return g

    # Relations

    def relation_residual(self, g: Tensor) -> Tensor:
        """The largest of each factor's residual on its block and the norm off the blocks."""
        return self._blockwise(self._check_matrices(g), "relation_residual")

    def algebra_residual(self, a: Tensor) -> Tensor:
        """The largest of each factor's algebra residual on its block and the norm off the
        blocks."""
        return self._blockwise(self._check_matrices(a), "algebra_residual")

    def _blockwise(self, g: Tensor, residual: str) -> Tensor:
        outside = g.clone()
        result = torch.zeros(g.shape[:-2], dtype=torch.float64)
        for group, block in self._blocks():
            outside[..., block, block] = 0
            inside = getattr(group, residual)(g[..., block, block])
            result = torch.maximum(result, inside)
        return torch.maximum(result, torch.linalg.matrix_norm(outside).to(torch.float64))

    def _structure(self) -> Hashable:
        if len(self.groups) == 1:
            return self.groups[0]._structure()
        return (DirectProduct, self.groups)
