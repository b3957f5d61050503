"""Equivariant bases: ranks against independently derived dimensions, invariance of the
basis, agreement of the solver's paths, and clear errors."""

import itertools
import math

import pytest
import torch
from tessera_emlp import (
    GL,
    O13,
    SL,
    SO13,
    SU,
    C,
    Cube,
    D,
    NoSpectralGapError,
    RubiksCube,
    Scalar,
    Scaling,
    SO13p,
    SolverOptions,
    Sp,
    T,
    U,
    V,
    Z,
    equivariant_basis,
    equivariant_projector,
)

from tessera.groups import SO, O, S, Trivial
from tessera.kinds import Group


def rank(rep, **options):
    return equivariant_basis(rep, SolverOptions(**options)).shape[1]


def so3_invariants(k: int) -> int:
    """dim of SO(3)-invariants of V^⊗k by the Weyl integration formula,
    (1/π) ∫₀^π (1 − cos θ)(1 + 2 cos θ)^k dθ, by the trapezoid rule on a fine grid."""
    theta = torch.linspace(0, math.pi, 20001, dtype=torch.float64)
    f = (1 - torch.cos(theta)) * (1 + 2 * torch.cos(theta)) ** k
    return round(float(torch.trapezoid(f, theta)) / math.pi)


def burnside(perms: list[tuple[int, ...]], k: int) -> int:
    """dim of invariants of a permutation representation's k-th tensor power: the mean of
    (fixed points)^k over the group."""
    fixed = [sum(i == p[i] for i in range(len(p))) for p in perms]
    return round(sum(f**k for f in fixed) / len(perms))


def finite_average(elements: torch.Tensor, k: int) -> int:
    """mean of tr(g)^k over the elements of a finite real orthogonal group."""
    traces = elements.diagonal(dim1=-2, dim2=-1).sum(-1)
    return round(float((traces**k).mean()))


@pytest.mark.parametrize("k", [2, 3, 4, 5, 6])
def test_so3_tensor_ranks_match_character_integration(k):
    assert rank(T(k, 0, SO(3))) == so3_invariants(k)


def test_so3_known_values():
    assert (rank(T(4, 0, SO(3))), rank(T(6, 0, SO(3)))) == (3, 15)


def test_weight_space_components_solved_iteratively():
    """Zero-weight components larger than ``dense_limit`` take the iterative path."""
    assert rank(T(6, 0, SO(3)), dense_limit=40) == 15
    assert rank(T(7, 0, SO(3)), dense_limit=40) == so3_invariants(7)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_o3_kills_odd_tensors(k):
    assert rank(T(k, 0, O(3))) == (so3_invariants(k) if k % 2 == 0 else 0)


@pytest.mark.parametrize("n,k", [(3, 2), (4, 3), (5, 4), (4, 4), (6, 3)])
def test_symmetric_group_ranks_match_burnside(n, k):
    perms = list(itertools.permutations(range(n)))
    assert rank(T(k, 0, S(n))) == burnside(perms, k)


@pytest.mark.parametrize("n,k", [(4, 2), (5, 3), (3, 4)])
def test_cyclic_shift_ranks_match_burnside(n, k):
    perms = [tuple((i + s) % n for i in range(n)) for s in range(n)]
    assert rank(T(k, 0, Z(n))) == burnside(perms, k)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_cube_ranks_match_burnside(k):
    perms = [tuple(p.tolist()) for p in Cube().elements]
    assert rank(T(k, 0, Cube())) == burnside(perms, k)


@pytest.mark.parametrize("group", [C(3), C(4), D(3), D(6)], ids=repr)
@pytest.mark.parametrize("k", [2, 3, 4])
def test_planar_finite_group_ranks_match_characters(group, k):
    samples = group.samples(4000, torch.Generator().manual_seed(0))
    elements = torch.unique(samples.round(decimals=8), dim=0)
    assert rank(T(k, 0, group)) == finite_average(elements, k)


def test_rubiks_cube_map_rank():
    """Orbits of the cube group on pairs of facelets: 4 corner-corner (equal, the two
    cyclic neighbours, other corners), 3 edge-edge, 1 each mixed."""
    assert rank(V(RubiksCube()) >> V(RubiksCube())) == 9


@pytest.mark.parametrize(
    "group,p,q,expected",
    [
        (SO13p(), 2, 2, 4),  # two δδ, ηη, ε
        (SO13(), 4, 0, 4),
        (O13(), 4, 0, 3),  # parity removes ε
        (SO13p(), 1, 1, 1),
        (SU(2), 2, 0, 1),  # ε
        (SU(2), 4, 0, 2),  # Catalan(2)
        (SU(2), 6, 0, 5),  # Catalan(3)
        (U(3), 2, 2, 2),  # Schur–Weyl: 2!
        (U(3), 3, 3, 6),  # 3!
        (U(2), 2, 0, 0),
        (Sp(1), 4, 0, 2),  # Sp(2) = SL(2)
        (Sp(2), 2, 0, 1),  # the symplectic form
        (SL(3), 3, 0, 1),  # ε
        (GL(3), 2, 2, 2),
        (GL(3), 2, 1, 0),
        (Scaling(2), 1, 1, 4),
        (Scaling(2), 2, 1, 0),
        (Trivial(2), 2, 0, 4),
    ],
    ids=str,
)
def test_lie_group_ranks(group, p, q, expected):
    assert rank(T(p, q, group)) == expected


