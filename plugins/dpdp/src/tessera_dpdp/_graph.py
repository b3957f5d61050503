"""From routing problems (and heatmaps) to the batched tensors of the dynamic program."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from tessera.problems import CVRP, TSP, TSPTW, Problem
from tessera_dpdp._dp import DPGraph

__all__ = ["COST_BITS", "build_graph", "integer_costs", "kind_of", "knn_adjacency"]

#: Float distances are scaled so that the longest edge is about 2**COST_BITS, then rounded.
COST_BITS = 40


def kind_of(problem: Problem) -> str:
    """``"tsp"``, ``"cvrp"`` or ``"tsptw"``; a clear error for other problem types."""
    if isinstance(problem, TSPTW):
        return "tsptw"
    if isinstance(problem, CVRP):
        return "cvrp"
    if isinstance(problem, TSP):
        return "tsp"
    raise TypeError(
        f"DPDP solves TSP, CVRP and TSPTW problems, got {type(problem).__name__} {problem.name!r}"
    )


def integer_costs(distances: np.ndarray) -> tuple[np.ndarray, float]:
    """Integer edge costs and their scale: exact for integer distances, else rounded.

    Integer (or integer-valued) distances are kept as they are (scale 1). Float distances
    are multiplied by a power of two that makes the longest edge about ``2**40`` and
    rounded, so route costs compare exactly and differ from the true lengths by at most
    half a unit per edge.

    Example:
        >>> integer_costs(np.array([[0, 3], [3, 0]]))[1]
        1.0
        >>> costs, scale = integer_costs(np.array([[0.0, 0.5], [0.5, 0.0]]))
        >>> int(costs[0, 1]) / scale
        0.5
    """
    d = np.asarray(distances)
    largest = float(np.abs(d).max()) if d.size else 0.0
    if np.issubdtype(d.dtype, np.integer) or (
        np.array_equal(d, np.round(d)) and largest < 2.0**COST_BITS
    ):
        return d.astype(np.int64), 1.0
    scale = 2.0 ** (COST_BITS - math.ceil(math.log2(largest))) if largest > 0 else 1.0
    return np.rint(d * scale).astype(np.int64), scale


def knn_adjacency(distances: Tensor, k: int) -> Tensor:
    """Each node's ``k`` nearest other nodes, symmetrised: (I, N, N) bool, no self loops.

    Example:
        >>> d = torch.tensor([[[0.0, 1, 5], [1, 0, 2], [5, 2, 0]]])
        >>> knn_adjacency(d, 1)[0].int().tolist()
        [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    """
    i, n, _ = distances.shape
    eye = torch.eye(n, dtype=torch.bool, device=distances.device)
    d = distances.double().masked_fill(eye, math.inf)
    k = min(k, n - 1)
    nearest = torch.argsort(d, dim=-1, stable=True)[..., :k]
    adjacency = torch.zeros(i, n, n, dtype=torch.bool, device=distances.device)
    adjacency.scatter_(-1, nearest, True)
    return (adjacency | adjacency.transpose(1, 2)) & ~eye


def _stack(values: Sequence[np.ndarray], dtype: torch.dtype, device: torch.device) -> Tensor:
    return torch.as_tensor(np.stack(values), dtype=dtype, device=device)


def _time_dtype(problems: Sequence[TSPTW]) -> torch.dtype:
    integral = all(
        np.issubdtype(a.dtype, np.integer)
        for p in problems
        for a in (p.distances, p.time_windows, p.service_times)
    )
    return torch.int64 if integral else torch.float64


def _shortest_paths(c: Tensor) -> Tensor:
    """All-pairs shortest paths (Floyd-Warshall) of (I, N, N) edge weights."""
    n = c.shape[1]
    c = c.clone()
    c[:, torch.arange(n), torch.arange(n)] = 0
    for k in range(n):
        c = torch.minimum(c, c[:, :, k : k + 1] + c[:, k : k + 1, :])
    return c


def build_graph(
    problems: Sequence[Problem],
    *,
    graph: str = "knn",
    knn: int = 10,
    log_heatmap: Tensor | None = None,
    heatmap_threshold: float = 1e-5,
    score: str = "cost",
    depot_penalty: float = 0.1,
    start_distance_weight: float = 0.1,
    lookahead: bool = True,
    device: str | torch.device = "cpu",
) -> tuple[DPGraph, list[float]]:
    """The :class:`DPGraph` of problems of one type and size, and each one's cost scale.

    Arguments:
        problems: TSP, CVRP or TSPTW instances, all of one type and node count.
        graph: ``"full"``, ``"knn"`` or ``"heatmap"``.
        knn: Neighbours per node for ``graph="knn"``.
        log_heatmap: Log-probabilities that each edge is in a good solution, (I, N, N);
            needed by ``graph="heatmap"`` and the heatmap scores.
        heatmap_threshold: Edges with ``p > heatmap_threshold`` form the heatmap graph.
        score: ``"cost"``, ``"heatmap"`` or ``"heatmap_potential"``.
        depot_penalty: CVRP, factor on the probability of a trip via the depot.
        start_distance_weight: Weight of the distance to the start in node potentials.
        lookahead: TSPTW, prepare the shortest-path times of the look-ahead test.
        device: Torch device of the tensors.

    Returns:
        ``(graph, scales)``: integer cost ``c`` stands for length ``c / scale``.
    """
    kinds = {kind_of(p) for p in problems}
    sizes = {p.distances.shape[0] for p in problems}
    if len(kinds) != 1 or len(sizes) != 1:
        raise ValueError(
            f"build_graph needs problems of one type and size, got types {sorted(kinds)} "
            f"and node counts {sorted(sizes)}"
        )
    kind, n = kinds.pop(), sizes.pop()
    device = torch.device(device)

    # Exact integer costs
    costs, scales = zip(*(integer_costs(p.distances) for p in problems))
    cost = _stack(costs, torch.int64, device)
    distances = _stack([p.distances for p in problems], torch.float64, device)

    # The graph the states expand along
    eye = torch.eye(n, dtype=torch.bool, device=device)
    p_edge = None
    if log_heatmap is not None:
        log_heatmap = log_heatmap.to(device=device, dtype=torch.float64)
        if log_heatmap.shape != (len(problems), n, n):
            raise ValueError(
                f"log_heatmap must have shape {(len(problems), n, n)}, got "
                f"{tuple(log_heatmap.shape)}"
            )
        log_heatmap = log_heatmap.masked_fill(eye, -math.inf)
        p_edge = log_heatmap.exp()
    if graph == "full":
        adjacency = ~eye.expand(len(problems), n, n)
    elif graph == "knn":
        adjacency = knn_adjacency(distances, knn)
    elif graph == "heatmap":
        if p_edge is None:
            raise ValueError("graph='heatmap' needs a heatmap (log_heatmap)")
        adjacency = p_edge > heatmap_threshold
    else:
        raise ValueError(f"unknown graph {graph!r}; use 'full', 'knn' or 'heatmap'")
    if kind == "cvrp":
        # A route may always end, and a new one start, at any customer
        adjacency = adjacency.clone()
        adjacency[:, 0, 1:] = True
        adjacency[:, 1:, 0] = True
    degree = max(int(adjacency.sum(-1).max()), 1)
    neighbours = torch.argsort((~adjacency).to(torch.int8), dim=-1, stable=True)[..., :degree]
    result = DPGraph(
        kind=kind,
        cost=cost,
        neighbours=neighbours,
        neighbour_ok=adjacency.gather(-1, neighbours),
    )

    # Scores
    if score != "cost":
        if p_edge is None:
            raise ValueError(f"score={score!r} needs a heatmap (log_heatmap)")
        result.edge_score = -p_edge
        if kind == "cvrp":
            via = p_edge[:, :, 0:1] * depot_penalty * p_edge[:, 0:1, :]
            result.via_score = -via
        if score == "heatmap_potential":
            result.potential_weight = _potential_weights(
                log_heatmap, p_edge, distances[:, 0, :], start_distance_weight
            )
            result.potential_weight_t = result.potential_weight.transpose(1, 2).contiguous()
        elif score != "heatmap":
            raise ValueError(
                f"unknown score {score!r}; use 'cost', 'heatmap' or 'heatmap_potential'"
            )

    # Problem-specific data
    if kind == "cvrp":
        _add_cvrp(result, problems, adjacency, device)
    if kind == "tsptw":
        _add_tsptw(result, problems, lookahead, device)
    return result, list(scales)


def _potential_weights(
    log_p: Tensor, p: Tensor, to_start: Tensor, start_distance_weight: float
) -> Tensor:
    """w_ij = softmax_i(log p_ij) · φ_j with φ_j = -max_i p_ij · (1 - λ (d_0j / max d - ½)).

    A node's potential is its best incoming heat, weighted towards nodes near the start
    (which tend to be visited last); it is spread over the incoming edges in proportion to
    their heat, so the potential of the unvisited part shrinks as its sources are used up.
    """
    share = torch.softmax(log_p, dim=1).nan_to_num(0.0)
    best = -p.max(dim=1).values
    far = to_start / to_start.max(dim=1, keepdim=True).values.clamp_min(1e-12)
    node = best * (1.0 - start_distance_weight * (far - 0.5))
    return share * node[:, None, :]


def _add_cvrp(
    result: DPGraph, problems: Sequence[CVRP], adjacency: Tensor, device: torch.device
) -> None:
    for p in problems:
        if p.max_vehicles is not None:
            raise NotImplementedError(
                f"CVRP {p.name!r} limits the fleet to {p.max_vehicles} vehicles; the "
                "dynamic program does not track the number of routes"
            )
        values = np.append(p.demands, p.capacity)
        if not np.array_equal(values, np.round(values)):
            raise NotImplementedError(
                f"CVRP {p.name!r} has fractional demands or capacity; the dynamic program "
                "compares capacities as integers"
            )
    result.demand = _stack([p.demands for p in problems], torch.int64, device)
    result.capacity = torch.tensor([int(p.capacity) for p in problems], device=device)
    result.depot_in = adjacency[:, :, 0].clone()
    result.depot_out = adjacency[:, 0, :].clone()


def _add_tsptw(
    result: DPGraph, problems: Sequence[TSPTW], lookahead: bool, device: torch.device
) -> None:
    dtype = _time_dtype(problems)
    result.travel = _stack([p.distances for p in problems], dtype, device)
    result.service = _stack([p.service_times for p in problems], dtype, device)
    windows = _stack([p.time_windows for p in problems], dtype, device)
    result.earliest, result.latest = windows[..., 0], windows[..., 1]
    if lookahead:
        result.lower_bound = _shortest_paths(result.service[:, :, None] + result.travel)
