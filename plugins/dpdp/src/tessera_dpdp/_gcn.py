"""Heatmap models: the residual gated GCN and a model-free distance heatmap.

A heatmap model maps routing instances to ``log p_ij``, the log-probability that edge
``(i, j)`` is part of a good solution, as an (I, N, N) tensor (``-inf`` off its graph).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from tessera.problems import CVRP, TSP, TSPTW, Problem

__all__ = ["GCN", "DistanceHeatmap", "GCNInputs", "ResidualGatedGCNLayer", "edge_targets"]

_TYPES = {"tsp": TSP, "cvrp": CVRP, "tsptw": TSPTW}


def _coords(problem: Problem) -> np.ndarray:
    if getattr(problem, "coords", None) is None:
        raise ValueError(
            f"the heatmap model reads node coordinates, but {problem.name!r} has none (an "
            "explicit distance matrix); use score='cost' for this instance"
        )
    return np.asarray(problem.coords, dtype=np.float64)[:, :2]


def _normalised(problems: Sequence[Problem]) -> tuple[Tensor, Tensor]:
    """Coordinates scaled into the unit square, (I, N, 2), and each instance's scale (I,)."""
    coords, scales = [], []
    for problem in problems:
        c = _coords(problem)
        low = c.min(0)
        scale = float((c.max(0) - low).max()) or 1.0
        coords.append((c - low) / scale)
        scales.append(scale)
    return torch.tensor(np.stack(coords)), torch.tensor(scales, dtype=torch.float64)


@dataclass
class GCNInputs:
    """A batch of instances as a sparse graph: nodes of all instances, then their edges.

    Attributes:
        nodes: Node features, (I * N, F).
        edges: Source and target node of each edge, (2, E), indices into ``nodes``.
        distance: Normalised length of each edge, (E,).
        tag: Edge type, (E,): 1 for a mutual nearest-neighbour pair, +2 at the depot.
        where: Instance, source and target of each edge within its instance, (3, E).
        shape: ``(I, N)``.
    """

    nodes: Tensor
    edges: Tensor
    distance: Tensor
    tag: Tensor
    where: Tensor
    shape: tuple[int, int]


def _node_features(problems: Sequence[Problem], kind: str, coords: Tensor) -> Tensor:
    if kind == "tsp":
        return coords
    depot = torch.zeros(coords.shape[:2], dtype=coords.dtype)
    depot[:, 0] = 1
    if kind == "cvrp":
        load = torch.tensor(np.stack([p.demands / p.capacity for p in problems]))
        return torch.cat([coords, load[..., None], depot[..., None]], -1)
    windows = torch.tensor(np.stack([p.time_windows for p in problems]), dtype=coords.dtype)
    horizon = windows[:, :1, 1:2].clamp_min(1e-12)
    return torch.cat([coords, windows / horizon, depot[..., None]], -1)


def graph_inputs(problems: Sequence[Problem], kind: str, knn: int) -> GCNInputs:
    """The sparse k-nearest-neighbour graph of problems of one type and size."""
    from tessera_dpdp._graph import knn_adjacency

    coords, _ = _normalised(problems)
    i, n, _ = coords.shape
    distance = torch.cdist(coords, coords)
    one_way = torch.zeros(i, n, n, dtype=torch.bool)
    k = min(knn, n - 1)
    if k > 0:
        eye = torch.eye(n, dtype=torch.bool)
        nearest = distance.masked_fill(eye, math.inf).topk(k, -1, largest=False).indices
        one_way.scatter_(-1, nearest, True)
    adjacency = knn_adjacency(distance, knn) if k > 0 else one_way
    depot = torch.zeros(n, n, dtype=torch.bool)
    if kind != "tsp":
        depot[0, 1:] = depot[1:, 0] = True
        adjacency = adjacency | depot
    b, s, t = adjacency.nonzero(as_tuple=True)
    tag = (one_way & one_way.transpose(1, 2))[b, s, t].long() + 2 * depot[s, t].long()
    return GCNInputs(
        nodes=_node_features(problems, kind, coords).float().reshape(i * n, -1),
        edges=torch.stack([b * n + s, b * n + t]),
        distance=distance[b, s, t].float(),
        tag=tag,
        where=torch.stack([b, s, t]),
        shape=(i, n),
    )


def edge_targets(inputs: GCNInputs, solutions: Sequence[list], kind: str) -> Tensor:
    """1 for each edge of ``inputs`` that a solution uses (either direction), else 0."""
    i, n = inputs.shape
    used = torch.zeros(i, n, n, dtype=torch.bool)
    for row, value in enumerate(solutions):
        paths = [[0, *r, 0] for r in value] if kind == "cvrp" else [[*value, value[0]]]
        for path in paths:
            a, c = torch.tensor(path[:-1]), torch.tensor(path[1:])
            used[row, a, c] = True
    if kind != "tsptw":
        used = used | used.transpose(1, 2)
    b, s, t = inputs.where
    return used[b, s, t].long()