def test_product_group_sums_across_factors():
    """A representation of SO(3) × S(4) with summands of different factors."""
    G = SO(3) * S(4)
    rep = V(G, factor=0) + V(G, factor=1)
    assert rank(rep >> rep) == 1 + 2  # V₀→V₀ (identity), V₁→V₁ (I, J); cross terms 0
    mixed = V(SO(3)) * V(S(4))
    assert mixed.group == G and rank(mixed) == 0
    assert rank(V(SO(3)) ** 2 * V(S(4)) ** 2) == 1 * 2
    assert rank(V(SO(3)) + V(S(4))) == 1  # the S(4) sum is invariant, SO(3) has none


@pytest.mark.parametrize(
    "rep",
    [
        T(2, 2, SO13p()),
        T(4, 0, O(3)),
        V(S(4)) >> T(2, 0, S(4)),
        T(4, 0, D(4)),
        T(2, 2, SU(2)),
        V(SO(3)) * V(S(3)) >> V(SO(3)) * V(S(3)),
    ],
    ids=repr,
)
def test_basis_is_invariant_and_orthonormal(rep):
    basis = equivariant_basis(rep)
    eye = torch.eye(basis.shape[1], dtype=basis.dtype)
    assert torch.allclose(basis.mH @ basis, eye, atol=1e-10)
    group = rep.group
    g = group.samples(4, torch.Generator().manual_seed(1))
    for gi in g:
        rho = rep.rho(gi).to(basis.dtype)
        assert float((rho @ basis - basis).abs().max()) < 1e-9 * float(rho.abs().max())


def _two_rotation_factors():
    G = SO(3) * SO(3)
    return (V(G, factor=0) + V(G, factor=1)) ** 2  # a repeated zero weight in each leaf


@pytest.mark.parametrize(
    "rep",
    [T(4, 0, O(3)), T(1, 1, SO13p()), T(3, 0, S(4)), T(2, 0, C(5)), _two_rotation_factors()],
    ids=repr,
)
def test_solver_paths_agree(rep):
    """The reduced solve, the dense solve and the iterative solve span the same space."""
    spans = [
        equivariant_basis(rep, SolverOptions(method=m)) for m in ("auto", "dense", "iterative")
    ]
    for b in spans[1:]:
        assert b.shape == spans[0].shape
        assert torch.allclose(b @ b.mH, spans[0] @ spans[0].mH, atol=1e-7)


def test_projector_projects():
    rep = V(SO(3)) + T(2, 0, SO(3))
    P = equivariant_projector(rep >> rep)
    x = torch.randn(rep.size**2, 2, dtype=torch.float64)
    once = P.matmat(x)
    assert torch.allclose(P.matmat(once), once, atol=1e-10)
    W = once[:, 0].reshape(rep.size, rep.size)
    g = SO(3).sample(torch.Generator().manual_seed(0))
    rho = rep.rho(g)
    assert torch.allclose(rho @ W, W @ rho, atol=1e-10)


def test_canonical_form_and_cache_reuse():
    G = SO(3)
    rep = (V(G) + Scalar) * V(G)
    canonical, perm = rep.canonical()
    assert repr(canonical) == "V+V⊗V"
    assert perm.tolist() == [9, 10, 11, 0, 1, 2, 3, 4, 5, 6, 7, 8]
    g = G.sample(torch.Generator().manual_seed(0))
    assert torch.allclose(canonical.rho(g), rep.rho(g)[perm][:, perm])
    assert rank(rep) == rank(canonical) == 1


class _SlowRotation(Group):
    """A badly posed group: rotations of the plane by 10⁻⁴ rad generate a dense subgroup,
    whose constraint has singular values far below the gap."""

    @property
    def d(self) -> int:
        return 2

    def _build_discrete_generators(self):
        t = 1e-4
        return torch.tensor(
            [[[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]]], dtype=torch.float64
        )


def test_unclear_gap_raises():
    with pytest.raises(NoSpectralGapError, match="no clear spectral gap"):
        equivariant_basis(V(_SlowRotation()) >> V(_SlowRotation()))


def test_rep_errors_are_precise():
    with pytest.raises(ValueError, match="factor"):
        V(SO(3) * S(4), factor=2)
    with pytest.raises(ValueError, match="multiplicity"):
        0 * V(SO(3))
    G = SO(3)
    with pytest.raises(ValueError, match="expected"):
        V(G).rho(torch.eye(4))


@pytest.mark.slow
def test_so3_t8_rank():
    assert rank(T(5, 0, SO(3)) >> T(3, 0, SO(3))) == 91
