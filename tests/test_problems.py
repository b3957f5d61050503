"""Tests of the problem types: objectives and feasibility against brute force."""

from __future__ import annotations

import itertools
import pickle
import re

import numpy as np
import pytest

from tessera.problems import (
    CVRP,
    QAP,
    TSP,
    TSPTW,
    BlackBox,
    FlowShop,
    InfeasibleSolutionError,
    Problem,
    Solution,
    build_cvrp,
    build_flowshop,
    build_qap,
    build_tsp,
    build_tsptw,
    random_capacity,
)
from tessera.problems._configs import (
    CVRPConfig,
    FlowShopConfig,
    QAPConfig,
    TSPConfig,
    TSPTWConfig,
)

PROBLEM_TYPES = [TSP, CVRP, TSPTW, QAP, FlowShop, BlackBox]


def _reason(problem: Problem, solution) -> str:
    """The message of the InfeasibleSolutionError ``check`` must raise."""
    with pytest.raises(InfeasibleSolutionError) as info:
        problem.check(solution)
    assert not problem.is_feasible(solution)
    with pytest.raises(InfeasibleSolutionError):
        problem.objective(solution)
    return str(info.value)


# Straightforward reference computations


def tour_length(d: np.ndarray, tour) -> float:
    return sum(d[tour[k]][tour[(k + 1) % len(tour)]] for k in range(len(tour)))


def routes_length(d: np.ndarray, routes) -> float:
    return sum(tour_length(d, [0, *route]) for route in routes)


def qap_cost(flow: np.ndarray, dist: np.ndarray, p) -> float:
    n = len(p)
    return sum(flow[i][j] * dist[p[i]][p[j]] for i in range(n) for j in range(n))


def makespan_by_paths(p: np.ndarray, order) -> int:
    """The longest monotone path through the (job, machine) grid: the makespan's other form."""
    grid = p[list(order)]
    n, m = grid.shape

    def longest(k: int, i: int) -> int:
        if k == n - 1 and i == m - 1:
            return grid[k, i]
        options = []
        if k + 1 < n:
            options.append(longest(k + 1, i))
        if i + 1 < m:
            options.append(longest(k, i + 1))
        return grid[k, i] + max(options)

    return int(longest(0, 0))


def tsptw_times(problem: TSPTW, tour) -> list[tuple[int, float]]:
    """(node, arrival) along the closed tour, by direct simulation."""
    d, tw, s = problem.distances, problem.time_windows, problem.service_times
    time = float(tw[0][0])
    out = []
    for previous, node in itertools.pairwise([*tour, 0]):
        arrival = time + s[previous] + d[previous][node]
        out.append((node, arrival))
        time = max(arrival, tw[node][0])
    return out


# Solution record and the base class


def test_solution_defaults():
    """``info`` defaults to a fresh empty dict."""
    a, b = Solution([0], 1.0), Solution([0], 1.0)
    a.info["beam"] = 4
    assert b.info == {}


@pytest.mark.parametrize("problem_type", PROBLEM_TYPES)
def test_random_is_seeded(problem_type):
    """The same seed gives the same instance; another seed another one."""
    first, again, other = (problem_type.random(6, seed=s) for s in (3, 3, 4))
    assert pickle.dumps(_arrays(first)) == pickle.dumps(_arrays(again))
    assert pickle.dumps(_arrays(first)) != pickle.dumps(_arrays(other))
    assert first.size == 6


def _arrays(problem: Problem) -> list:
    names = ("distances", "flow", "processing_times", "time_windows", "demands")
    arrays = [getattr(problem, n).tolist() for n in names if hasattr(problem, n)]
    return arrays or [problem.metadata["minimizer"]]


@pytest.mark.parametrize("problem_type", [TSP, CVRP, TSPTW, QAP, FlowShop])
def test_problems_pickle_and_stay_read_only(problem_type):
    """Instances pickle, and their arrays cannot be modified in place."""
    problem = problem_type.random(5, seed=0)
    again = pickle.loads(pickle.dumps(problem))
    assert again.name == problem.name and again.size == problem.size
    array = problem.processing_times if problem_type is FlowShop else problem.distances
    with pytest.raises(ValueError, match="read-only"):
        array[0, 0] = 1