class ResidualGatedGCNLayer(nn.Module):
    """One residual gated graph convolution on a sparse graph.

    ``e_ij ← e_ij + ReLU(BN(A e_ij + B h_i + B h_j))`` and, with gates
    ``σ_ij = sigmoid(A e_ij + B h_i + B h_j)``,
    ``h_i ← h_i + ReLU(BN(U h_i + Σ_j σ_ij ⊙ V h_j / (Σ_j σ_ij + ε)))`` (mean aggregation).

    References:
        Bresson and Laurent, "Residual Gated Graph ConvNets" (2017), arXiv:1711.07553;
        Joshi, Laurent and Bresson (2019), arXiv:1906.01227.
    """

    def __init__(self, hidden_features: int, aggregation: str = "mean") -> None:
        super().__init__()
        self.aggregation = aggregation
        self.node_self = nn.Linear(hidden_features, hidden_features)
        self.node_neighbour = nn.Linear(hidden_features, hidden_features)
        self.edge_self = nn.Linear(hidden_features, hidden_features)
        self.edge_nodes = nn.Linear(hidden_features, hidden_features)
        self.node_norm = nn.BatchNorm1d(hidden_features, track_running_stats=False)
        self.edge_norm = nn.BatchNorm1d(hidden_features, track_running_stats=False)

    def forward(self, h: Tensor, e: Tensor, edges: Tensor) -> tuple[Tensor, Tensor]:
        """``h``: (nodes, H), ``e``: (E, H), ``edges``: (2, E); returns new ``h`` and ``e``."""
        source, target = edges
        b_h = self.edge_nodes(h)
        e_new = self.edge_self(e) + b_h[source] + b_h[target]
        gate = torch.sigmoid(e_new)

        # Gated aggregation of the neighbours' messages at the source node
        message = gate * self.node_neighbour(h)[target]
        total = torch.zeros_like(h).index_add_(0, source, message)
        if self.aggregation == "mean":
            weight = torch.zeros_like(h).index_add_(0, source, gate)
            total = total / (weight + 1e-20)
        h_new = self.node_self(h) + total

        h = h + torch.relu(self.node_norm(h_new))
        e = e + torch.relu(self.edge_norm(e_new))
        return h, e


class GCN(nn.Module):
    """Residual gated GCN predicting which edges of a k-nearest-neighbour graph a good
    solution uses.

    Nodes embed their coordinates (and, for CVRP, demand over capacity and a depot flag;
    for TSPTW, the time window over the depot's horizon and a depot flag); edges embed
    their length and a type tag. After ``num_layers`` residual gated layers an MLP gives
    two logits per edge; :meth:`heatmap` returns the log-probability of the "in solution"
    class, averaged over both directions for TSP and CVRP, ``-inf`` off the graph.
    Trained with the class-balanced cross-entropy of :func:`balanced_loss`.

    Arguments are the fields of :class:`tessera_dpdp.configs.GCNConfig`.

    References:
        Joshi, Laurent and Bresson, "An Efficient Graph Convolutional Network Technique for
        the Travelling Salesman Problem" (2019), arXiv:1906.01227; Kool et al. (2021),
        arXiv:2102.11756, section 3.3.

    Example:
        >>> from tessera.problems import TSP
        >>> model = GCN(hidden_features=8, num_layers=2)
        >>> model.heatmap([TSP.random(6, seed=0)]).shape
        torch.Size([1, 6, 6])
    """

    def __init__(
        self,
        problem: str = "tsp",
        hidden_features: int = 64,
        num_layers: int = 8,
        mlp_layers: int = 2,
        knn: int = 10,
        aggregation: str = "mean",
    ) -> None:
        super().__init__()
        if problem not in _TYPES:
            raise ValueError(f"unknown problem {problem!r}; use one of {sorted(_TYPES)}")
        self.problem = problem
        self.knn = knn
        features = {"tsp": 2, "cvrp": 4, "tsptw": 5}[problem]
        half = hidden_features // 2
        self.node_embedding = nn.Linear(features, hidden_features)
        self.edge_length = nn.Linear(1, hidden_features - half)
        self.edge_tag = nn.Embedding(4, half)
        self.layers = nn.ModuleList(
            ResidualGatedGCNLayer(hidden_features, aggregation) for _ in range(num_layers)
        )
        mlp: list[nn.Module] = []
        for _ in range(mlp_layers - 1):
            mlp += [nn.Linear(hidden_features, hidden_features), nn.ReLU()]
        self.classifier = nn.Sequential(*mlp, nn.Linear(hidden_features, 2))

    @property
    def problem_types(self) -> tuple[type[Problem], ...]:
        """The problem type the model reads."""
        return (_TYPES[self.problem],)

    def inputs(self, problems: Sequence[Problem]) -> GCNInputs:
        """The model's sparse input graph for problems of its type and one size."""
        wrong = [p.name for p in problems if not isinstance(p, _TYPES[self.problem])]
        if wrong:
            raise TypeError(
                f"this GCN reads {self.problem.upper()} instances, got {wrong[0]!r}; build "
                f"one with problem={type(problems[0]).__name__.lower()!r}"
            )
        return graph_inputs(problems, self.problem, self.knn)

    def forward(self, inputs: GCNInputs) -> Tensor:
        """Two logits (not in solution, in solution) per edge, (E, 2)."""
        h = self.node_embedding(inputs.nodes)
        e = torch.cat([self.edge_length(inputs.distance[:, None]), self.edge_tag(inputs.tag)], -1)
        for layer in self.layers:
            h, e = layer(h, e, inputs.edges)
        return self.classifier(e)

    def heatmap(self, problems: Sequence[Problem]) -> Tensor:
        """Log-probabilities that each edge is in a good solution, (I, N, N)."""
        inputs = self.inputs(problems)
        log_p = torch.log_softmax(self(inputs).double(), -1)[:, 1]
        return _dense(inputs, log_p, symmetric=self.problem != "tsptw")


