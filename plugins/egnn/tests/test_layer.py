"""The EGNN layer: equations against a per-node loop, each symmetry, masks, given edges."""

from __future__ import annotations

import pytest
import torch
from tessera_egnn import (
    EGNN,
    EGNNLayer,
    EuclideanGroup,
    EuclideanTransform,
    RadialField,
    edges_to_adjacency,
    pad_graphs,
)

OPTIONS = {
    "plain": {},
    "velocity": {"velocity": True},
    "normalized-tanh": {"normalize": True, "tanh": True, "coords_range": 2.0},
    "attention-sum-edges": {"attention": True, "coord_aggregation": "sum", "edge_features": 3},
    "invariant": {"update_coords": False},
}
SYMMETRIES = {
    "rotation": {"reflections": False, "translations": False, "permutations": False},
    "reflection": {"rotations": False, "translations": False, "permutations": False},
    "translation": {"rotations": False, "reflections": False, "permutations": False},
    "permutation": {"rotations": False, "reflections": False, "translations": False},
}


def _layer(dim: int, num_nodes: int = 6, **options) -> EGNNLayer:
    torch.manual_seed(0)
    layer = EGNNLayer(
        in_features=4, hidden_features=16, dim=dim, num_nodes=num_nodes, **options
    ).double()
    # Larger coordinate weights than the near-zero initialisation, so x really moves
    torch.nn.init.normal_(layer.coord_mlp[-1].weight) if layer.coord_mlp is not None else None
    return layer


def _equivariance_error(module, g: EuclideanTransform, inputs) -> float:
    with torch.no_grad():
        lhs = module(*module.act_on_inputs(g, inputs))
        rhs = module.act_on_outputs(g, module(*inputs))
    return max(float((a - b).abs().max()) for a, b in zip(lhs, rhs) if a is not None)


def _check_element(symmetry: str, g: EuclideanTransform) -> None:
    """The sampled element is of the kind under test and not the identity."""
    det = float(torch.linalg.det(g.rotation))
    moved = not torch.equal(g.permutation, torch.arange(g.num_nodes))
    if symmetry == "rotation":
        assert det == pytest.approx(1.0) and not torch.allclose(
            g.rotation, torch.eye(g.dim).double()
        )
    elif symmetry == "reflection":
        assert det == pytest.approx(-1.0)
    elif symmetry == "translation":
        assert float(g.translation.abs().max()) > 0 and torch.equal(
            g.rotation, torch.eye(g.dim).double()
        )
    else:
        assert moved and torch.equal(g.rotation, torch.eye(g.dim).double())


@pytest.mark.parametrize("symmetry", list(SYMMETRIES))
@pytest.mark.parametrize("dim", [2, 3, 5])
@pytest.mark.parametrize("option", list(OPTIONS))
def test_layer_is_equivariant_to_each_symmetry(symmetry, dim, option):
    """f(g·inputs) = g·f(inputs) for rotations, reflections, translations and permutations
    separately, in dimensions 2, 3 and 5."""
    layer = _layer(dim, **OPTIONS[option])
    generator = torch.Generator().manual_seed(dim)
    group = EuclideanGroup(dim, layer.num_nodes, **SYMMETRIES[symmetry])
    for _ in range(2):
        g = group.sample(generator)
        _check_element(symmetry, g)
        inputs = layer.example_inputs(3, generator)
        assert _equivariance_error(layer, g, inputs) < 1e-10


@pytest.mark.parametrize("symmetry", list(SYMMETRIES))
@pytest.mark.parametrize("dim", [2, 5])
@pytest.mark.parametrize(
    "make",
    [
        lambda dim: EGNN(
            in_features=2,
            hidden_features=8,
            num_layers=2,
            velocity=True,
            edge_features=1,
            graph_features=2,
            dim=dim,
        ),
        lambda dim: RadialField(
            hidden_features=8, num_layers=2, velocity=True, edge_features=2, dim=dim
        ),
    ],
    ids=["egnn-model", "radial-field"],
)
def test_models_are_equivariant_to_each_symmetry(symmetry, dim, make):
    """The stacked model and the radial field respect each symmetry separately too."""
    torch.manual_seed(0)
    model = make(dim).double()
    generator = torch.Generator().manual_seed(1)
    g = EuclideanGroup(dim, model.num_nodes, **SYMMETRIES[symmetry]).sample(generator)
    assert _equivariance_error(model, g, model.example_inputs(2, generator)) < 1e-10