@pytest.mark.parametrize("size", [0, -1, 2.5, True])
@pytest.mark.parametrize("problem_type", PROBLEM_TYPES)
def test_random_rejects_bad_sizes(problem_type, size):
    with pytest.raises(ValueError, match="size must be an integer"):
        problem_type.random(size, seed=0)


def test_repr_names_type_size_and_optimum():
    assert repr(TSP([[0]], name="one", optimum=0)) == "TSP(name='one', size=1, optimum=0)"


# TSP


@pytest.mark.parametrize("n", [1, 2, 5, 7])
def test_tsp_objective_matches_brute_force(n):
    """Every permutation is feasible and costs the straightforward sum."""
    problem = TSP.random(n, seed=n)
    d = np.asarray(problem.distances)
    for tour in itertools.permutations(range(n)):
        assert problem.is_feasible(tour)
        assert problem.objective(tour) == pytest.approx(tour_length(d, tour), rel=1e-12)


def test_tsp_asymmetric_tour_has_a_direction():
    problem = TSP([[0, 1, 10], [5, 0, 2], [3, 8, 0]])
    assert problem.objective([0, 1, 2]) == 6
    assert problem.objective([0, 2, 1]) == 23


def test_tsp_scale_gives_exact_integer_costs():
    """With ``scale``, coordinates are integers and tour lengths exact Python ints."""
    problem = TSP.random(9, seed=1, scale=1000)
    assert np.issubdtype(problem.coords.dtype, np.integer)
    assert problem.coords.max() <= 1000
    cost = problem.objective(list(range(9)))
    assert type(cost) is int
    x = problem.coords
    expected = sum(
        int(np.floor(np.hypot(*(x[a] - x[b])) + 0.5))
        for a, b in itertools.pairwise([*range(9), 0])
    )
    assert cost == expected


def test_tsp_random_is_in_unit_square():
    problem = TSP.random(50, seed=2)
    assert problem.coords.min() >= 0 and problem.coords.max() < 1
    assert problem.distances.dtype == np.float64