def _dense(inputs: GCNInputs, log_p: Tensor, symmetric: bool) -> Tensor:
    i, n = inputs.shape
    b, s, t = inputs.where
    p = torch.zeros(i, n, n, dtype=log_p.dtype, device=log_p.device)
    p[b, s, t] = log_p.exp()
    if symmetric:
        p = 0.5 * (p + p.transpose(1, 2))
    return p.log()


def balanced_loss(logits: Tensor, targets: Tensor) -> Tensor:
    """Cross-entropy with class weights ``E / (2 · count_c)``, so both classes weigh alike.

    Example:
        >>> logits = torch.zeros(4, 2)
        >>> round(float(balanced_loss(logits, torch.tensor([1, 0, 0, 0]))), 4)
        0.6931
    """
    counts = torch.bincount(targets, minlength=2).clamp_min(1).to(logits.dtype)
    weights = len(targets) / (2 * counts)
    return nn.functional.cross_entropy(logits, targets, weight=weights)


class DistanceHeatmap(nn.Module):
    """A model-free heatmap from distances alone: no training, no parameters.

    Each node spreads a heat of 2 (its two tour edges) over its ``knn`` nearest
    neighbours by ``softmax(-d_ij / (temperature · mean_k d_ik))``, capped at 1; an edge
    keeps the larger heat of its two directions. For CVRP every depot edge gets the heat
    ``R / n`` of ``R = ceil(total demand / capacity)`` routes over ``n`` customers. With
    the heatmap + potential score this
    gives DPDP a model-free policy to compare the trained heatmap against.

    Example:
        >>> from tessera.problems import TSP
        >>> log_p = DistanceHeatmap(knn=2).heatmap([TSP.random(5, seed=0)])
        >>> bool((log_p.exp() <= 1).all()), int(torch.isfinite(log_p[0, 0]).sum()) >= 2
        (True, True)
    """

    problem_types: ClassVar[tuple[type[Problem], ...]] = (TSP, CVRP, TSPTW)

    def __init__(self, knn: int = 10, temperature: float = 0.5) -> None:
        super().__init__()
        self.knn = knn
        self.temperature = temperature

    def heatmap(self, problems: Sequence[Problem]) -> Tensor:
        """Log-probabilities, (I, N, N), ``-inf`` outside the nearest-neighbour graph."""
        d = torch.tensor(np.stack([np.asarray(p.distances, dtype=np.float64) for p in problems]))
        n = d.shape[1]
        k = min(self.knn, n - 1)
        if k == 0:
            return torch.full_like(d, -math.inf)
        eye = torch.eye(n, dtype=torch.bool)
        near, index = d.masked_fill(eye, math.inf).topk(k, -1, largest=False)
        spread = near.mean(-1, keepdim=True).clamp_min(1e-12) * self.temperature
        heat = (2 * torch.softmax(-near / spread, -1)).clamp(max=1.0)
        p = torch.zeros_like(d).scatter(-1, index, heat)
        p = torch.maximum(p, p.transpose(1, 2))
        for row, problem in enumerate(problems):
            if isinstance(problem, CVRP) and n > 1:
                # About R routes leave and reach the depot: heat R / n on every depot edge
                routes = math.ceil(float(np.sum(problem.demands)) / problem.capacity)
                p[row, 0, 1:] = p[row, 1:, 0] = min(1.0, routes / (n - 1))
        return p.log()