def test_translation_and_permutation_checks_catch_a_broken_layer():
    """A layer that adds node 0's position to every output breaks translation and
    permutation equivariance (not rotation), and the checks above see it."""

    class Broken(EGNNLayer):
        def forward(self, *inputs):
            h, x = super().forward(*inputs)
            return h, x + x[:, :1]

    torch.manual_seed(0)
    layer = Broken(in_features=4, hidden_features=8).double()
    generator = torch.Generator().manual_seed(0)
    errors = {
        name: _equivariance_error(
            layer,
            EuclideanGroup(3, 5, **sub).sample(generator),
            layer.example_inputs(2, generator),
        )
        for name, sub in SYMMETRIES.items()
    }
    assert errors["rotation"] < 1e-10 and errors["reflection"] < 1e-10
    assert errors["translation"] > 1e-3 and errors["permutation"] > 1e-3


def _reference(layer: EGNNLayer, h, x, edge_attr, adjacency, v):
    """The layer's equations node by node, for one graph: h (n, F), x (n, d)."""
    n = len(x)
    h_new, x_new = [], []
    for i in range(n):
        messages, moves = [], []
        for j in range(n):
            if i == j or not adjacency[i, j]:
                continue
            diff = x[i] - x[j]
            radial = diff.square().sum()[None]
            parts = [h[i], h[j], radial] + ([edge_attr[i, j]] if edge_attr is not None else [])
            m = layer.edge_mlp(torch.cat(parts))
            if layer.attention_mlp is not None:
                m = m * layer.attention_mlp(m)
            messages.append(m)
            if layer.coord_mlp is not None:
                weight = layer.coord_mlp(m)
                if layer.tanh:
                    weight = layer.coords_range * torch.tanh(weight)
                if layer.normalize:
                    diff = diff / (torch.sqrt(radial + 1e-16) + 1e-8)
                moves.append(diff * weight)
        total = torch.stack(messages).sum(0) if messages else torch.zeros(layer.hidden_features)
        out = layer.node_mlp(torch.cat([h[i], total]))
        h_new.append(h[i] + out if layer.residual else out)
        xi = x[i]
        if layer.coord_mlp is not None:
            if moves:
                move = torch.stack(moves).sum(0)
                xi = xi + (move / len(moves) if layer.coord_aggregation == "mean" else move)
            if v is not None:
                xi = xi + layer.velocity_mlp(h[i]) * v[i]
        x_new.append(xi)
    return torch.stack(h_new), torch.stack(x_new)


