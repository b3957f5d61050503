"""Groups: defining relations, exact samplers, Rubik's cube membership, rejection of
non-members."""

import math

import pytest
import torch
from tessera_emlp import (
    GL,
    O11,
    O13,
    SL,
    SO13,
    SU,
    C,
    Cube,
    D,
    RubiksCube,
    Scaling,
    SO11p,
    SO13p,
    Sp,
    U,
    Z,
)

GROUPS = [
    SU(2),
    SU(3),
    U(2),
    Sp(2),
    SL(3),
    GL(3),
    Scaling(3),
    Z(5),
    C(6),
    D(5),
    Cube(),
    RubiksCube(),
    O13(),
    SO13(),
    SO13p(),
    O11(),
    SO11p(),
]


@pytest.mark.parametrize("group", GROUPS, ids=repr)
def test_members_satisfy_relations(group):
    gen = torch.Generator().manual_seed(0)
    assert float(group.relation_residual(group.samples(16, gen)).max()) < 1e-9
    if len(group.discrete_generators):
        assert float(group.relation_residual(group.discrete_generators).max()) < 1e-9


@pytest.mark.parametrize(
    "group,outsider",
    [
        (SU(2), torch.diag(torch.tensor([1j, 1j], dtype=torch.complex128))),  # det −1
        (Sp(1), torch.tensor([[2.0, 0.0], [0.0, 1.0]])),
        (SL(2), torch.tensor([[2.0, 0.0], [0.0, 1.0]])),
        (GL(2), torch.tensor([[1.0, 1.0], [1.0, 1.0]])),
        (Scaling(2), torch.tensor([[1.0, 0.0], [0.0, 2.0]])),
        (C(4), torch.tensor([[0.0, 1.0], [1.0, 0.0]])),  # a reflection
        (D(4), torch.tensor([[math.cos(0.3), -math.sin(0.3)], [math.sin(0.3), math.cos(0.3)]])),
        (Z(3), torch.eye(3)[[1, 0, 2]]),
        (Cube(), torch.eye(6)[[1, 0, 2, 3, 4, 5]]),  # swaps opposite faces only
        (SO13p(), -torch.eye(4)),
        (SO13(), torch.diag(torch.tensor([1.0, -1.0, 1.0, 1.0]))),
        (O13(), torch.diag(torch.tensor([2.0, 1.0, 1.0, 1.0]))),
    ],
    ids=lambda x: repr(x) if not isinstance(x, torch.Tensor) else "",
)
def test_non_members_are_rejected(group, outsider):
    assert float(group.relation_residual(outsider)) > 1e-3


def test_rubiks_cube_membership():
    """Quarter turns are members; a lone corner twist, edge flip or swap is not."""
    cube = RubiksCube()
    identity = torch.arange(48)
    assert all(cube._contains(p) for p in cube.discrete_permutations)
    corner = cube._cubies[(1, 1, 1)]
    twisted = identity.clone()
    twisted[corner] = identity[[corner[1], corner[2], corner[0]]]
    edge = cube._cubies[(1, 1, 0)]
    flipped = identity.clone()
    flipped[edge] = identity[[edge[1], edge[0]]]
    a, b = cube._cubies[(1, 1, 0)], cube._cubies[(1, -1, 0)]
    swapped = identity.clone()
    swapped[a], swapped[b] = identity[b], identity[a]
    for bad in (twisted, flipped, swapped):
        assert not cube._contains(bad)
    # each quarter turn has order 4 and moves 20 facelets
    for p in cube.discrete_permutations:
        assert int((p != identity).sum()) == 20
        q = identity
        for _ in range(4):
            q = p[q]
        assert torch.equal(q, identity)


def test_cube_has_24_rotations_and_uniform_samples():
    cube = Cube()
    assert len(cube.elements) == 24
    samples = cube.sample_permutations(2400, torch.Generator().manual_seed(0))
    counts = torch.unique(samples, dim=0, return_counts=True)[1]
    assert len(counts) == 24 and int(counts.min()) > 50


def test_bad_sizes_are_rejected():
    with pytest.raises(ValueError, match="SU"):
        SU(0)
    with pytest.raises(TypeError, match="C"):
        C(2.5)
