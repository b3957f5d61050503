"""Symmetries of particle systems: E(n) × S(N), or S(N) alone, acting on point clouds.

An element ``(Q, t, π)`` acts on positions as ``x'_i = Q x_{π(i)} + t``, on node features and
masks by the permutation, and on edge tensors by permuting both node axes. The baseline
dynamics layers declare these groups to the conformance kit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

__all__ = ["ParticleGroup", "ParticleTransform"]


@dataclass(frozen=True)
class ParticleTransform:
    """One element ``(Q, t, π)``: orthogonal ``Q`` (D, D), translation ``t`` (D,),
    permutation ``π`` (N,) with node ``i`` of the result being node ``π[i]`` of the input.

    Example:
        >>> g = ParticleTransform(torch.eye(2), torch.ones(2), torch.tensor([1, 0]))
        >>> g.points(torch.tensor([[[0.0, 0.0], [1.0, 2.0]]])).tolist()
        [[[2.0, 3.0], [1.0, 1.0]]]
    """

    rotation: Tensor
    translation: Tensor
    permutation: Tensor

    def nodes(self, h: Tensor) -> Tensor:
        """Permute a node tensor, (B, N, ...)."""
        return h[:, self.permutation]

    def edges(self, e: Tensor) -> Tensor:
        """Permute both node axes of an edge tensor, (B, N, N, ...)."""
        return e[:, self.permutation][:, :, self.permutation]

    def vectors(self, v: Tensor) -> Tensor:
        """Rotate and permute vectors, (B, N, D)."""
        return self.nodes(v) @ self.rotation.to(v.dtype).T

    def points(self, x: Tensor) -> Tensor:
        """Rotate, translate and permute positions, (B, N, D)."""
        return self.vectors(x) + self.translation.to(x.dtype)


class ParticleGroup:
    """E(dim) × S(num_nodes), or S(num_nodes) alone when ``euclidean`` is false.

    Example:
        >>> ParticleGroup(3, 5).name, ParticleGroup(2, 4, euclidean=False).name
        ('E(3)×S(5)', 'S(4)')
    """

    def __init__(self, dim: int, num_nodes: int, euclidean: bool = True) -> None:
        self.dim, self.num_nodes, self.euclidean = dim, num_nodes, euclidean

    @property
    def name(self) -> str:
        perms = f"S({self.num_nodes})"
        return f"E({self.dim})×{perms}" if self.euclidean else perms

    def __repr__(self) -> str:
        return self.name

    def sample(
        self, generator: torch.Generator | None = None, dtype: torch.dtype = torch.float64
    ) -> ParticleTransform:
        """A random element: Haar-random ``Q`` in O(dim), Gaussian ``t``, uniform ``π``."""
        from tessera.groups import haar_orthogonal

        d = self.dim
        if self.euclidean:
            rotation = haar_orthogonal(1, d, generator, dtype=dtype)[0]
            translation = torch.randn(d, generator=generator, dtype=torch.float64).to(dtype)
        else:
            rotation, translation = torch.eye(d, dtype=dtype), torch.zeros(d, dtype=dtype)
        permutation = torch.randperm(self.num_nodes, generator=generator)
        return ParticleTransform(rotation, translation, permutation)


def act_on_layer_inputs(g: ParticleTransform, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
    """Apply ``g`` to ``(h, x, mask, edge_attr)`` (or a prefix of it)."""
    actions = (g.nodes, g.points, g.nodes, g.edges)
    if len(inputs) > len(actions):
        raise ValueError(f"expected at most 4 inputs (h, x, mask, edge_attr), got {len(inputs)}")
    return tuple(None if v is None else act(v) for act, v in zip(actions, inputs))
