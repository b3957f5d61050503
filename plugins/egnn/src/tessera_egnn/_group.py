"""The group E(n) × S(N) acting on point clouds, and its elements.

An element is a triple (Q, t, π): an orthogonal matrix ``Q`` (det ±1), a translation ``t``
and a permutation ``π`` of the nodes. It acts on a batch of point clouds as

- node features ``h``: permuted, ``h'[:, i] = h[:, π[i]]``;
- positions ``x``: rotated, translated and permuted, ``x'[:, i] = Q x[:, π[i]] + t``;
- vectors ``v`` (velocities): rotated and permuted, ``v'[:, i] = Q v[:, π[i]]``;
- node masks and edge tensors: permuted (edges on both node axes).

References:
    | E(n) Equivariant Graph Neural Networks (Satorras et al., 2021)
    | https://arxiv.org/abs/2102.09844
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from tessera.groups import haar_orthogonal

__all__ = ["EuclideanGroup", "EuclideanTransform", "householder"]


def householder(u: Tensor) -> Tensor:
    """The reflection ``I − 2 u uᵀ / ‖u‖²`` through the hyperplane orthogonal to ``u``.

    Arguments:
        u: a non-zero vector, (d,).

    Returns:
        An orthogonal matrix with determinant −1, (d, d).
    """
    u = u / torch.linalg.vector_norm(u)
    return torch.eye(len(u), dtype=u.dtype) - 2 * torch.outer(u, u)


@dataclass(frozen=True)
class EuclideanTransform:
    """One element (Q, t, π) of E(n) × S(N).

    Arguments:
        rotation: the orthogonal matrix ``Q``, (d, d).
        translation: the translation ``t``, (d,).
        permutation: the node permutation ``π``, (N,), int64; node ``i`` of the result is
            node ``π[i]`` of the input.

    Example:
        >>> g = EuclideanTransform.identity(dim=2, num_nodes=3)
        >>> x = torch.arange(6.0).reshape(1, 3, 2)
        >>> torch.equal(g.points(x), x)
        True
    """

    rotation: Tensor
    translation: Tensor
    permutation: Tensor

    @classmethod
    def identity(
        cls, dim: int, num_nodes: int, dtype: torch.dtype = torch.float64
    ) -> EuclideanTransform:
        """The identity element."""
        return cls(
            torch.eye(dim, dtype=dtype), torch.zeros(dim, dtype=dtype), torch.arange(num_nodes)
        )

    @property
    def dim(self) -> int:
        return self.rotation.shape[-1]

    @property
    def num_nodes(self) -> int:
        return len(self.permutation)

    def to(self, dtype: torch.dtype) -> EuclideanTransform:
        """The same element with ``Q`` and ``t`` in ``dtype``."""
        return EuclideanTransform(
            self.rotation.to(dtype), self.translation.to(dtype), self.permutation
        )

    def _check_nodes(self, value: Tensor, axis: int, what: str) -> None:
        if value.shape[axis] != self.num_nodes:
            raise ValueError(
                f"{what} has {value.shape[axis]} nodes on axis {axis}, but the group element "
                f"permutes {self.num_nodes}; sample the element for {value.shape[axis]} nodes"
            )

    def nodes(self, h: Tensor) -> Tensor:
        """Permute node features ``h``, (B, N, F)."""
        self._check_nodes(h, 1, "h")
        return h[:, self.permutation]

    def mask(self, mask: Tensor) -> Tensor:
        """Permute a node mask, (B, N)."""
        self._check_nodes(mask, 1, "mask")
        return mask[:, self.permutation]

    def edges(self, e: Tensor) -> Tensor:
        """Permute both node axes of an edge tensor, (B, N, N) or (B, N, N, E)."""
        self._check_nodes(e, 1, "edge tensor")
        return e[:, self.permutation][:, :, self.permutation]

    def vectors(self, v: Tensor) -> Tensor:
        """Rotate and permute vectors ``v``, (B, N, d): ``Q v[π]``."""
        self._check_nodes(v, 1, "v")
        return v[:, self.permutation] @ self.rotation.to(v.dtype).T

    def points(self, x: Tensor) -> Tensor:
        """Rotate, translate and permute positions ``x``, (B, N, d): ``Q x[π] + t``."""
        return self.vectors(x) + self.translation.to(x.dtype)


class EuclideanGroup:
    """E(n) × S(N), or the subgroup made of the parts switched on.

    Arguments:
        dim: ``n``, the dimension of the positions.
        num_nodes: ``N``, the number of permuted nodes.
        rotations: include rotations SO(n).
        reflections: include reflections (with rotations: O(n); alone: sample a random
            reflection, so every sample has det −1).
        translations: include translations.
        permutations: include node permutations.

    Example:
        >>> G = EuclideanGroup(3, 5)
        >>> G.name
        'E(3)×S(5)'
        >>> g = G.sample(torch.Generator().manual_seed(0))
        >>> tuple(g.rotation.shape), tuple(g.permutation.shape)
        ((3, 3), (5,))
    """

    def __init__(
        self,
        dim: int,
        num_nodes: int,
        *,
        rotations: bool = True,
        reflections: bool = True,
        translations: bool = True,
        permutations: bool = True,
    ) -> None:
        if dim < 1 or num_nodes < 1:
            raise ValueError(
                f"EuclideanGroup needs dim ≥ 1 and num_nodes ≥ 1, got dim={dim}, "
                f"num_nodes={num_nodes}"
            )
        self.dim, self.num_nodes = dim, num_nodes
        self.rotations, self.reflections = rotations, reflections
        self.translations, self.permutations = translations, permutations

    @property
    def name(self) -> str:
        """``E(n)×S(N)`` for the whole group; subgroups read ``SO(n)``, ``T(n)``, …"""
        n = self.dim
        if self.rotations and self.reflections:
            euclid = f"E({n})" if self.translations else f"O({n})"
        elif self.rotations:
            euclid = f"SE({n})" if self.translations else f"SO({n})"
        elif self.reflections:
            euclid = f"Refl({n})" + (f"⋉T({n})" if self.translations else "")
        else:
            euclid = f"T({n})" if self.translations else ""
        parts = [p for p in (euclid, f"S({self.num_nodes})" if self.permutations else "") if p]
        return "×".join(parts) or "Trivial"

    def __repr__(self) -> str:
        return self.name

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EuclideanGroup):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[object, ...]:
        return (
            self.dim,
            self.num_nodes,
            self.rotations,
            self.reflections,
            self.translations,
            self.permutations,
        )

    def identity(self, dtype: torch.dtype = torch.float64) -> EuclideanTransform:
        """The identity element."""
        return EuclideanTransform.identity(self.dim, self.num_nodes, dtype)

    def sample(
        self, generator: torch.Generator | None = None, dtype: torch.dtype = torch.float64
    ) -> EuclideanTransform:
        """A random element: Haar rotation or reflection, Gaussian translation, uniform
        permutation, each only where the group includes it."""
        n = self.dim
        if self.rotations:
            q = haar_orthogonal(1, n, generator, special=not self.reflections)[0]
        elif self.reflections:
            q = householder(torch.randn(n, generator=generator, dtype=torch.float64))
        else:
            q = torch.eye(n, dtype=torch.float64)
        t = torch.zeros(n, dtype=torch.float64)
        if self.translations:
            t = torch.randn(n, generator=generator, dtype=torch.float64)
        perm = torch.arange(self.num_nodes)
        if self.permutations:
            perm = torch.rand(self.num_nodes, generator=generator).argsort()
        return EuclideanTransform(q.to(dtype), t.to(dtype), perm)