@pytest.mark.parametrize("option", list(OPTIONS))
def test_layer_matches_the_equations_on_given_edges(option):
    """The dense, masked computation equals a per-node loop over a random sparse graph."""
    layer = _layer(3, num_nodes=7, **OPTIONS[option])
    generator = torch.Generator().manual_seed(3)
    h, x, _, edge_attr, _, v = layer.example_inputs(1, generator)
    adjacency = torch.rand(1, 7, 7, generator=generator) < 0.4
    adjacency[0, 2] = False  # node 2 receives nothing
    with torch.no_grad():
        h_out, x_out = layer(h, x, None, edge_attr, adjacency, v)
        h_ref, x_ref = _reference(
            layer,
            h[0],
            x[0],
            None if edge_attr is None else edge_attr[0],
            adjacency[0],
            None if v is None else v[0],
        )
    torch.testing.assert_close(h_out[0], h_ref, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(x_out[0], x_ref, rtol=1e-10, atol=1e-10)


def test_all_edges_given_equals_fully_connected():
    """An adjacency with every edge (self-loops included) changes nothing."""
    layer = _layer(3, edge_features=3, velocity=True)
    inputs = layer.example_inputs(2, torch.Generator().manual_seed(0))
    full = torch.ones(2, 6, 6, dtype=torch.bool)
    h, x, mask, edge_attr, _, v = inputs
    with torch.no_grad():
        a = layer(h, x, mask, edge_attr, None, v)
        b = layer(h, x, mask, edge_attr, full, v)
    torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_edge_index_gives_the_same_graph():
    """edges_to_adjacency turns an edge index (receiver row first) into the dense mask."""
    index = torch.tensor([[0, 1, 2, 2], [1, 0, 0, 1]])
    adjacency = edges_to_adjacency(index, 4)
    assert adjacency.sum() == 4 and adjacency[2, 0] and adjacency[2, 1] and not adjacency[0, 2]
    with pytest.raises(ValueError, match="names node 4"):
        edges_to_adjacency(torch.tensor([[0], [4]]), 4)


@pytest.mark.parametrize("dim", [2, 3, 5])
@pytest.mark.parametrize("module", ["layer", "model"])
def test_padded_batch_equals_each_graph_alone(dim, module):
    """Graphs of 3, 6 and 1 nodes in one masked batch give what each gives alone; padded
    nodes get zero features and keep their positions."""
    torch.manual_seed(0)
    if module == "layer":
        net = EGNNLayer(in_features=2, hidden_features=8, edge_features=1, velocity=True)
    else:
        net = EGNN(
            in_features=2,
            hidden_features=8,
            num_layers=2,
            edge_features=1,
            velocity=True,
            out_features=3,
            graph_features=2,
            pooling="mean",
        )
    net = net.double().eval()
    generator = torch.Generator().manual_seed(dim)
    sizes = [3, 6, 1]
    hs = [torch.randn(n, 2, generator=generator, dtype=torch.float64) for n in sizes]
    xs = [torch.randn(n, dim, generator=generator, dtype=torch.float64) for n in sizes]
    vs = [torch.randn(n, dim, generator=generator, dtype=torch.float64) for n in sizes]
    es = [torch.randn(n, n, 1, generator=generator, dtype=torch.float64) for n in sizes]
    h, x, mask, _ = pad_graphs(hs, xs)
    _, v, _, _ = pad_graphs(hs, vs)
    edge_attr = torch.zeros(3, 6, 6, 1, dtype=torch.float64)
    for b, e in enumerate(es):
        edge_attr[b, : sizes[b], : sizes[b]] = e
    x_padded = x.clone()
    x_padded[~mask] = 7.0  # padded positions must not leak into real nodes
    with torch.no_grad():
        batched = net(h, x_padded, mask, edge_attr, None, v)
        for b, n in enumerate(sizes):
            alone = net(hs[b][None], xs[b][None], None, es[b][None], None, vs[b][None])
            for got, want in zip(batched, alone):
                if got is None:
                    continue
                part = got[b] if got.ndim == 2 else got[b, :n]
                torch.testing.assert_close(part, want[0], rtol=1e-10, atol=1e-10)
            assert (batched[1][b, n:] == 7.0).all()
            assert (batched[0][b, n:] == 0).all()


def test_invariant_mode_keeps_positions_and_invariant_features():
    """update_coords=False passes x through, and h is invariant under E(n) × S(N) up to
    the node permutation."""
    layer = _layer(3, update_coords=False)
    generator = torch.Generator().manual_seed(0)
    h, x, mask, *_ = layer.example_inputs(2, generator)
    g = EuclideanGroup(3, 6).sample(generator)
    with torch.no_grad():
        h1, x1 = layer(h, x, mask)
        h2, _ = layer(g.nodes(h), g.points(x), g.mask(mask))
    assert torch.equal(x1, x)
    torch.testing.assert_close(h2, g.nodes(h1), rtol=1e-10, atol=1e-10)


def test_gradients_are_finite_with_coincident_points():
    """Normalised differences stay differentiable when two points coincide."""
    layer = _layer(3, normalize=True)
    h, x, *_ = layer.example_inputs(1, torch.Generator().manual_seed(0))
    x = x.clone()
    x[0, 1] = x[0, 0]
    x.requires_grad_(True)
    _, out = layer(h, x)
    out.sum().backward()
    assert torch.isfinite(x.grad).all()


def test_group_names_and_samples():
    """Names follow the parts switched on; samples are orthogonal."""
    assert EuclideanGroup(3, 5).name == "E(3)×S(5)"
    assert EuclideanGroup(2, 4, reflections=False, translations=False).name == "SO(2)×S(4)"
    assert (
        EuclideanGroup(3, 5, rotations=False, reflections=False, permutations=False).name == "T(3)"
    )
    g = EuclideanGroup(5, 4).sample(torch.Generator().manual_seed(0), dtype=torch.float32)
    assert g.rotation.dtype == torch.float32
    torch.testing.assert_close(g.rotation @ g.rotation.T, torch.eye(5), rtol=0, atol=1e-5)
    assert sorted(g.permutation.tolist()) == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"h": torch.zeros(2, 5, 3)}, "h must have shape"),
        ({"mask": torch.ones(2, 4, dtype=torch.bool)}, "mask must have shape"),
        ({"edge_attr": torch.zeros(2, 5, 5, 1)}, "edge_features=0"),
        ({"adjacency": torch.ones(2, 5, 4, dtype=torch.bool)}, "adjacency must have shape"),
        ({"v": torch.zeros(2, 5, 3)}, "without velocities"),
    ],
)
def test_bad_inputs_name_the_problem(kwargs, message):
    """Wrong shapes raise ValueError naming the input and the expected shape."""
    layer = EGNNLayer(in_features=4, hidden_features=8)
    inputs = {"h": torch.zeros(2, 5, 4), "x": torch.zeros(2, 5, 3)} | kwargs
    with pytest.raises(ValueError, match=message):
        layer(**inputs)


def test_bad_configs_fail_in_validation():
    """Contradictory options are rejected before anything is built."""
    import tessera
    from tessera.errors import ConfigError

    with pytest.raises(ConfigError, match="residual"):
        tessera.create("equivariant_layer", "egnn", in_features=4, out_features=6)
    with pytest.raises(ConfigError, match="update_coords"):
        tessera.create("equivariant_layer", "egnn", velocity=True, update_coords=False)