@pytest.mark.parametrize("seed", range(30))
def test_tsp_reported_faults_are_real(seed):
    """Random bad tours are rejected, and the fault the message names is really there."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 8))
    problem = TSP.random(n, seed=seed)
    tour = rng.integers(-1, n + 1, size=int(rng.integers(0, n + 2))).tolist()
    feasible = sorted(tour) == list(range(n))
    assert problem.is_feasible(tour) == feasible
    if feasible:
        return
    reason = _reason(problem, tour)
    if match := re.search(r"visits node (-?\d+) twice \(positions (\d+) and (\d+)\)", reason):
        node, i, j = map(int, match.groups())
        assert tour[i] == tour[j] == node and i != j
    elif match := re.search(r"contains node (-?\d+) at position (\d+), outside", reason):
        node, position = map(int, match.groups())
        assert tour[position] == node and not 0 <= node < n
    elif match := re.search(r"has (\d+) entries .* missing nodes: ([\d, ]+)", reason):
        assert int(match.group(1)) == len(tour)
        for node in map(int, match.group(2).split(", ")):
            assert node not in tour
    else:
        pytest.fail(f"unexpected reason: {reason}")


def test_tsp_messages_say_exactly_what_is_wrong():
    problem = TSP.random(5, seed=0)
    assert _reason(problem, [0, 1, 3, 3, 4]) == "tour visits node 3 twice (positions 2 and 3)"
    assert "missing nodes: 4" in _reason(problem, [0, 1, 2, 3])
    assert "contains node 7 at position 1, outside 0..4" in _reason(problem, [0, 7, 2, 3, 4])
    assert "entry 1.5 at position 1 is not an integer" in _reason(problem, [0, 1.5, 2, 3, 4])
    assert "must be a sequence of integers" in _reason(problem, "01234")


def test_tsp_accepts_arrays_and_whole_floats():
    problem = TSP.random(4, seed=0)
    assert problem.objective(np.array([2, 0, 1, 3])) == problem.objective([2, 0, 1, 3])
    assert problem.is_feasible([0.0, 1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    ("distances", "message"),
    [
        ([[0, 1]], "non-empty square"),
        ([[0, np.nan], [1, 0]], "non-finite"),
        ([["a", "b"], ["c", "d"]], "must hold numbers"),
    ],
)
def test_tsp_rejects_bad_matrices(distances, message):
    with pytest.raises(ValueError, match=message):
        TSP(distances)


# CVRP


def test_cvrp_capacities_follow_the_standard_table():
    assert [random_capacity(n) for n in (10, 20, 50, 100)] == [20, 30, 40, 50]
    assert random_capacity(5) == 20 and random_capacity(200) == 50
    assert random_capacity(35) == 35  # halfway between 30 (n=20) and 40 (n=50)


def test_cvrp_random_demands_and_capacity():
    problem = CVRP.random(20, seed=0)
    assert problem.size == 20 and problem.capacity == 30
    assert problem.demands[0] == 0
    assert problem.demands[1:].min() >= 1 and problem.demands[1:].max() <= 9


def test_cvrp_accepts_both_solution_forms():
    problem = CVRP.random(5, seed=1, scale=100)
    routes = [[3, 1], [2, 5, 4]]
    for form in ([0, 3, 1, 0, 2, 5, 4, 0], [3, 1, 0, 2, 5, 4], [0, 0, 3, 1, 0, 0, 2, 5, 4]):
        assert problem.routes(form) == routes
    assert problem.routes(np.array([3, 1, 0, 2, 5, 4])) == routes
    assert problem.routes([[3, 1], [], [2, 5, 4]]) == routes


def _cvrp_reference(problem: CVRP, routes) -> bool:
    visits = [c for route in routes for c in route]
    if sorted(visits) != list(range(1, problem.size + 1)):
        return False
    return all(sum(problem.demands[c] for c in route) <= problem.capacity for route in routes)


@pytest.mark.parametrize("seed", range(40))
def test_cvrp_feasibility_and_cost_match_brute_force(seed):
    """Random route sets: feasibility and cost agree with a direct computation, and every
    reported fault is real."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 7))
    problem = CVRP.random(n, seed=seed, capacity=int(rng.integers(9, 25)))
    pool = rng.integers(1, n + 2, size=int(rng.integers(0, n + 3))).tolist()
    if rng.random() < 0.5:
        pool = rng.permutation(np.arange(1, n + 1)).tolist()
    cuts = sorted(rng.integers(0, len(pool) + 1, size=int(rng.integers(0, 3))).tolist())
    routes = [pool[a:b] for a, b in itertools.pairwise([0, *cuts, len(pool)])]
    routes = [r for r in routes if r]

    feasible = _cvrp_reference(problem, routes) and (n + 1 not in pool)
    assert problem.is_feasible(routes) == feasible
    if feasible:
        d = np.asarray(problem.distances)
        assert problem.objective(routes) == pytest.approx(routes_length(d, routes))
        return
    reason = _reason(problem, routes)
    if match := re.search(r"customer (\d+) is visited twice \(routes (\d+) and (\d+)\)", reason):
        c, a, b = map(int, match.groups())
        assert c in routes[a] and c in routes[b] and (a != b or routes[a].count(c) > 1)
    elif match := re.search(r"customer\(s\) not visited: ([\d, ]+)", reason):
        for c in map(int, match.group(1).split(", ")):
            assert all(c not in route for route in routes)
    elif match := re.search(r"route (\d+) carries (\d+), more than the capacity (\d+)", reason):
        k, load, capacity = map(int, match.groups())
        assert sum(problem.demands[c] for c in routes[k]) == load > capacity == problem.capacity
    elif match := re.search(r"route (\d+) contains node (\d+), not a customer", reason):
        k, node = map(int, match.groups())
        assert node in routes[k] and not 1 <= node <= n
    else:
        pytest.fail(f"unexpected reason: {reason}")


def test_cvrp_messages_say_exactly_what_is_wrong():
    d = np.zeros((4, 4), dtype=int)
    problem = CVRP(d, demands=[0, 5, 5, 5], capacity=10)
    assert "customer 2 is visited twice (routes 0 and 1)" in _reason(problem, [[1, 2], [2, 3]])
    assert _reason(problem, [[1, 2]]) == "1 customer(s) not visited: 3"
    assert "route 0 carries 15, more than the capacity 10" in _reason(problem, [[1, 2, 3]])
    assert "contains the depot 0" in _reason(problem, [[0, 1], [2, 3]])
    assert "mixes routes and single nodes" in _reason(problem, [[1, 2], 3])
    limited = CVRP(d, demands=[0, 5, 5, 5], capacity=10, max_vehicles=2)
    assert "uses 3 routes but only 2 vehicles" in _reason(limited, [[1], [2], [3]])


