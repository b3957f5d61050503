"""The restricted dynamic program: exactness against brute force, dominance, batching."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from tessera_dpdp import DPDP, NoSolutionError, build_graph, integer_costs, run_dp
from tessera_dpdp import _dp as dp
from tessera_dpdp._dp import pack_mask, unpack_mask

from tessera.problems import CVRP, TSP, TSPTW

EXACT = {"beam_size": None, "graph": "full", "complete": False}


def _permutations(n: int) -> np.ndarray:
    """All tours from node 0 through nodes 1..n-1, (n-1)!, n."""
    rest = np.array(list(itertools.permutations(range(1, n))), dtype=np.int64).reshape(-1, n - 1)
    return np.concatenate([np.zeros((len(rest), 1), dtype=np.int64), rest], 1)


def brute_force_tsp(problem: TSP) -> float:
    tours = _permutations(problem.size)
    d = np.asarray(problem.distances)
    return float(d[tours, np.roll(tours, -1, 1)].sum(1).min())


def brute_force_tsptw(problem: TSPTW) -> float | None:
    """The shortest tour meeting every window, over all (n-1)! tours."""
    tours = _permutations(problem.size)
    d, windows = np.asarray(problem.distances), np.asarray(problem.time_windows)
    service = np.asarray(problem.service_times)
    path = np.concatenate([tours, tours[:, :1]], 1)
    start = np.full(len(tours), windows[0, 0])
    feasible = np.ones(len(tours), dtype=bool)
    for k in range(1, path.shape[1]):
        arrival = start + service[path[:, k - 1]] + d[path[:, k - 1], path[:, k]]
        feasible &= arrival <= windows[path[:, k], 1]
        start = np.maximum(arrival, windows[path[:, k], 0])
    if not feasible.any():
        return None
    return float(d[tours, np.roll(tours, -1, 1)].sum(1)[feasible].min())


def brute_force_cvrp(problem: CVRP) -> float:
    """Best set partition into routes, each route the best order of its customers."""
    n, d = problem.size, np.asarray(problem.distances)
    demands = np.asarray(problem.demands)
    route_cost = {}
    for size in range(1, n + 1):
        for subset in itertools.combinations(range(1, n + 1), size):
            if demands[list(subset)].sum() > problem.capacity:
                continue
            orders = np.array(list(itertools.permutations(subset)))
            paths = np.concatenate(
                [np.zeros((len(orders), 1), int), orders, np.zeros((len(orders), 1), int)], 1
            )
            mask = sum(1 << (c - 1) for c in subset)
            route_cost[mask] = float(d[paths[:, :-1], paths[:, 1:]].sum(1).min())
    best = {0: 0.0}
    for mask in range(1, 1 << n):
        lowest = mask & -mask  # the route holding the lowest customer of the set
        sub, found = mask, np.inf
        while sub:
            if sub & lowest and sub in route_cost:
                found = min(found, route_cost[sub] + best[mask ^ sub])
            sub = (sub - 1) & mask
        best[mask] = found
    return best[(1 << n) - 1]


@pytest.mark.parametrize("n", range(1, 11))
def test_tsp_matches_brute_force(n):
    """An unbounded beam on the full graph is exact: integer and float instances."""
    for seed in range(3):
        for scale in (None, 50):
            problem = TSP.random(n, seed=seed, scale=scale)
            expected = brute_force_tsp(problem) if n > 1 else 0.0
            found = DPDP(**EXACT).solve(problem)
            assert found.cost == pytest.approx(expected, rel=1e-12, abs=1e-12)
            assert problem.objective(found.value) == found.cost


def test_tsp_asymmetric_matches_brute_force():
    """Directed distances: the DP adds the edges in travel order."""
    rng = np.random.default_rng(3)
    for n in (4, 6, 8):
        problem = TSP(rng.integers(1, 100, (n, n)) * (1 - np.eye(n, dtype=int)))
        assert DPDP(**EXACT).solve(problem).cost == brute_force_tsp(problem)


@pytest.mark.parametrize("customers", range(1, 11))
def test_cvrp_matches_brute_force(customers):
    """With the via-depot action and capacity dominance the DP is exact for CVRP."""
    for seed in range(2):
        for capacity in (None, 12):
            problem = CVRP.random(customers, seed=seed, capacity=capacity, scale=100)
            found = DPDP(**EXACT).solve(problem)
            assert found.cost == brute_force_cvrp(problem)
            assert problem.objective(found.value) == found.cost


@pytest.mark.parametrize("n", range(2, 11))
def test_tsptw_matches_brute_force(n):
    """Time-window feasibility and time dominance keep the DP exact for TSPTW; the
    look-ahead test never removes a feasible completion."""
    for seed in range(3):
        for width in (10, 40):
            problem = TSPTW.random(n, seed=seed, max_width=width)
            expected = brute_force_tsptw(problem)
            for lookahead in (True, False):
                found = DPDP(**EXACT, lookahead=lookahead).solve(problem)
                assert found.cost == expected
                assert problem.is_feasible(found.value)


def test_tsptw_with_service_and_waiting():
    """Service times and early arrivals (waiting) follow the problem's own schedule."""
    d = np.array([[0, 2, 3, 4], [2, 0, 2, 3], [3, 2, 0, 2], [4, 3, 2, 0]])
    windows = [[0, 100], [5, 8], [0, 30], [10, 12]]
    problem = TSPTW(d, windows, service_times=[0, 3, 1, 2])
    found = DPDP(**EXACT).solve(problem)
    assert found.cost == brute_force_tsptw(problem)


