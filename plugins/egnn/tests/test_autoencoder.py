"""Graph generators and the egnn.graph_autoencoder task."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tessera_egnn import community_graph, erdos_renyi_graph
from tessera_egnn._autoencoder import GraphAutoencoder, GraphBatch, edge_metrics
from tessera_egnn._graphs import graph_dataset

import tessera

TINY = {
    "num_train": 16,
    "num_valid": 8,
    "num_test": 8,
    "hidden_features": 16,
    "num_layers": 2,
    "batch_size": 4,
    "lr": 1e-3,
    "eval_every": 1,
}


@pytest.mark.parametrize("family", ["community", "erdos_renyi"])
def test_generated_graphs_have_the_paper_sizes(family):
    """Community graphs: two communities of 6–10 nodes; Erdős–Rényi: 7–16 nodes; all
    symmetric without self-loops."""
    graphs = graph_dataset(family, 200, np.random.default_rng(0))
    sizes = {len(g) for g in graphs}
    low, high = (12, 20) if family == "community" else (7, 16)
    assert min(sizes) >= low and max(sizes) <= high and len(sizes) > 5
    for g in graphs:
        assert g.dtype == bool and (g == g.T).all() and not g.diagonal().any()


def test_erdos_renyi_density_matches_p():
    """The fraction of present edges is close to p."""
    rng = np.random.default_rng(1)
    graphs = [erdos_renyi_graph(12, 0.25, rng) for _ in range(300)]
    density = np.mean([g[np.triu_indices(12, 1)].mean() for g in graphs])
    assert density == pytest.approx(0.25, abs=0.01)


def test_communities_are_dense_inside_and_joined():
    """Within-community density is near p_intra; each pair of communities is joined."""
    rng = np.random.default_rng(2)
    inside, joined = [], []
    for _ in range(200):
        g = community_graph([8, 7, 6], 0.7, 0.0, rng)
        inside.append(g[:8, :8][np.triu_indices(8, 1)].mean())
        joined.append(g[:8, 8:15].any() and g[:8, 15:].any() and g[8:15, 15:].any())
        assert g[:8, 8:].sum() + g[8:15, 15:].sum() == 3  # p_inter = 0: exactly the forced
    assert np.mean(inside) == pytest.approx(0.7, abs=0.02) and all(joined)


def test_edge_metrics_against_counting():
    """BCE, wrong pairs, TP/FP/FN count only pairs i ≠ j of existing nodes."""
    adjacency = torch.tensor([[[0, 1, 0], [1, 0, 1], [0, 1, 0]]], dtype=torch.bool)
    mask = torch.tensor([[True, True, False]])
    logits = torch.tensor([[[5.0, -1.0, 9.0], [2.0, 3.0, 9.0], [9.0, 9.0, 9.0]]])
    m = edge_metrics(logits, adjacency, mask)
    assert m["pairs"] == 2 and m["tp"] == 1 and m["fn"] == 1 and m["fp"] == 0
    assert m["wrong"] == 1
    expected = -np.log(1 / (1 + np.exp(1.0))) - np.log(1 / (1 + np.exp(-2.0)))
    assert m["bce"] == pytest.approx(expected, rel=1e-6)


def test_gnn_with_constant_input_cannot_tell_symmetric_nodes_apart():
    """On a cycle all nodes look alike to a GNN fed ones, so every pair gets the same
    prediction; EGNN's random coordinates break the tie (the paper's argument)."""
    n = 6
    cycle = np.zeros((n, n), dtype=bool)
    for i in range(n):
        cycle[i, (i + 1) % n] = cycle[(i + 1) % n, i] = True
    batch = GraphBatch([cycle])
    adjacency, mask = batch.select(torch.tensor([0]))
    torch.manual_seed(0)
    with torch.no_grad():
        gnn = GraphAutoencoder("gnn", hidden_features=16, num_layers=2)(adjacency, mask)
        egnn = GraphAutoencoder("egnn", hidden_features=16, num_layers=2)(adjacency, mask)
    off = ~torch.eye(n, dtype=torch.bool)
    assert float(gnn[0][off].std()) < 1e-6
    assert float(egnn[0][off].std()) > 1e-3


@pytest.mark.parametrize("dataset", ["community", "erdos_renyi"])
def test_task_trains_and_reports_each_encoder(context, dataset):
    """Each encoder gets BCE, % wrong edges and F1 at its best validation epoch."""
    task = tessera.create(
        "task",
        "egnn.graph_autoencoder",
        dataset=dataset,
        epochs=3,
        encoders=["egnn", "gnn", "gnn_noise", "radial_field"],
        **TINY,
    )
    summary = task.run(context)
    for name in ("egnn", "gnn", "gnn_noise", "radial_field"):
        assert summary[f"{name}_test_bce"] > 0
        assert 0 <= summary[f"{name}_test_wrong_edges_pct"] <= 100
        assert 0 <= summary[f"{name}_test_f1"] <= 1
    assert len(context.metrics) == 12 and context.plots


def test_training_lowers_the_bce(context):
    """The EGNN autoencoder's training BCE falls over a few epochs."""
    task = tessera.create(
        "task", "egnn.graph_autoencoder", encoders=["egnn"], epochs=6, plot=False, **TINY
    )
    task.run(context)
    bce = [m["egnn_train_bce"] for _, m in context.metrics]
    assert bce[-1] < bce[0]


def test_resume_skips_finished_encoders(make_context):
    """A resumed run continues the unfinished encoder and keeps the finished results."""
    options = {"encoders": ["egnn", "gnn"], "epochs": 2, "plot": False, **TINY}
    straight = make_context("a")
    expected = tessera.create("task", "egnn.graph_autoencoder", **options).run(straight)
    resumed = make_context("b")
    resumed.checkpoints = straight.checkpoints[:3]  # egnn done, gnn after one epoch
    got = tessera.create("task", "egnn.graph_autoencoder", **options).run(resumed)
    assert [s for s, _ in resumed.metrics] == [3]
    assert got.keys() == expected.keys() and got["dataset"] == expected["dataset"]
    for key, value in expected.items():
        if key != "dataset":
            assert got[key] == pytest.approx(value, rel=1e-5), key