@pytest.mark.parametrize(
    ("demands", "message"),
    [
        ([1, 2, 3], r"depot's demand, demands\[0\], must be 0"),
        ([0, 2, 30], "customer 2 has demand 30, more than the capacity 10"),
        ([0, -1, 3], "customer 1 has negative demand"),
    ],
)
def test_cvrp_rejects_impossible_instances(demands, message):
    with pytest.raises(ValueError, match=message):
        CVRP(np.zeros((3, 3)), demands, capacity=10)


# TSPTW


@pytest.mark.parametrize("seed", range(12))
def test_tsptw_random_has_a_feasible_tour_and_checks_match_simulation(seed):
    """Brute force over all tours: feasibility and cost match a direct simulation, every
    reported lateness is real, and the generator's promise of a feasible tour holds."""
    n = 2 + seed % 6
    problem = TSPTW.random(n, seed=seed, max_width=3 + seed)
    d = np.asarray(problem.distances)
    latest = problem.time_windows[:, 1]
    found = False
    for rest in itertools.permutations(range(1, n)):
        tour = [0, *rest]
        times = tsptw_times(problem, tour)
        feasible = all(arrival <= latest[node] for node, arrival in times)
        assert problem.is_feasible(tour) == feasible
        found |= feasible
        if feasible:
            assert problem.objective(tour) == tour_length(d, tour)
            assert problem.objective(list(rest)) == problem.objective(tour)
            continue
        reason = _reason(problem, tour)
        match = re.search(r"\(position (\d+)\) at time (\d+), after its latest time (\d+)", reason)
        assert match, reason
        k, time, limit = map(int, match.groups())
        node, arrival = times[k - 1]
        assert arrival == time > limit == latest[node]
        assert all(a <= latest[v] for v, a in times[: k - 1])  # the first lateness
    assert found


def test_tsptw_schedule_waits_for_earliest_times():
    d = [[0, 2, 3], [2, 0, 2], [3, 2, 0]]
    problem = TSPTW(d, [[0, 100], [0, 2], [5, 6]], service_times=[0, 1, 0])
    arrival, start = problem.schedule([0, 1, 2])
    assert arrival.tolist() == [0, 2, 5, 8]
    assert start.tolist() == [0, 2, 5, 8]
    waiting = TSPTW(d, [[0, 100], [4, 9], [0, 20]])
    arrival, start = waiting.schedule([1, 2])
    assert arrival.tolist() == [0, 2, 6, 9] and start.tolist() == [0, 4, 6, 9]


def test_tsptw_late_return_to_depot_is_infeasible():
    problem = TSPTW([[0, 5], [5, 0]], [[0, 9], [0, 10]])
    assert _reason(problem, [0, 1]) == (
        "the tour returns to the depot (position 2) at time 10, after its latest time 9"
    )


def test_tsptw_messages():
    problem = TSPTW.random(4, seed=0)
    assert "must start at the depot 0" in _reason(problem, [1, 0, 2, 3])
    assert "visits node 2 twice" in _reason(problem, [0, 2, 2, 3])
    with pytest.raises(ValueError, match="node 1 has an empty time window"):
        TSPTW([[0, 1], [1, 0]], [[0, 5], [4, 3]])


# QAP


@pytest.mark.parametrize("n", [1, 3, 6])
@pytest.mark.parametrize("symmetric", [True, False])
def test_qap_objective_matches_brute_force(n, symmetric):
    problem = QAP.random(n, seed=n, symmetric=symmetric)
    flow, dist = np.asarray(problem.flow), np.asarray(problem.distances)
    assert (np.diag(flow) == 0).all() and (np.diag(dist) == 0).all()
    assert (flow == flow.T).all() or not symmetric
    for p in itertools.permutations(range(n)):
        assert problem.objective(p) == qap_cost(flow, dist, p)
    assert "visits location 0 twice" in _reason(problem, [0] * max(n, 2))


# Flow shop