def test_infeasible_tsptw_raises_a_clear_error():
    """No tour meets the windows: NoSolutionError says what to try."""
    d = np.array([[0, 5, 5], [5, 0, 5], [5, 5, 0]])
    problem = TSPTW(d, [[0, 100], [0, 4], [0, 4]])
    with pytest.raises(NoSolutionError, match="no feasible route"):
        DPDP(**EXACT).solve(problem)


def test_hash_collisions_fall_back_to_exact_grouping(monkeypatch):
    """With every hash key zero all visited sets collide; grouping by the masks themselves
    still gives the exact optimum."""

    def zeros(n, instances, device):
        return (torch.zeros(n, dtype=torch.int64),) * 2 + (
            torch.zeros(instances, dtype=torch.int64),
        )

    monkeypatch.setattr(dp, "_hash_tables", zeros)
    for problem in (TSP.random(7, seed=1), CVRP.random(6, seed=1, scale=100)):
        expected = (
            brute_force_tsp(problem) if isinstance(problem, TSP) else brute_force_cvrp(problem)
        )
        assert DPDP(**EXACT).solve(problem).cost == pytest.approx(expected)


def test_masks_of_more_than_64_nodes():
    """Visited sets span several 64-bit words; bits 63 and 64 round-trip."""
    visited = torch.zeros(3, 130, dtype=torch.bool)
    visited[0, [0, 63, 64, 129]] = True
    visited[1, 63] = True
    visited[2] = True
    mask = pack_mask(visited)
    assert mask.shape == (3, 3)
    assert torch.equal(unpack_mask(mask, 130), visited)
    problem = TSP.random(70, seed=0)
    found = DPDP(beam_size=20).solve(problem)
    assert problem.objective(found.value) == found.cost


def test_dominance_keeps_cheapest_or_more_capacity():
    """Per (visited set, current node): the cheapest state, plus CVRP states with more
    capacity than every cheaper one."""
    beam = dp.Beam(
        batch=torch.zeros(1, dtype=torch.int64),
        mask=torch.ones(1, 1, dtype=torch.int64),
        current=torch.zeros(1, dtype=torch.int64),
        cost=torch.zeros(1, dtype=torch.int64),
        score=torch.zeros(1, dtype=torch.float64),
        key=torch.zeros(1, dtype=torch.int64),
    )
    graph = dp.DPGraph("cvrp", torch.zeros(1, 3, 3, dtype=torch.int64), None, None)
    found = dp._Candidates(
        parent=torch.zeros(5, dtype=torch.int64),
        node=torch.tensor([1, 1, 1, 1, 2]),
        via=torch.zeros(5, dtype=torch.bool),
        cost=torch.tensor([10, 8, 12, 9, 30]),
        score=torch.zeros(5, dtype=torch.float64),
        capacity=torch.tensor([5, 3, 9, 3, 1]),
    )
    keys = dp._hash_tables(3, 1, torch.device("cpu"))
    kept = dp._dominance(graph, beam, found, keys)
    assert sorted(zip(kept.cost.tolist(), kept.capacity.tolist())) == [
        (8, 3),
        (10, 5),
        (12, 9),
        (30, 1),
    ]
    graph.kind = "tsp"
    kept = dp._dominance(graph, beam, found, keys)
    assert sorted(kept.cost.tolist()) == [8, 30]


