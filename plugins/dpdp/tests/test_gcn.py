"""Heatmap models: the GCN's graph, outputs, loss and training, and the distance heatmap."""

from __future__ import annotations

import math

import pytest
import torch
from tessera_dpdp import DPDP, GCN, DistanceHeatmap, balanced_loss
from tessera_dpdp._gcn import edge_targets, graph_inputs
from tessera_dpdp._solver import SHIPPED_CHECKPOINTS, _checkpoint_path

import tessera
from tessera.problems import CVRP, TSP, TSPTW


def test_heatmap_is_a_symmetric_probability_on_the_knn_graph():
    """p in [0, 1], symmetric for TSP, -inf exactly off the (symmetrised) kNN graph."""
    torch.manual_seed(0)
    problems = [TSP.random(12, seed=s) for s in range(2)]
    model = GCN(hidden_features=8, num_layers=2, knn=3)
    with torch.no_grad():
        log_p = model.heatmap(problems)
    p = log_p.exp()
    assert log_p.shape == (2, 12, 12)
    assert bool(((p >= 0) & (p <= 1)).all())
    assert torch.allclose(p, p.transpose(1, 2))
    inputs = graph_inputs(problems, "tsp", 3)
    on_graph = torch.zeros(2, 12, 12, dtype=torch.bool)
    on_graph[tuple(inputs.where)] = True
    assert torch.equal(torch.isfinite(log_p), on_graph)
    assert bool((on_graph.sum(-1) >= 3).all())


def test_cvrp_graph_connects_the_depot_and_reads_demands():
    """CVRP inputs: every customer has edges to and from the depot, 4 features a node."""
    problem = CVRP.random(15, seed=0)
    inputs = graph_inputs([problem], "cvrp", 3)
    _, s, t = inputs.where
    assert set(t[s == 0].tolist()) == set(range(1, 16))
    assert inputs.nodes.shape == (16, 4)
    assert inputs.nodes[1, 2] == pytest.approx(problem.demands[1] / problem.capacity)


def test_edge_targets_mark_both_directions_of_solution_edges():
    """Targets are the solution's edges (routes through the depot), undirected."""
    problem = CVRP.random(6, seed=0)
    inputs = graph_inputs([problem], "cvrp", 6)  # every edge
    routes = [[1, 2, 3], [4, 5, 6]]
    y = edge_targets(inputs, [routes], "cvrp")
    marked = {(int(s), int(t)) for (_, s, t), v in zip(inputs.where.T, y) if v}
    expected = {(0, 1), (1, 2), (2, 3), (3, 0), (0, 4), (4, 5), (5, 6), (6, 0)}
    assert marked == expected | {(t, s) for s, t in expected}


def test_balanced_loss_weighs_both_classes_alike():
    """With class weights E / (2 count) each class contributes half of the loss: the one
    positive edge counts as much as the seven negative ones together."""
    targets = torch.tensor([1, 0, 0, 0, 0, 0, 0, 0])
    logits = torch.zeros(8, 2)
    logits[0] = torch.tensor([0.0, 5.0])
    expected = 0.5 * (math.log1p(math.exp(-5.0)) + math.log(2))
    assert float(balanced_loss(logits, targets)) == pytest.approx(expected, rel=1e-6)
    assert float(balanced_loss(torch.zeros(4, 2), torch.tensor([1, 0, 1, 0]))) == pytest.approx(
        math.log(2)
    )


def test_training_fits_a_few_solutions():
    """A few hundred Adam steps on four labelled instances drive the loss down."""
    from tessera_dpdp import TwoOpt

    torch.manual_seed(0)
    problems = [TSP.random(10, seed=s) for s in range(4)]
    values = [TwoOpt().solve(p).value for p in problems]
    model = GCN(hidden_features=16, num_layers=3, knn=5)
    inputs = model.inputs(problems)
    targets = edge_targets(inputs, values, "tsp")
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = None
    for _ in range(150):
        loss = balanced_loss(model(inputs), targets)
        first = loss.item() if first is None else first
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.5 * first


def test_solver_with_a_model_reads_its_problem_type_only():
    """A TSP heatmap model restricts the solver to TSP, and says so for other types."""
    solver = DPDP(beam_size=10, score="heatmap", graph="heatmap", model=GCN(hidden_features=8))
    assert solver.problem_types == (TSP,)
    with pytest.raises(TypeError, match="supported: TSP"):
        solver.solve(CVRP.random(5, seed=0))


def test_models_need_coordinates():
    """An explicit-matrix instance has no coordinates for the GCN: a clear error."""
    problem = TSP([[0, 1, 2], [1, 0, 1], [2, 1, 0]])
    with pytest.raises(ValueError, match="has none"):
        GCN(hidden_features=8).heatmap([problem])


def test_checkpoint_round_trip(tmp_path):
    """A model saved with tessera.save loads into the solver by file name."""
    model = tessera.create("model", "dpdp.gcn", hidden_features=8, num_layers=1)
    path = tessera.save(model, tmp_path / "gcn.pt")
    solver = DPDP(beam_size=10, score="heatmap_potential", graph="heatmap", checkpoint=str(path))
    assert torch.equal(solver.model.node_embedding.weight, model.node_embedding.weight)
    problem = TSP.random(9, seed=0)
    assert problem.is_feasible(solver.solve(problem).value)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        DPDP(score="heatmap", graph="heatmap", checkpoint=str(tmp_path / "none.pt"))


def test_shipped_checkpoint_if_present():
    """The shipped TSP heatmap model loads and beats an untrained one of its shape on TSP50."""
    try:
        path = _checkpoint_path("tsp100")
    except FileNotFoundError:
        pytest.skip(f"no shipped checkpoint in this installation ({SHIPPED_CHECKPOINTS})")
    assert path.stat().st_size < 2_000_000
    problems = [TSP.random(50, seed=s) for s in range(2)]
    options = {"beam_size": 50, "score": "heatmap_potential", "graph": "heatmap"}
    trained = DPDP(**options, checkpoint="tsp100")
    model = trained.model
    torch.manual_seed(0)
    same_shape = GCN(
        problem=model.problem,
        hidden_features=model.node_embedding.out_features,
        num_layers=len(model.layers),
        knn=model.knn,
    )
    untrained = DPDP(**options, model=same_shape)
    found = trained.solve_many(problems)
    assert all(p.is_feasible(s.value) for p, s in zip(problems, found))
    costs = [s.cost for s in found]
    baseline = [s.cost for s in untrained.solve_many(problems)]
    assert sum(costs) < sum(baseline)
    assert sum(costs) / len(costs) < 6.5  # TSP50 optima average about 5.7


def test_distance_heatmap_covers_every_type():
    """The model-free heatmap needs only distances: TSP, CVRP and TSPTW alike."""
    model = DistanceHeatmap(knn=3)
    for problem in (TSP.random(6, seed=0), CVRP.random(6, seed=0), TSPTW.random(6, seed=0)):
        p = model.heatmap([problem]).exp()
        assert bool((p <= 1).all()) and bool((p.sum(-1) > 0).all())


def test_solver_rejects_models_without_a_heatmap():
    """A model must offer heatmap(problems); a heatmap score needs a model at all."""
    with pytest.raises(TypeError, match="no heatmap"):
        DPDP(score="heatmap", graph="heatmap", model=torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="needs a heatmap"):
        tessera.create("solver", "dpdp", score="heatmap_potential")
