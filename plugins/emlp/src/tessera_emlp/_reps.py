"""The representation algebra: V, V*, Scalar, T(p, q), sums, tensor products and maps.

A representation is built from leaves, the defining representation ``V`` of a group (or of
one factor of a product group) and its dual, with ``+`` (direct sum, ``3 * V`` for
multiplicities), ``*`` (tensor product, ``V ** 2`` for powers), ``.T`` (dual) and
``rep_in >> rep_out`` (the space of linear maps, ``rep_out ⊗ rep_in*``).

Representations of different groups combine into a representation of their direct product,
with each leaf acting through its own factor: ``V(SO(3)) + V(S(4))`` is a representation of
SO(3) × S(4) in which S(4) acts trivially on the first summand. Sums of representations of
different factors are therefore exact, not approximations.

Every representation decomposes into *blocks*: tensor products of leaves at known positions
of the data layout. Blocks are canonicalised (leaves sorted, ``V*`` identified with ``V`` for
orthogonal groups), and equivariant bases are solved and cached per canonical block.

References:
    | A Practical Method for Constructing Equivariant Multilayer Perceptrons for
      Arbitrary Matrix Groups (Finzi et al., 2021)
    | https://arxiv.org/abs/2104.09459
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property

import torch
from torch import Tensor

from tessera.groups import DirectProduct
from tessera.kinds import Group
from tessera_emlp._checks import positive_int

__all__ = [
    "Ambient",
    "BlockGroup",
    "LeafKey",
    "Rep",
    "Scalar",
    "SumRep",
    "T",
    "TensorRep",
    "V",
    "Vector",
]


# The ambient group


def _factors(group: Group) -> tuple[Group, ...]:
    return group.groups if isinstance(group, DirectProduct) else (group,)


@dataclass(frozen=True)
class LeafKey:
    """A leaf placed in an ambient group: the factor positions it acts through, and whether
    it is the dual (always ``False`` for real orthogonal factors, where ``V* = V``)."""

    positions: tuple[int, ...]
    dual: bool

    def sort_key(self) -> tuple:
        return (self.positions, self.dual)


class Ambient:
    """The group a compound representation is a representation of, and where each leaf sits.

    If every leaf belongs to the same group, that group is the ambient group. Otherwise the
    ambient group is the direct product of the leaves' distinct groups (products flattened
    into their factors, equal factors shared).
    """

    def __init__(self, homes: Sequence[Group]) -> None:
        distinct: list[Group] = []
        for h in homes:
            if h not in distinct:
                distinct.append(h)
        self.homes = distinct
        factors: list[Group] = []
        self._placement: list[tuple[Group, tuple[int, ...]]] = []
        for h in distinct:
            own, placed = _factors(h), []
            for f in own:
                shared = [i for i, g in enumerate(factors) if g == f]
                repeated = sum(g == f for g in own) > 1
                if len(shared) == 1 and not repeated and len(distinct) > 1:
                    placed.append(shared[0])
                elif shared and len(distinct) > 1:
                    raise ValueError(
                        f"cannot combine representations of {', '.join(map(repr, distinct))}: "
                        f"the factor {f!r} occurs more than once; build the product group "
                        "once and use V(G, factor=i)"
                    )
                else:
                    placed.append(len(factors))
                    factors.append(f)
            self._placement.append((h, tuple(placed)))
        self.factors: tuple[Group, ...] = tuple(factors)
        if not distinct:
            self.group: Group | None = None
        elif len(distinct) == 1:
            self.group = distinct[0]
        else:
            self.group = DirectProduct(list(factors))
        sizes = [f.d for f in self.factors]
        self.offsets = [sum(sizes[:i]) for i in range(len(sizes))]

    def positions(self, home: Group, factor: int | None) -> tuple[int, ...]:
        """The ambient factor positions of the leaf ``V(home, factor)``."""
        found = next((p for h, p in self._placement if h == home), None)
        if found is None:
            raise ValueError(f"{home!r} is not a group of this representation ({self.group!r})")
        return found if factor is None else (found[factor],)

    def block(self, matrices: Tensor, position: int) -> Tensor:
        """The diagonal block of ambient matrices ``(..., d, d)`` at a factor position."""
        start = self.offsets[position]
        stop = start + self.factors[position].d
        return matrices[..., start:stop, start:stop]

    def is_orthogonal(self, positions: tuple[int, ...]) -> bool:
        return all(
            self.factors[i].is_orthogonal and not self.factors[i].dtype.is_complex
            for i in positions
        )

    def leaf_size(self, key: LeafKey) -> int:
        return sum(self.factors[i].d for i in key.positions)

    def leaf_dtype(self, key: LeafKey) -> torch.dtype:
        dtype = torch.float64
        for i in key.positions:
            dtype = torch.promote_types(dtype, self.factors[i].dtype)
        return dtype

    def __repr__(self) -> str:
        return f"Ambient({self.group!r})"


@dataclass
class BlockGroup:
    """Blocks of one type: ``count`` copies of the tensor product of ``leaves``.

    ``index[c]`` lists, in the row-major order of the leaves' axes, the positions of copy
    ``c`` in the data layout of the representation; (count, size).
    """

    leaves: tuple[LeafKey, ...]
    index: Tensor

    @property
    def count(self) -> int:
        return self.index.shape[0]


def _merge(groups: list[BlockGroup]) -> list[BlockGroup]:
    merged: dict[tuple[LeafKey, ...], list[Tensor]] = {}
    for g in groups:
        merged.setdefault(g.leaves, []).append(g.index)
    return [BlockGroup(k, torch.cat(v)) for k, v in merged.items()]


def canonical_groups(groups: list[BlockGroup], ambient: Ambient) -> list[BlockGroup]:
    """Sort the leaves of every block (permuting the index axes to match) and merge blocks
    of the same canonical type."""
    out = []
    for g in groups:
        order = sorted(range(len(g.leaves)), key=lambda i: g.leaves[i].sort_key())
        leaves = tuple(g.leaves[i] for i in order)
        sizes = [ambient.leaf_size(k) for k in g.leaves]
        index = g.index.reshape(g.count, *sizes).permute(0, *[i + 1 for i in order])
        out.append(BlockGroup(leaves, index.reshape(g.count, -1)))
    return sorted(_merge(out), key=lambda g: [k.sort_key() for k in g.leaves])


# Representations


class Rep(ABC):
    """A representation of a matrix group; see the module docstring for the algebra.

    Example:
        >>> from tessera.groups import SO
        >>> G = SO(3)
        >>> rep = 2 * V(G) + V(G) ** 2
        >>> rep, rep.size
        (2V+V⊗V, 15)
    """

    @property
    @abstractmethod
    def size(self) -> int:
        """The dimension of the representation."""

    @abstractmethod
    def _homes(self) -> list[Group]:
        """The groups of the leaves."""

    @abstractmethod
    def _rho(self, g: Tensor, ambient: Ambient) -> Tensor:
        """``ρ(g)`` for ambient elements ``(..., d, d)``; ``(..., size, size)``."""

    @abstractmethod
    def _drho(self, a: Tensor, ambient: Ambient) -> Tensor:
        """``dρ(A)`` for ambient algebra elements ``(..., d, d)``; ``(..., size, size)``."""

    @abstractmethod
    def _blocks(self, ambient: Ambient) -> list[BlockGroup]:
        """The blocks, leaves in layout order."""

    @abstractmethod
    def dual(self) -> Rep:
        """The dual representation ``ρ*(g) = ρ(g)^{−T}``."""

    @abstractmethod
    def _key(self) -> Hashable:
        """Structure compared by ``==``: the same structure means the same layout."""

    # Derived

    @cached_property
    def ambient(self) -> Ambient:
        return Ambient(self._homes())

    @property
    def group(self) -> Group | None:
        """The group this is a representation of; ``None`` for scalars alone."""
        return self.ambient.group

    @property
    def T(self) -> Rep:
        """The dual, ``V.T`` reads as ``V*``."""
        return self.dual()

    def rho(self, g: Tensor) -> Tensor:
        """The dense matrices ``ρ(g)`` of group elements ``g: (..., d, d)``;
        ``(..., size, size)``."""
        return self._rho(g, self._ambient_for(g))

    def drho(self, a: Tensor) -> Tensor:
        """The dense matrices ``dρ(A)`` of Lie-algebra elements ``A: (..., d, d)``."""
        return self._drho(a, self._ambient_for(a))

    def _ambient_for(self, g: Tensor) -> Ambient:
        ambient = self.ambient
        d = sum(f.d for f in ambient.factors)
        if ambient.group is not None and g.shape[-2:] != (d, d):
            raise ValueError(
                f"{self!r} is a representation of {ambient.group!r} (d = {d}); got elements "
                f"of shape {tuple(g.shape)}, expected (..., {d}, {d})"
            )
        return ambient

    def blocks(self, ambient: Ambient | None = None) -> list[BlockGroup]:
        """The canonical blocks, each with the layout positions of every copy."""
        ambient = ambient or self.ambient
        return canonical_groups(self._blocks(ambient), ambient)

    def canonical(self) -> tuple[Rep, Tensor]:
        """An equivalent representation with its blocks sorted and grouped, and the
        permutation ``perm`` with ``x_canonical = x[..., perm]``."""
        ambient = self.ambient
        parts, index = [], []
        for g in self.blocks(ambient):
            term = _term_rep(g.leaves, ambient)
            parts += [term] * g.count
            index.append(g.index.reshape(-1))
        perm = torch.cat(index) if index else torch.zeros(0, dtype=torch.long)
        return SumRep(parts) if len(parts) != 1 else parts[0], perm

    # Algebra

    def __add__(self, other: object) -> Rep:
        if isinstance(other, int) and other == 0:
            return self
        if not isinstance(other, Rep):
            return NotImplemented
        return SumRep([self, other])

    def __radd__(self, other: object) -> Rep:
        if isinstance(other, int) and other == 0:  # sum([...]) starts from 0
            return self
        if not isinstance(other, Rep):
            return NotImplemented
        return SumRep([other, self])

    def __mul__(self, other: object) -> Rep:
        if isinstance(other, Rep):
            return TensorRep([self, other])
        if isinstance(other, int) and not isinstance(other, bool):
            return self.__rmul__(other)
        return NotImplemented

    def __rmul__(self, other: object) -> Rep:
        if isinstance(other, bool) or not isinstance(other, int):
            return NotImplemented
        if other < 1:
            raise ValueError(f"multiplicity of {self!r} must be ≥ 1, got {other}")
        return self if other == 1 else SumRep([self] * other)

    def __pow__(self, k: int) -> Rep:
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise ValueError(f"tensor power of {self!r} must be an int ≥ 0, got {k!r}")
        return Scalar if k == 0 else self if k == 1 else TensorRep([self] * k)

    def __rshift__(self, other: Rep) -> Rep:
        """``rep_in >> rep_out``: linear maps from ``rep_in`` to ``rep_out``, laid out as
        ``(out, in)`` matrices flattened row-major."""
        if not isinstance(other, Rep):
            return NotImplemented
        return TensorRep([other, self.dual()])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rep) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    # Display

    @abstractmethod
    def _label(self) -> str: ...

    def __repr__(self) -> str:
        return self._label()


class _ScalarRep(Rep):
    """The trivial one-dimensional representation of any group."""

    @property
    def size(self) -> int:
        return 1

    def _homes(self) -> list[Group]:
        return []

    def _rho(self, g: Tensor, ambient: Ambient) -> Tensor:
        return torch.ones(*g.shape[:-2], 1, 1, dtype=g.dtype)

    def _drho(self, a: Tensor, ambient: Ambient) -> Tensor:
        return torch.zeros(*a.shape[:-2], 1, 1, dtype=a.dtype)

    def _blocks(self, ambient: Ambient) -> list[BlockGroup]:
        return [BlockGroup((), torch.zeros(1, 1, dtype=torch.long))]

    def dual(self) -> Rep:
        return self

    def _key(self) -> Hashable:
        return ("Scalar",)

    def _label(self) -> str:
        return "Scalar"

    def __reduce__(self) -> str:
        return "Scalar"


#: The trivial representation.
Scalar: Rep = _ScalarRep()


class Vector(Rep):
    """The defining representation ``V`` of a group, or of one factor of a product group,
    or its dual ``V*``.

    Arguments:
        group: the group.
        factor: for a product group, the index of the factor it acts through; ``None`` for
            the whole (block-diagonal) group.
        dual: ``True`` for ``V*``.

    Example:
        >>> from tessera.groups import SO, S
        >>> G = SO(3) * S(4)
        >>> V(G, factor=1).size, V(G).size
        (4, 7)
    """

    def __init__(self, group: Group, factor: int | None = None, dual: bool = False) -> None:
        if not isinstance(group, Group):
            raise TypeError(f"V(group): group must be a tessera Group, got {type(group).__name__}")
        if factor is not None:
            count = len(_factors(group))
            if isinstance(factor, bool) or not isinstance(factor, int):
                raise TypeError(f"V({group!r}, factor): factor must be an int, got {factor!r}")
            if not 0 <= factor < count:
                raise ValueError(
                    f"V({group!r}, factor={factor}): {group!r} has {count} factor(s); use "
                    f"0 ≤ factor < {count}"
                )
        self.home = group
        self.factor = factor
        self.is_dual = bool(dual)

    @property
    def domain(self) -> Group:
        return self.home if self.factor is None else _factors(self.home)[self.factor]

    @property
    def size(self) -> int:
        return self.domain.d

    def _homes(self) -> list[Group]:
        return [self.home]

    def leaf_key(self, ambient: Ambient) -> LeafKey:
        positions = ambient.positions(self.home, self.factor)
        return LeafKey(positions, self.is_dual and not ambient.is_orthogonal(positions))

    def _matrix(self, m: Tensor, ambient: Ambient, algebra: bool) -> Tensor:
        key = self.leaf_key(ambient)
        blocks = [ambient.block(m, i) for i in key.positions]
        out = torch.block_diag(*blocks) if m.ndim == 2 else _batched_block_diag(blocks)
        if key.dual:
            out = -out.mT if algebra else torch.linalg.inv(out).mT
        return out

    def _rho(self, g: Tensor, ambient: Ambient) -> Tensor:
        return self._matrix(g, ambient, algebra=False)

    def _drho(self, a: Tensor, ambient: Ambient) -> Tensor:
        return self._matrix(a, ambient, algebra=True)

    def _blocks(self, ambient: Ambient) -> list[BlockGroup]:
        return [BlockGroup((self.leaf_key(ambient),), torch.arange(self.size)[None])]

    def dual(self) -> Rep:
        return Vector(self.home, self.factor, not self.is_dual)

    def _key(self) -> Hashable:
        return ("V", self.home, self.factor, self.is_dual)

    def _label(self) -> str:
        base = "V" if self.factor is None else f"V[{self.factor}]"
        return base + ("*" if self.is_dual else "")

    def __repr__(self) -> str:
        return self._label()


def V(group: Group, factor: int | None = None) -> Vector:
    """The defining representation of ``group`` (or of its factor ``factor``).

    Example:
        >>> from tessera.groups import O
        >>> V(O(3)).T
        V*
    """
    return Vector(group, factor)


def _batched_block_diag(blocks: list[Tensor]) -> Tensor:
    sizes = [b.shape[-1] for b in blocks]
    batch = blocks[0].shape[:-2]
    out = torch.zeros(*batch, sum(sizes), sum(sizes), dtype=blocks[0].dtype)
    start = 0
    for b, s in zip(blocks, sizes):
        out[..., start : start + s, start : start + s] = b
        start += s
    return out


def T(p: int, q: int = 0, group: Group | None = None) -> Rep:
    """The tensor representation ``V^{⊗p} ⊗ V*^{⊗q}`` of ``group`` (Scalar when
    ``p = q = 0``).

    Example:
        >>> from tessera.groups import SO
        >>> T(2, 1, SO(3)).size
        27
    """
    if group is None:
        raise TypeError("T(p, q, group): give the group, e.g. T(2, 0, SO(3))")
    p = positive_int("T(p, q): p", p, minimum=0)
    q = positive_int("T(p, q): q", q, minimum=0)
    parts = [V(group)] * p + [V(group).T] * q
    if not parts:
        return Scalar
    return parts[0] if len(parts) == 1 else TensorRep(parts)


class SumRep(Rep):
    """The direct sum of representations, laid out one after the other."""

    def __init__(self, reps: Sequence[Rep]) -> None:
        flat: list[Rep] = []
        for r in reps:
            if not isinstance(r, Rep):
                raise TypeError(f"SumRep: expected representations, got {type(r).__name__}")
            flat.extend(r.reps if isinstance(r, SumRep) else [r])
        if not flat:
            raise ValueError("SumRep: give at least one representation")
        self.reps: tuple[Rep, ...] = tuple(flat)

    @cached_property
    def size(self) -> int:  # type: ignore[override]
        return sum(r.size for r in self.reps)

    def _homes(self) -> list[Group]:
        return [h for r in self.reps for h in r._homes()]

    def _rho(self, g: Tensor, ambient: Ambient) -> Tensor:
        return _batched_block_diag([r._rho(g, ambient) for r in self.reps])

    def _drho(self, a: Tensor, ambient: Ambient) -> Tensor:
        return _batched_block_diag([r._drho(a, ambient) for r in self.reps])

    def _blocks(self, ambient: Ambient) -> list[BlockGroup]:
        groups, offset = [], 0
        for r in self.reps:
            groups += [BlockGroup(g.leaves, g.index + offset) for g in r._blocks(ambient)]
            offset += r.size
        return _merge(groups)

    def dual(self) -> Rep:
        return SumRep([r.dual() for r in self.reps])

    def _key(self) -> Hashable:
        return ("Sum", tuple(r._key() for r in self.reps))

    def _label(self) -> str:
        parts, i = [], 0
        while i < len(self.reps):
            j = i
            while j < len(self.reps) and self.reps[j] == self.reps[i]:
                j += 1
            label = self.reps[i]._label()
            if isinstance(self.reps[i], SumRep):
                label = f"({label})"
            parts.append(label if j - i == 1 else f"{j - i}{label}")
            i = j
        return "+".join(parts)


class TensorRep(Rep):
    """The tensor product of representations, laid out row-major (Kronecker order)."""

    def __init__(self, reps: Sequence[Rep]) -> None:
        flat: list[Rep] = []
        for r in reps:
            if not isinstance(r, Rep):
                raise TypeError(f"TensorRep: expected representations, got {type(r).__name__}")
            flat.extend(r.reps if isinstance(r, TensorRep) else [r])
        if not flat:
            raise ValueError("TensorRep: give at least one representation")
        self.reps: tuple[Rep, ...] = tuple(flat)

    @cached_property
    def size(self) -> int:  # type: ignore[override]
        return math.prod(r.size for r in self.reps)

    def _homes(self) -> list[Group]:
        return [h for r in self.reps for h in r._homes()]

    def _rho(self, g: Tensor, ambient: Ambient) -> Tensor:
        out = self.reps[0]._rho(g, ambient)
        for r in self.reps[1:]:
            out = _kron(out, r._rho(g, ambient))
        return out

    def _drho(self, a: Tensor, ambient: Ambient) -> Tensor:
        out = self.reps[0]._drho(a, ambient)
        for r in self.reps[1:]:
            b = r._drho(a, ambient)
            eye_a = torch.eye(out.shape[-1], dtype=out.dtype)
            eye_b = torch.eye(b.shape[-1], dtype=b.dtype)
            out = _kron(out, eye_b.to(out.dtype)) + _kron(eye_a.to(b.dtype), b)
        return out

    def _blocks(self, ambient: Ambient) -> list[BlockGroup]:
        groups = self.reps[0]._blocks(ambient)
        size = self.reps[0].size
        for r in self.reps[1:]:
            combined = []
            for a in groups:
                for b in r._blocks(ambient):
                    index = a.index[:, None, :, None] * r.size + b.index[None, :, None, :]
                    combined.append(
                        BlockGroup(a.leaves + b.leaves, index.reshape(a.count * b.count, -1))
                    )
            groups = _merge(combined)
            size *= r.size
        return groups

    def dual(self) -> Rep:
        return TensorRep([r.dual() for r in self.reps])

    def _key(self) -> Hashable:
        return ("Tensor", tuple(r._key() for r in self.reps))

    def _label(self) -> str:
        return "⊗".join(
            f"({r._label()})" if isinstance(r, SumRep) else r._label() for r in self.reps
        )


def _kron(a: Tensor, b: Tensor) -> Tensor:
    a, b = torch.broadcast_tensors(a[..., :, None, :, None], b[..., None, :, None, :])
    out = a * b
    return out.reshape(*out.shape[:-4], out.shape[-4] * out.shape[-3], -1)


def _term_rep(leaves: tuple[LeafKey, ...], ambient: Ambient) -> Rep:
    """A representation whose single block is the tensor product of ``leaves``."""
    if not leaves:
        return Scalar
    assert ambient.group is not None
    parts: list[Rep] = []
    for key in leaves:
        if len(key.positions) == len(ambient.factors):
            leaf = Vector(ambient.group, None, key.dual)
        elif len(key.positions) == 1:
            leaf = Vector(ambient.group, key.positions[0], key.dual)
        else:
            raise NotImplementedError(
                f"a leaf acting through the factors {key.positions} of {ambient.group!r} has "
                "no canonical form yet; use V(G) of the whole group or of one factor"
            )
        parts.append(leaf)
    return parts[0] if len(parts) == 1 else TensorRep(parts)