def test_batched_solutions_equal_single_ones():
    """Instances solved together keep their own beams: the same routes as alone."""
    problems = [TSP.random(15, seed=s) for s in range(4)] + [
        CVRP.random(9, seed=s) for s in range(3)
    ]
    solver = DPDP(beam_size=30, batch_size=8)
    together = solver.solve_many(problems)
    alone = [solver.solve(p) for p in problems]
    assert [s.cost for s in together] == [s.cost for s in alone]


def test_beam_grows_towards_the_exact_optimum():
    """A larger beam never needs to be worse here, and the full beam is optimal."""
    problem = TSP.random(9, seed=4)
    exact = brute_force_tsp(problem)
    costs = [DPDP(beam_size=b, graph="full").solve(problem).cost for b in (1, 10, 10_000)]
    assert costs[-1] == pytest.approx(exact)
    assert min(costs) >= exact - 1e-12


def test_sparse_graph_without_completion_can_strand_the_beam():
    """complete=False follows the paper: a narrow kNN beam may find no tour at all."""
    problem = TSP.random(60, seed=0)
    with pytest.raises(NoSolutionError, match="larger beam_size"):
        DPDP(beam_size=5, knn=2, complete=False).solve(problem)
    found = DPDP(beam_size=5, knn=2).solve(problem)
    assert problem.is_feasible(found.value)


def test_integer_costs_round_float_distances():
    """Float distances become integers with a power-of-two scale; integers stay exact."""
    costs, scale = integer_costs(np.array([[0.0, 0.3], [0.3, 0.0]]))
    assert scale == 2.0**41 and costs[0, 1] == round(0.3 * 2.0**41)
    costs, scale = integer_costs(np.array([[0, 7], [7, 0]]))
    assert scale == 1.0 and costs.dtype == np.int64


def test_heatmap_potential_scores_run_on_all_types():
    """The heatmap + potential score with the model-free heatmap solves every type."""
    from tessera_dpdp import DistanceHeatmap

    solver = DPDP(
        beam_size=20, score="heatmap_potential", graph="heatmap", model=DistanceHeatmap()
    )
    for problem in (TSP.random(20, seed=0), CVRP.random(15, seed=0), TSPTW.random(10, seed=0)):
        found = solver.solve(problem)
        assert problem.objective(found.value) == found.cost


def test_potential_matches_its_definition():
    """The incrementally updated potential equals Σ_{j∈U∪{0}} Σ_{i∈U} w_ij of each state."""
    from tessera_dpdp import DistanceHeatmap

    problem = TSP.random(9, seed=2)
    log_p = DistanceHeatmap(knn=4).heatmap([problem])
    graph, _ = build_graph([problem], graph="full", log_heatmap=log_p, score="heatmap_potential")
    keys = dp._hash_tables(9, 1, torch.device("cpu"))
    beam = dp._initial_beam(graph, keys)
    for _ in range(4):
        found = dp._dominance(graph, beam, dp._direct(graph, beam, False), keys)
        dp._add_potential(graph, beam, found)
        beam = dp._next_beam(graph, beam, found, keys)
        w = graph.potential_weight[0]
        for s in range(len(beam)):
            unvisited = ~unpack_mask(beam.mask[s : s + 1], 9)[0]
            targets = unvisited.clone()
            targets[0] = True
            expected = w[unvisited][:, targets].sum()
            assert float(beam.potential[s]) == pytest.approx(float(expected), abs=1e-9)


def test_run_dp_reports_per_step_counts():
    """Expansions and kept states are counted per step."""
    graph, _ = build_graph([TSP.random(6, seed=0)], graph="full")
    result = run_dp(graph, None)
    assert len(result.steps) == 5 and result.expansions == sum(s["expanded"] for s in result.steps)
