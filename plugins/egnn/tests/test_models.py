"""The models: read-outs, the baselines' symmetries and their exact special cases."""

from __future__ import annotations

import pytest
import torch
from tessera_egnn import GNN, ConstantVelocity, EuclideanGroup, RadialField

import tessera


def test_models_are_built_by_name():
    """The four N-body models come from the registry and return positions in .x."""
    x, v = torch.randn(2, 5, 3), torch.randn(2, 5, 3)
    h, edge_attr = v.norm(dim=-1, keepdim=True), torch.randn(2, 5, 5, 2)
    for name, params in [
        ("egnn", {"edge_features": 2, "velocity": True}),
        ("egnn.gnn", {"edge_features": 2, "use_velocity": True}),
        ("egnn.radial_field", {"edge_features": 2, "velocity": True}),
        ("egnn.linear", {}),
    ]:
        model = tessera.create("model", name, **params)
        assert model(h, x, None, edge_attr, None, v).x.shape == (2, 5, 3)
        assert tessera.spec_of(model)["name"] == name


def test_constant_velocity_is_x_plus_tv():
    """The linear model moves each particle by t·v and leaves padded ones."""
    model = ConstantVelocity(initial_time=0.5)
    x, v = torch.randn(2, 4, 3), torch.randn(2, 4, 3)
    mask = torch.tensor([[True] * 4, [True, True, False, False]])
    out = model(torch.ones(2, 4, 1), x, mask, v=v).x
    torch.testing.assert_close(out[0], x[0] + 0.5 * v[0])
    torch.testing.assert_close(out[1, 2:], x[1, 2:])
    with pytest.raises(ValueError, match="needs velocities"):
        model(torch.ones(2, 4, 1), x)


def test_gnn_is_permutation_but_not_rotation_equivariant():
    """The GNN reads raw coordinates, so it respects S(N) only."""
    torch.manual_seed(0)
    gnn = GNN(in_features=1, use_velocity=True).double()
    generator = torch.Generator().manual_seed(0)
    inputs = gnn.example_inputs(2, generator)
    assert gnn.group.name == "S(5)"
    for group, equivariant in [
        (gnn.group, True),
        (EuclideanGroup(3, 5, translations=False, permutations=False), False),
    ]:
        g = group.sample(generator, dtype=torch.float64)
        with torch.no_grad():
            lhs = gnn(*gnn.act_on_inputs(g, inputs)).x
            rhs = gnn.act_on_outputs(g, gnn(*inputs)).x
        assert torch.allclose(lhs, rhs, atol=1e-10) == equivariant


def test_radial_field_ignores_features_without_velocity():
    """Without the velocity term the radial field depends on positions (and edges) only."""
    torch.manual_seed(0)
    rf = RadialField(hidden_features=8, num_layers=2)
    x = torch.randn(1, 5, 3)
    a = rf(torch.zeros(1, 5, 1), x).x
    b = rf(torch.randn(1, 5, 1), x).x
    torch.testing.assert_close(a, b)


def test_egnn_graph_output_is_invariant_and_node_output_permutes():
    """The pooled output is E(n) × S(N) invariant; node outputs are permuted."""
    torch.manual_seed(0)
    model = tessera.create(
        "model",
        "egnn",
        in_features=3,
        hidden_features=16,
        num_layers=2,
        out_features=2,
        graph_features=4,
    ).double()
    generator = torch.Generator().manual_seed(0)
    h, x, mask, *_ = model.example_inputs(3, generator)
    g = model.group.sample(generator)
    with torch.no_grad():
        out = model(h, x, mask)
        moved = model(g.nodes(h), g.points(x), g.mask(mask))
    assert out.graph.shape == (3, 4) and out.h.shape == (3, 5, 2)
    torch.testing.assert_close(moved.graph, out.graph, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(moved.h, g.nodes(out.h), rtol=1e-10, atol=1e-10)


def test_reset_parameters_redraws_weights():
    """reset_parameters gives fresh weights with the same shapes."""
    for model in (
        tessera.create("model", "egnn"),
        tessera.create("model", "egnn.gnn"),
        tessera.create("model", "egnn.radial_field"),
    ):
        before = {k: v.clone() for k, v in model.state_dict().items()}
        torch.manual_seed(123)
        model.reset_parameters()
        after = model.state_dict()
        assert before.keys() == after.keys()
        assert any(not torch.equal(before[k], after[k]) for k in before)