@pytest.mark.parametrize(("n", "m"), [(1, 1), (3, 2), (5, 3), (6, 2)])
def test_flowshop_makespan_matches_longest_path(n, m):
    problem = FlowShop.random(n, seed=n * m, num_machines=m)
    p = np.asarray(problem.processing_times)
    assert p.min() >= 1 and p.max() <= 99 and p.shape == (n, m)
    for order in itertools.permutations(range(n)):
        assert problem.objective(order) == makespan_by_paths(p, order)


def test_flowshop_completion_times():
    problem = FlowShop([[3, 2], [1, 4]])
    assert problem.completion_times([0, 1]).tolist() == [[3, 5], [4, 9]]
    assert "missing jobs: 1" in _reason(problem, [0])


# Black box


class _Interval:
    dim = 1

    def contains(self, x) -> bool:
        return 0.0 <= x <= 1.0


def test_blackbox_uses_the_space():
    problem = BlackBox(lambda x: x * 2.0, _Interval(), minimize=False, optimum=2.0)
    assert problem.size == 1 and problem.objective(0.5) == 1.0
    assert "is not a point of the space" in _reason(problem, 1.5)


def test_blackbox_random_is_a_shifted_sphere():
    problem = BlackBox.random(3, seed=0)
    centre = problem.metadata["minimizer"]
    assert problem.objective(centre) == 0.0 == problem.optimum
    assert problem.objective(np.zeros(3)) == pytest.approx(sum(c * c for c in centre))
    assert "shape (3,)" in _reason(problem, [0.0, 0.0])
    pickle.loads(pickle.dumps(problem))


def test_blackbox_without_dimension_has_no_size():
    problem = BlackBox(abs)
    assert problem.is_feasible("anything")
    with pytest.raises(AttributeError, match="pass dim="):
        _ = problem.size
    with pytest.raises(TypeError, match="must be callable"):
        BlackBox(3)


# Configs and factories


def test_factories_read_shipped_random_and_local_sources(tmp_path):
    assert build_tsp(instance="burma14").optimum == 3323
    assert build_tsp(size=8, seed=1, scale=100).size == 8
    assert build_cvrp(instance="E-n22-k4").capacity == 6000
    assert build_cvrp(size=10, seed=0).capacity == 20
    assert build_qap(instance="nug12").optimum == 578
    assert build_flowshop(size=4, num_machines=3).num_machines == 3
    assert build_flowshop(instance="car1").optimum == 7038
    assert build_tsptw(size=5, seed=2).size == 5
    assert build_tsp(path="tests/data/euc_2d.tsp").size == 4


def test_factories_need_exactly_one_source():
    with pytest.raises(ValueError, match="exactly one of 'path', 'instance' or 'size'"):
        build_tsp()
    with pytest.raises(ValueError, match=r"\(got instance and size\)"):
        build_qap(instance="nug12", size=3)


def test_factories_check_the_problem_type():
    with pytest.raises(TypeError, match="holds a QAP, not a TSP; use the 'qap' problem"):
        build_tsp(instance="nug12")


@pytest.mark.parametrize(
    ("config", "params"),
    [
        (TSPConfig, {"size": 5, "scale": 10}),
        (CVRPConfig, {"instance": "E-n22-k4"}),
        (QAPConfig, {"path": "x.dat"}),
        (FlowShopConfig, {"size": 3, "num_machines": 2}),
        (TSPTWConfig, {"size": 4}),
    ],
)
def test_configs_validate_and_round_trip(config, params):
    model = config(**params)
    assert config(**model.model_dump()) == model


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, r"got none"),
        ({"path": "a.tsp", "instance": "berlin52"}, r"got path and instance"),
        ({"instance": "berlin52", "scale": 10}, r"'scale' shapes a random instance"),
        ({"size": 0}, "greater than or equal to 1"),
        ({"size": 3, "unknown": 1}, "Extra inputs"),
    ],
)
def test_configs_reject_bad_sources(params, message):
    with pytest.raises(ValueError, match=message):
        TSPConfig(**params)


def test_configs_import_neither_numpy_nor_torch():
    """The config module stays light: the CLI reads it without the heavy libraries."""
    import subprocess
    import sys

    code = (
        "import sys; import tessera.problems._configs; "
        "print('numpy' in sys.modules, 'torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]
