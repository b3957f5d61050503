"""Layers: equivariance of every real group × several representations in float32, the
channel heuristic, and the registry round trip."""

import pytest
import torch
from tessera_emlp import (
    EMLP,
    GL,
    O11,
    O13,
    SL,
    SO13,
    SU,
    BiLinear,
    C,
    Cube,
    D,
    EquivariantLinear,
    RubiksCube,
    Scalar,
    Scaling,
    SO11p,
    SO13p,
    Sp,
    V,
    Z,
    gated,
    parse_rep,
    uniform_rep,
)

import tessera
from tessera.groups import SO, O, S, Trivial

GROUPS = [
    SO(3),
    O(4),
    S(5),
    Trivial(2),
    SO(2) * S(3),
    O13(),
    SO13(),
    SO13p(),
    O11(),
    SO11p(),
    Sp(1),
    SL(2),
    GL(2),
    Scaling(2),
    Z(4),
    C(5),
    D(3),
    Cube(),
    RubiksCube(),
]
REPS = [("V", "V"), ("2*V + Scalar", "V**2 + Scalar"), ("V + V.T", "Scalar + T(1,1)")]


def relative_error(layer, rep_in, rep_out, group, dtype):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(8, rep_in.size, generator=gen, dtype=dtype)
    g = group.sample(gen).to(dtype)
    with torch.no_grad():
        lhs = layer(x @ rep_in.rho(g).T.to(dtype))
        rhs = layer(x) @ rep_out.rho(g).T.to(dtype)
    return float((lhs - rhs).abs().max()) / max(float(rhs.abs().max()), 1.0)


@pytest.mark.parametrize("group", GROUPS, ids=repr)
@pytest.mark.parametrize("reps", REPS, ids=str)
def test_emlp_is_equivariant_in_float32(group, reps):
    if group.d > 8 and reps[0] != "V":
        pytest.skip("large tensor powers of the 48-dimensional cube representation")
    model = EMLP(group, *reps, channels=24, num_layers=2).float()
    error = relative_error(model, model.rep_in, model.rep_out, group, torch.float32)
    assert error <= 1e-5


@pytest.mark.parametrize("group", [SO(3), O13(), S(4), D(4)], ids=repr)
def test_linear_and_bilinear_are_equivariant_in_float64(group):
    rep = Scalar + V(group) + V(group) ** 2
    for layer in (EquivariantLinear(rep, rep), BiLinear(rep, rep)):
        assert relative_error(layer.double(), rep, rep, group, torch.float64) < 1e-12


def test_linear_matches_projected_dense_map():
    """The weight commutes with ρ and spans all equivariant maps (V → V of SO(3): c·I)."""
    layer = EquivariantLinear(V(SO(3)), V(SO(3)), bias=False).double()
    w = layer.weight()
    assert torch.allclose(w, w[0, 0] * torch.eye(3, dtype=w.dtype), atol=1e-12)


def test_uniform_rep_is_seedable_and_sized():
    G = O13()
    a = uniform_rep(200, G, torch.Generator().manual_seed(3))
    b = uniform_rep(200, G, torch.Generator().manual_seed(3))
    assert a == b and abs(a.size - 200) <= 4 * 4
    assert uniform_rep(384, O(5)).size == 384  # 134 + 25·5 + 5·25


def test_gated_and_parse():
    G = SO(3)
    assert gated(parse_rep("2*V + Scalar", G)).size == 6 + 1 + 2
    with pytest.raises(ValueError, match="unknown name"):
        parse_rep("W + V", G)


def test_complex_groups_are_refused_by_layers():
    with pytest.raises(NotImplementedError, match="complex"):
        EMLP(SU(2), "V", "V")


def test_registry_round_trip_and_config_errors():
    model = tessera.create(
        "equivariant_layer",
        "emlp",
        group={"name": "emlp.o13"},
        rep_in="4*V",
        channels=16,
        num_layers=1,
    )
    assert tessera.spec_of(model)["params"]["group"]["name"] == "emlp.o13"
    with pytest.raises(Exception, match="rep_in"):
        tessera.create(
            "equivariant_layer", "emlp", group={"name": "so", "params": {"n": 3}}, rep_in="V +"
        )
