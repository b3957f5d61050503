"""Finite groups: Z(n), C(k), D(k), the rotations of a cube and the Rubik's cube group.

Z(n), Cube and RubiksCube act by permutations and keep their generators as index
permutations; C(k) and D(k) act on the plane by rotations (and a reflection).

References:
    | A Practical Method for Constructing Equivariant Multilayer Perceptrons for
      Arbitrary Matrix Groups (Finzi et al., 2021)
    | https://arxiv.org/abs/2104.09459
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable
from functools import cached_property

import torch
from torch import Tensor

from tessera.kinds import Group
from tessera.kinds._group import (
    orthogonality_residual,
    permutation_matrices,
    permutation_residual,
)
from tessera_emlp._checks import positive_int

__all__ = ["C", "Cube", "D", "RubiksCube", "Z"]


def _check_count(group: Group, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"{group.name}: the number of samples must be an int ≥ 0, got {n!r}")
    return n


class _PermutationGroup(Group):
    """A finite group of permutation matrices, sampled from an explicit element list when it
    is small."""

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
        return permutation_matrices(self.sample_permutations(n, generator), self.dtype)

    def _contains(self, perm: Tensor) -> bool:
        """Whether the permutation vector ``perm`` is an element."""
        raise NotImplementedError

    def relation_residual(self, g: Tensor) -> Tensor:
        """The distance to the nearest permutation matrix, plus 1 where that permutation is
        not an element of the group; (...,)."""
        g = self._check_matrices(g)
        residual = permutation_residual(g)
        nearest = g.real.argmax(dim=-1).reshape(-1, self.d)
        outside = torch.tensor([0.0 if self._contains(p) else 1.0 for p in nearest])
        return residual + outside.reshape(residual.shape)


class Z(_PermutationGroup):
    """The cyclic group Z(n) of the ``n`` cyclic shifts of ``R^n``.

    Discrete generator: the shift ``perm[i] = (i + 1) mod n``. Samples are uniform.

    Arguments:
        n: the number of shifted coordinates, ≥ 1.

    Example:
        >>> Z(4).discrete_permutations.tolist()
        [[1, 2, 3, 0]]
    """

    def __init__(self, n: int) -> None:
        self.n = positive_int("Z(n)", n)

    @property
    def d(self) -> int:
        return self.n

    @property
    def name(self) -> str:
        return f"Z({self.n})"

    def _build_discrete_permutations(self) -> Tensor | None:
        if self.n == 1:
            return torch.zeros(0, 1, dtype=torch.long)
        return ((torch.arange(self.n) + 1) % self.n)[None]

    def sample_permutations(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` uniformly random shifts as permutation vectors, (n, d)."""
        shifts = torch.randint(self.n, (_check_count(self, n),), generator=generator)
        return (torch.arange(self.n)[None] + shifts[:, None]) % self.n

    def _contains(self, perm: Tensor) -> bool:
        shift = int(perm[0])
        return bool(torch.equal(perm, (torch.arange(self.n) + shift) % self.n))

    def _structure(self) -> Hashable:
        return (Z, self.n)


def _rotation(theta: float) -> Tensor:
    c, s = math.cos(theta), math.sin(theta)
    return torch.tensor([[c, -s], [s, c]], dtype=torch.float64)


class C(Group):
    """The cyclic group C(k) of rotations of the plane by multiples of ``2π / k``.

    Discrete generator: the rotation ``[[cos θ, −sin θ], [sin θ, cos θ]]``, ``θ = 2π / k``.
    Samples are uniform over the ``k`` elements.

    Arguments:
        k: the order, ≥ 1.

    Example:
        >>> G = C(4)
        >>> G.discrete_generators[0].round().tolist()
        [[0.0, -1.0], [1.0, 0.0]]
    """

    def __init__(self, k: int) -> None:
        self.k = positive_int(f"{type(self).__name__}(k)", k)

    @property
    def d(self) -> int:
        return 2

    @property
    def name(self) -> str:
        return f"{type(self).__name__}({self.k})"

    @property
    def is_compact(self) -> bool:
        return True

    def _build_discrete_generators(self) -> Tensor | None:
        return _rotation(2 * math.pi / self.k)[None]

    def _samples(self, n: int, generator: torch.Generator | None) -> Tensor:
        j = torch.randint(self.k, (n,), generator=generator)
        return torch.stack([_rotation(2 * math.pi * int(i) / self.k) for i in j]).reshape(n, 2, 2)

    def _rotation_residual(self, g: Tensor) -> Tensor:
        angle = torch.atan2(g[..., 1, 0].real, g[..., 0, 0].real)
        j = torch.round(angle * self.k / (2 * math.pi))
        theta = 2 * math.pi * j / self.k
        nearest = torch.stack(
            [torch.cos(theta), -torch.sin(theta), torch.sin(theta), torch.cos(theta)], dim=-1
        ).reshape(*theta.shape, 2, 2)
        return torch.linalg.matrix_norm(g - nearest.to(g.dtype)).to(torch.float64)

    def relation_residual(self, g: Tensor) -> Tensor:
        """``‖gᵀg − I‖_F`` plus the distance to the nearest rotation by a multiple of
        ``2π / k``; (...,)."""
        g = self._check_matrices(g)
        return orthogonality_residual(g) + self._rotation_residual(g)

    def _structure(self) -> Hashable:
        return (type(self), self.k)


class D(C):
    """The dihedral group D(k) of the regular ``k``-gon, acting on the plane.

    Discrete generators: the rotation of C(k) and the reflection ``diag(−1, 1)``. Samples are
    uniform over the ``2k`` elements.

    Arguments:
        k: the number of rotations, ≥ 1.

    Example:
        >>> len(D(6).discrete_generators)
        2
    """

    @property
    def reflection(self) -> Tensor:
        return torch.tensor([[-1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)

    def _build_discrete_generators(self) -> Tensor | None:
        return torch.stack([_rotation(2 * math.pi / self.k), self.reflection])

    def _samples(self, n: int, generator: torch.Generator | None) -> Tensor:
        rotations = super()._samples(n, generator)
        flip = torch.randint(2, (n,), generator=generator).bool()
        return torch.where(flip[:, None, None], rotations @ self.reflection, rotations)

    def relation_residual(self, g: Tensor) -> Tensor:
        """``‖gᵀg − I‖_F`` plus the distance to the nearest rotation, or reflected rotation;
        (...,)."""
        g = self._check_matrices(g)
        reflected = g @ self.reflection.to(g.dtype)
        nearest = torch.minimum(self._rotation_residual(g), self._rotation_residual(reflected))
        return orthogonality_residual(g) + nearest


# Cubes

_AXES = torch.eye(3, dtype=torch.long)


def _quarter_turn(normal: Tensor) -> Tensor:
    """The integer rotation by −90° about ``normal`` (clockwise seen from outside)."""
    x, y, z = normal.tolist()
    cross = torch.tensor([[0, -z, y], [z, 0, -x], [-y, x, 0]], dtype=torch.long)
    return -cross + torch.outer(normal, normal)


def _induced_permutation(points: list[tuple[int, ...]], rotate: dict) -> Tensor:
    """The permutation vector ``perm`` with ``perm[j] = i`` when point ``i`` moves to ``j``."""
    index = {p: i for i, p in enumerate(points)}
    perm = torch.arange(len(points))
    for i, p in enumerate(points):
        if p in rotate:
            perm[index[rotate[p]]] = i
    return perm


class Cube(_PermutationGroup):
    """The 24 rotations of a cube, acting by permutations on its six faces.

    Faces are ordered ``+x, −x, +y, −y, +z, −z``. Discrete generators: the quarter turns
    about the z and x axes. Samples are uniform over the 24 elements.

    Example:
        >>> G = Cube()
        >>> G.d, len(G.elements)
        (6, 24)
    """

    def __init__(self) -> None:
        pass

    @property
    def d(self) -> int:
        return 6

    @property
    def name(self) -> str:
        return "Cube"

    @cached_property
    def _normals(self) -> list[tuple[int, ...]]:
        return [tuple(int(v) for v in s * _AXES[a]) for a in range(3) for s in (1, -1)]

    def _build_discrete_permutations(self) -> Tensor | None:
        perms = []
        for axis in (2, 0):
            r = _quarter_turn(_AXES[axis])
            rotate = {n: tuple((r @ torch.tensor(n)).tolist()) for n in self._normals}
            perms.append(_induced_permutation(self._normals, rotate))
        return torch.stack(perms)

    @cached_property
    def elements(self) -> Tensor:
        """All 24 elements as permutation vectors, (24, 6)."""
        gens = self.discrete_permutations
        assert gens is not None
        found = {tuple(range(6))}
        frontier = [torch.arange(6)]
        while frontier:
            new = []
            for p in frontier:
                for q in gens:
                    r = tuple(q[p].tolist())
                    if r not in found:
                        found.add(r)
                        new.append(torch.tensor(r))
            frontier = new
        return torch.tensor(sorted(found))

    def sample_permutations(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` uniformly random rotations as permutation vectors, (n, 6)."""
        choice = torch.randint(len(self.elements), (_check_count(self, n),), generator=generator)
        return self.elements[choice]

    def _contains(self, perm: Tensor) -> bool:
        return bool((self.elements == perm).all(-1).any())

    def _structure(self) -> Hashable:
        return (Cube,)


class RubiksCube(_PermutationGroup):
    """The Rubik's cube group acting by permutations on the 48 movable facelets.

    A facelet is a cubie position ``p ∈ {−1, 0, 1}³`` with the outward normal of its face;
    facelets are ordered by face (U = +z, L = −x, F = −y, R = +x, B = +y, D = −z), then by
    position. Discrete generators: the six clockwise quarter turns U, L, F, R, B, D, as index
    permutations. Samples are random words of 64 turns.

    Membership (:meth:`relation_residual`) is decided exactly: a permutation is an element if
    and only if it moves whole cubies, turns corners without reflecting them, and keeps the
    total corner twist ≡ 0 (mod 3), the total edge flip ≡ 0 (mod 2) and equal parities of the
    corner and edge permutations.

    Example:
        >>> G = RubiksCube()
        >>> G.d, len(G.discrete_permutations)
        (48, 6)
    """

    sample_word_length = 64

    def __init__(self) -> None:
        pass

    @property
    def d(self) -> int:
        return 48

    @property
    def name(self) -> str:
        return "RubiksCube"

    @cached_property
    def face_normals(self) -> list[tuple[int, int, int]]:
        """Outward normals of the faces U, L, F, R, B, D."""
        return [(0, 0, 1), (-1, 0, 0), (0, -1, 0), (1, 0, 0), (0, 1, 0), (0, 0, -1)]

    @cached_property
    def facelets(self) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        """The 48 facelets as (position, normal)."""
        found = []
        for normal in self.face_normals:
            a = next(i for i in range(3) if normal[i])
            face = []
            for p in itertools.product((-1, 0, 1), repeat=3):
                others = [p[i] for i in range(3) if i != a]
                if p[a] == normal[a] and any(others):
                    face.append((p, normal))
            found += sorted(face)
        return found

    def _build_discrete_permutations(self) -> Tensor | None:
        perms = []
        for normal in self.face_normals:
            n = torch.tensor(normal)
            r = _quarter_turn(n)
            rotate = {}
            for p, f in self.facelets:
                if int(torch.tensor(p) @ n) == 1:
                    rotate[(p, f)] = (
                        tuple((r @ torch.tensor(p)).tolist()),
                        tuple((r @ torch.tensor(f)).tolist()),
                    )
            perms.append(_induced_permutation(self.facelets, rotate))
        return torch.stack(perms)

    # Membership

    @cached_property
    def _cubies(self) -> dict[tuple[int, ...], list[int]]:
        """Cubie position → its facelet indices, corners in right-handed cyclic order starting
        from the U/D facelet, edges starting from the reference facelet (U/D, else F/B)."""
        cubies: dict[tuple[int, ...], list[int]] = {}
        for i, (p, _) in enumerate(self.facelets):
            cubies.setdefault(p, []).append(i)
        for p, ids in cubies.items():
            ids.sort(key=lambda i: self._reference_rank(self.facelets[i][1]))
            if len(ids) == 3:
                normals = torch.tensor([self.facelets[i][1] for i in ids], dtype=torch.float64)
                if torch.linalg.det(normals) < 0:
                    ids[1], ids[2] = ids[2], ids[1]
            cubies[p] = ids
        return cubies

    @staticmethod
    def _reference_rank(normal: tuple[int, ...]) -> int:
        return 0 if normal[2] else 1 if normal[1] else 2

    def _contains(self, perm: Tensor) -> bool:
        source = perm.tolist()
        position = {i: p for i, (p, _) in enumerate(self.facelets)}
        cubies = self._cubies
        twist, flip = 0, 0
        moves: dict[int, dict[tuple[int, ...], tuple[int, ...]]] = {2: {}, 3: {}}
        for slot, ids in cubies.items():
            came = [source[i] for i in ids]
            origin = position[came[0]]
            if any(position[c] != origin for c in came) or len(cubies[origin]) != len(ids):
                return False  # the facelets of one cubie were split up
            order = cubies[origin]
            offset = order.index(came[0])
            if len(ids) == 3:
                if [order[(offset + k) % 3] for k in range(3)] != came:
                    return False  # a reflected corner
                twist += offset
            else:
                flip += offset
            moves[len(ids)][slot] = origin
        return twist % 3 == 0 and flip % 2 == 0 and _parity(moves[3]) == _parity(moves[2])

    def _structure(self) -> Hashable:
        return (RubiksCube,)


def _parity(mapping: dict) -> int:
    """The parity of a permutation given as a dict from each item to its image."""
    seen, parity = set(), 0
    for start in mapping:
        length, item = 0, start
        while item not in seen:
            seen.add(item)
            item = mapping[item]
            length += 1
        if length:
            parity += length - 1
    return parity % 2
