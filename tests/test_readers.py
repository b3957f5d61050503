"""Tests of the instance readers: TSPLIB, CVRPLIB, QAPLIB and flow shop files."""

from __future__ import annotations

import gzip
import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from tessera.problems import (
    CVRP,
    QAP,
    TSP,
    FlowShop,
    InstanceFormatError,
    available_instances,
    instance_path,
    load_instance,
    load_solution,
    read_cvrplib,
    read_cvrplib_solution,
    read_flowshop,
    read_instance,
    read_qaplib,
    read_qaplib_solution,
    read_solution,
    read_taillard,
    read_tsplib,
    read_tsplib_tour,
    read_tsplib_tours,
    tsplib_distances,
)

DATA = Path(__file__).parent / "data"

#: The hand-made 4-node matrix of the explicit test files.
SMALL = [[0, 3, 5, 9], [3, 0, 4, 7], [5, 4, 0, 6], [9, 7, 6, 0]]


def held_karp(d: np.ndarray) -> int:
    """The optimal tour length by dynamic programming over subsets (exact, small n)."""
    n = d.shape[0]
    m, full = n - 1, 1 << (n - 1)
    cost = np.full((full, m), np.iinfo(np.int64).max // 4, dtype=np.int64)
    for j in range(m):
        cost[1 << j, j] = d[0, j + 1]
    masks = np.arange(full)
    sizes = np.array([bin(s).count("1") for s in masks])
    inner = d[1:, 1:]
    for k in range(2, m + 1):
        for j in range(m):
            subsets = masks[(sizes == k) & ((masks >> j) & 1 == 1)]
            cost[subsets, j] = (cost[subsets ^ (1 << j)] + inner[:, j]).min(axis=1)
    return int((cost[full - 1] + d[1:, 0]).min())


def neh(p: np.ndarray) -> tuple[list[int], int]:
    """Nawaz-Enscore-Ham: insert jobs by decreasing total time at their best position."""
    shop = FlowShop(p)
    order: list[int] = []
    for job in sorted(range(len(p)), key=lambda j: -p[j].sum()):
        options = [[*order[:k], job, *order[k:]] for k in range(len(order) + 1)]
        order = min(options, key=lambda o: shop.completion_times(o)[-1, -1])
    return order, int(shop.completion_times(order)[-1, -1])


def branch_and_bound(p: np.ndarray, upper: int) -> int:
    """The optimal makespan, by depth-first search over job prefixes from an upper bound.

    A prefix whose machines are free at ``c`` is cut when, for some machine ``i``,
    ``c[i] + Σ_(j left) p[j, i] + min_(j left) Σ_(i' > i) p[j, i']`` reaches the best
    makespan found so far.
    """
    n, m = p.shape
    best = upper

    def search(c: list[int], left: frozenset[int]) -> None:
        nonlocal best
        if not left:
            best = min(best, c[-1])
            return
        rest = list(left)
        for i in range(m):
            bound = c[i] + p[rest, i].sum() + p[rest, i + 1 :].sum(1).min()
            if bound >= best:
                return
        for job in rest:
            after = list(c)
            after[0] += p[job, 0]
            for i in range(1, m):
                after[i] = max(after[i], after[i - 1]) + p[job, i]
            search(after, left - {job})

    search([0] * m, frozenset(range(n)))
    return int(best)


def _error(call, *args) -> str:
    with pytest.raises(InstanceFormatError) as info:
        call(*args)
    return str(info.value)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# Shipped instances and their published optima


def test_every_shipped_instance_loads():
    expected = {
        "burma14": (TSP, 14),
        "ulysses16": (TSP, 16),
        "gr17": (TSP, 17),
        "bayg29": (TSP, 29),
        "att48": (TSP, 48),
        "berlin52": (TSP, 52),
        "st70": (TSP, 70),
        "E-n22-k4": (CVRP, 21),
        "chr12a": (QAP, 12),
        "nug12": (QAP, 12),
        "esc16a": (QAP, 16),
        "tai12a": (QAP, 12),
        "ta001": (FlowShop, 20),
        "car1": (FlowShop, 11),
    }
    assert set(available_instances()) == set(expected)
    for name, (kind, size) in expected.items():
        problem = load_instance(name)
        assert isinstance(problem, kind) and problem.size == size and problem.name == name
        assert problem.optimum is not None and problem.metadata["source"]


@pytest.mark.parametrize(
    "name",
    [
        "ulysses16",
        "bayg29",
        "att48",
        "berlin52",
        "st70",
        "E-n22-k4",
        "chr12a",
        "nug12",
        "esc16a",
        "tai12a",
    ],
)
def test_published_optimal_solutions_reach_the_published_optimum(name):
    """Recomputing the cost of each published optimal solution gives the published value."""
    problem, solution = load_instance(name), load_solution(name)
    assert problem.objective(solution.value) == solution.cost == problem.optimum


@pytest.mark.parametrize("name", ["burma14", "ulysses16", "gr17"])
def test_small_tsplib_optima_by_dynamic_programming(name):
    """Held-Karp over the distances we read reproduces the published optimum."""
    problem = load_instance(name)
    assert held_karp(np.asarray(problem.distances)) == problem.optimum


def test_car1_optimum_by_branch_and_bound():
    """NEH reaches 7038 and an exhaustive search finds nothing shorter."""
    problem = load_instance("car1")
    p = np.asarray(problem.processing_times)
    order, makespan = neh(p)
    assert problem.objective(order) == makespan == 7038
    assert branch_and_bound(p, upper=makespan + 1) == 7038


def test_ta001_bounds_bracket_its_optimum():
    problem = load_instance("ta001")
    p = np.asarray(problem.processing_times)
    assert problem.metadata["upper_bound"] == 1278 and problem.metadata["lower_bound"] == 1232
    assert p[:3, 0].tolist() == [54, 83, 15] and p[0].tolist() == [54, 79, 16, 66, 58]
    assert neh(p)[1] >= 1278
    assert all(
        problem.objective(np.random.default_rng(s).permutation(20)) >= 1278 for s in range(50)
    )


def test_load_instance_suggests_close_names():
    with pytest.raises(ValueError, match="did you mean 'berlin52'"):
        load_instance("berlin53")
    with pytest.raises(ValueError, match="without an optimal solution file"):
        load_solution("burma14")


def test_read_instance_dispatches_on_suffix(tmp_path):
    assert isinstance(read_instance(DATA / "euc_2d.tsp"), TSP)
    assert isinstance(read_instance(DATA / "tiny_euc.vrp"), CVRP)
    assert isinstance(read_instance(DATA / "tiny.dat"), QAP)
    assert isinstance(read_instance(DATA / "tiny_orlib.txt"), FlowShop)
    assert read_solution(DATA / "tiny.tour") == [0, 2, 3, 1]
    with pytest.raises(ValueError, match=r"no instance reader for suffix '\.xyz'"):
        read_instance(tmp_path / "a.xyz")
    with pytest.raises(ValueError, match="a solution file: use read_solution"):
        read_instance(DATA / "tiny.sln")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_instance(tmp_path / "missing.tsp")


def test_gzipped_files_read_the_same(tmp_path):
    packed = tmp_path / "berlin52.tsp.gz"
    packed.write_bytes(gzip.compress(instance_path("berlin52").read_bytes()))
    problem = read_instance(packed)
    assert problem.name == "berlin52"
    assert (problem.distances == load_instance("berlin52").distances).all()


# TSPLIB: explicit formats and rounding rules, against hand computations


@pytest.mark.parametrize(
    "name",
    [
        "full_matrix",
        "upper_row",
        "lower_row",
        "upper_diag_row",
        "lower_diag_row",
        "upper_row_wrapped",
    ],
)
def test_explicit_row_formats(name):
    problem = read_tsplib(DATA / f"explicit_{name}.tsp")
    assert problem.distances.tolist() == SMALL
    assert problem.distances.dtype == np.int64
    assert problem.objective([0, 1, 2, 3]) == 3 + 4 + 6 + 9
    assert problem.objective([0, 1, 3, 2]) == 3 + 7 + 6 + 5


@pytest.mark.parametrize(
    ("column_format", "same_tokens_as"),
    [
        ("UPPER_COL", "lower_row"),
        ("LOWER_COL", "upper_row"),
        ("UPPER_DIAG_COL", "lower_diag_row"),
        ("LOWER_DIAG_COL", "upper_diag_row"),
    ],
)
def test_explicit_column_formats(tmp_path, column_format, same_tokens_as):
    """A column-wise triangle lists the same numbers as the other row-wise triangle."""
    text = (DATA / f"explicit_{same_tokens_as}.tsp").read_text()
    text = re.sub(r"EDGE_WEIGHT_FORMAT: \w+", f"EDGE_WEIGHT_FORMAT: {column_format}", text)
    assert read_tsplib(_write(tmp_path, "col.tsp", text)).distances.tolist() == SMALL


def test_explicit_full_matrix_keeps_asymmetry():
    problem = read_tsplib(DATA / "explicit_atsp.atsp")
    assert problem.distances.tolist() == [[0, 1, 10], [5, 0, 2], [3, 8, 0]]
    assert problem.objective([0, 1, 2]) == 1 + 2 + 3


def test_euc_2d_rounds_to_nearest_with_halves_up():
    # (0,0) (3,4) (1,1) (1.5,2): 5, √2 → 1, 2.5 → 3, √13 ≈ 3.61 → 4, 2.5 → 3, √1.25 ≈ 1.12 → 1
    problem = read_tsplib(DATA / "euc_2d.tsp")
    assert problem.distances.tolist() == [[0, 5, 1, 3], [5, 0, 4, 3], [1, 4, 0, 1], [3, 3, 1, 0]]
    assert problem.coords.tolist() == [[0, 0], [3, 4], [1, 1], [1.5, 2]]


def test_ceil_2d_rounds_up():
    # Same points: 5, √2 → 2, 2.5 → 3, √13 → 4, 2.5 → 3, √1.25 → 2
    problem = read_tsplib(DATA / "ceil_2d.tsp")
    assert problem.distances.tolist() == [[0, 5, 2, 3], [5, 0, 4, 3], [2, 4, 0, 2], [3, 3, 2, 0]]


def test_att_pseudo_euclidean():
    # r = √((xd² + yd²)/10), t = nint(r), d = t + 1 if t < r else t:
    # 1-2: √10 ≈ 3.16 → 4;  1-3: √90 ≈ 9.49 → 10;  1-4: √43.6 ≈ 6.60 → t = 7 ≥ r → 7
    # 2-3: √100 = 10 → 10;  2-4: √13.6 ≈ 3.69 → t = 4 → 4;  3-4: √97.6 ≈ 9.88 → 10
    problem = read_tsplib(DATA / "att.tsp")
    assert problem.distances.tolist() == [
        [0, 4, 10, 7],
        [4, 0, 10, 4],
        [10, 10, 0, 10],
        [7, 4, 10, 0],
    ]


def test_geo_converts_degrees_and_minutes_and_truncates():
    # On the equator the distance is (int)(6378.388 · Δλ + 1) with Δλ in radians, PI = 3.141592.
    # DDD.MM: 0.30 is 0°30' = 0.5°, -1.30 is -(1°30') = -1.5°, 2.45 is 2°45' = 2.75°.
    # 6378.388 · 3.141592 / 180 = 111.32385 km per degree, so:
    # 0.5° → 56.66 → 56;  1.5° → 167.99 → 167;  2.75° → 307.14 → 307;  2° → 223.65 → 223;
    # 2.25° → 251.48 → 251;  4.25° → 474.13 → 474.  The file lists nodes out of order.
    problem = read_tsplib(DATA / "geo.tsp")
    assert problem.distances.tolist() == [
        [0, 56, 167, 307],
        [56, 0, 223, 251],
        [167, 223, 0, 474],
        [307, 251, 474, 0],
    ]


def test_tsplib_distances_by_name():
    assert tsplib_distances([[0, 0], [3, 4]], "EUC_2D").tolist() == [[0, 5], [5, 0]]
    assert tsplib_distances([[0, 0, 0], [1, 2, 2]], "EUC_3D").tolist() == [[0, 3], [3, 0]]
    assert tsplib_distances([[0, 0], [1, 2]], "MAN_2D").tolist() == [[0, 3], [3, 0]]
    assert tsplib_distances([[0, 0], [1, 2]], "MAX_2D").tolist() == [[0, 2], [2, 0]]
    with pytest.raises(ValueError, match="'FOO' has no coordinate distance"):
        tsplib_distances([[0, 0]], "FOO")


def test_explicit_instances_keep_display_coordinates():
    bayg29 = load_instance("bayg29")
    assert bayg29.coords[0].tolist() == [1150.0, 1760.0]
    assert bayg29.metadata["edge_weight_format"] == "UPPER_ROW"


def test_tour_files():
    assert read_tsplib_tour(DATA / "tiny.tour") == [0, 2, 3, 1]
    assert read_tsplib(DATA / "explicit_upper_row.tsp").objective([0, 2, 3, 1]) == 5 + 6 + 7 + 3


def test_tour_file_with_two_tours(tmp_path):
    path = _write(
        tmp_path,
        "two.tour",
        "TYPE : TOUR\nDIMENSION : 3\nTOUR_SECTION\n1 2 3 -1\n3 2 1 -1\n-1\nEOF\n",
    )
    assert read_tsplib_tours(path) == [[0, 1, 2], [2, 1, 0]]
    assert "expected exactly one tour, found 2 tours" in _error(read_tsplib_tour, path)


# CVRPLIB


def test_cvrplib_explicit_instance_and_solution():
    problem = read_cvrplib(DATA / "tiny_explicit.vrp")
    assert problem.distances.tolist() == SMALL
    assert problem.demands.tolist() == [0, 6, 4, 5] and problem.capacity == 10
    solution = read_cvrplib_solution(DATA / "tiny_explicit.sol")
    assert solution.value == [[1, 2], [3]]
    assert problem.objective(solution.value) == solution.cost == (3 + 4 + 5) + (9 + 9)
    assert not problem.is_feasible([[1, 3], [2]])  # 6 + 5 > 10


def test_cvrplib_coordinates_use_nint():
    problem = read_cvrplib(DATA / "tiny_euc.vrp")
    assert problem.distances.tolist() == [[0, 5, 1, 3], [5, 0, 4, 3], [1, 4, 0, 1], [3, 3, 1, 0]]
    assert problem.objective([[1, 3], [2]]) == (5 + 3 + 3) + (1 + 1)


# QAPLIB and flow shop


def test_qaplib_layout_does_not_matter():
    """tiny.dat wraps B over lines differently from its rows; the matrices read the same."""
    problem = read_qaplib(DATA / "tiny.dat")
    assert problem.flow.tolist() == [[0, 2, 1], [2, 0, 3], [1, 3, 0]]
    assert problem.distances.tolist() == [[0, 5, 4], [5, 0, 6], [4, 6, 0]]
    solution = read_qaplib_solution(DATA / "tiny.sln")
    assert solution.value == [1, 2, 0]
    # flow[0,1]·B[1,2] + flow[0,2]·B[1,0] + flow[1,2]·B[2,0], both directions
    assert problem.objective(solution.value) == solution.cost == 2 * (2 * 6 + 1 * 5 + 3 * 4)


def test_taillard_file_with_two_instances():
    first = read_taillard(DATA / "tiny_taillard.txt")
    second = read_taillard(DATA / "tiny_taillard.txt", 1)
    assert first.processing_times.tolist() == [[3, 2], [1, 4], [2, 1]]
    assert second.processing_times.tolist() == [[3, 2], [1, 4]]
    assert first.name == "tiny_taillard-1" and second.metadata["upper_bound"] == 7
    best = min(first.objective(o) for o in itertools.permutations(range(3)))
    assert best == first.objective([1, 0, 2]) == 8  # Johnson's rule order
    with pytest.raises(ValueError, match="holds 2 instance"):
        read_taillard(DATA / "tiny_taillard.txt", 2)


def test_orlib_flowshop_skips_the_title():
    problem = read_flowshop(DATA / "tiny_orlib.txt")
    assert problem.processing_times.tolist() == [[3, 2], [1, 4], [2, 1]]


# Malformed files: the message names the file, the line, what was expected and found


BERLIN_HEAD = "NAME: bad\nTYPE: TSP\nDIMENSION: 3\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n"


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (
            BERLIN_HEAD + "1 0 0\n2 1\n3 2 2\nEOF\n",
            ["line 7", "a node id and 2 coordinates", "2 values: '2 1'"],
        ),
        (
            BERLIN_HEAD + "1 0 0\n2 1 1\n2 2 2\nEOF\n",
            ["line 8", "each node once", "node 2 again (first on line 7)"],
        ),
        (BERLIN_HEAD + "1 0 0\n2 1 1\n4 2 2\nEOF\n", ["line 8", "a node id in 1..3", "found 4"]),
        (
            BERLIN_HEAD + "1 0 0\n2 1 x\n3 2 2\nEOF\n",
            ["line 7", "expected a coordinate", "found 'x'"],
        ),
        (
            BERLIN_HEAD + "1 0 0\n2 1 1\nEOF\n",
            ["line 5", "3 nodes in NODE_COORD_SECTION", "2; missing node(s) 3"],
        ),
        (
            "NAME: bad\nTYPE: TSP\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n1 0 0\nEOF\n",
            ["expected a 'DIMENSION :' entry, found none"],
        ),
        (
            "NAME: bad\nDIMENSION: three\nEDGE_WEIGHT_TYPE: EUC_2D\n",
            ["line 2", "a positive integer for DIMENSION", "'three'"],
        ),
        (
            "NAME: bad\nDIMENSION: 2\nEDGE_WEIGHT_TYPE: FOO\n",
            ["line 3", "EXPLICIT, EUC_2D, EUC_3D, CEIL_2D", "GEO, ATT", "found 'FOO'"],
        ),
        (
            "NAME: bad\nThe first node is the depot.\n",
            [
                "line 2",
                "a 'KEY : value' line or a section keyword",
                "'The first node is the depot.'",
            ],
        ),
        ("NAME: bad\nNAME: again\n", ["line 2", "one NAME entry"]),
        ("TYPE: CVRP\nDIMENSION: 2\n", ["line 1", "TYPE TSP or ATSP (use read_cvrplib"]),
        (
            "DIMENSION: 3\nEDGE_WEIGHT_TYPE: EXPLICIT\nEDGE_WEIGHT_FORMAT: UPPER_ROW\n"
            "EDGE_WEIGHT_SECTION\n1 2\n3 4\nEOF\n",
            ["line 6", "3 edge weights for DIMENSION 3 in UPPER_ROW", "found 4"],
        ),
        (
            "DIMENSION: 3\nEDGE_WEIGHT_TYPE: EXPLICIT\nEDGE_WEIGHT_FORMAT: UPPER_ROW\n"
            "EDGE_WEIGHT_SECTION\n1 2\nEOF\n",
            ["line 4", "3 edge weights", "found 2"],
        ),
        (
            "DIMENSION: 2\nEDGE_WEIGHT_TYPE: EXPLICIT\nEDGE_WEIGHT_FORMAT: UPPER_ROW\n"
            "EDGE_WEIGHT_SECTION\nseven\nEOF\n",
            ["line 5", "expected an edge weight", "found 'seven'"],
        ),
        (
            "DIMENSION: 2\nEDGE_WEIGHT_TYPE: EXPLICIT\nEDGE_WEIGHT_FORMAT: TRIANGLE\n"
            "EDGE_WEIGHT_SECTION\n1\nEOF\n",
            ["line 3", "an EDGE_WEIGHT_FORMAT among FULL_MATRIX, UPPER_ROW", "found 'TRIANGLE'"],
        ),
        (
            "DIMENSION: 2\nEDGE_WEIGHT_TYPE: EXPLICIT\n",
            ["expected a 'EDGE_WEIGHT_FORMAT :' entry, found none"],
        ),
    ],
)
def test_malformed_tsplib_files(tmp_path, text, fragments):
    path = _write(tmp_path, "bad.tsp", text)
    message = _error(read_tsplib, path)
    assert f"'{path}'" in message
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("DIMENSION: 2\nEDGE_WEIGHT_TYPE: XRAY1\n", "EDGE_WEIGHT_TYPE XRAY1 is not supported"),
        ("TYPE: HCP\nDIMENSION: 2\n", "TSPLIB TYPE 'HCP' is not supported"),
        (
            "DIMENSION: 2\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 1 1\n"
            "FIXED_EDGES_SECTION\n1 2\n-1\n",
            "FIXED_EDGES_SECTION is not supported",
        ),
    ],
)
def test_unsupported_tsplib_features(tmp_path, text, what):
    with pytest.raises(NotImplementedError, match=what):
        read_tsplib(_write(tmp_path, "x.tsp", text))


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (
            "TYPE : TOUR\nDIMENSION : 3\nTOUR_SECTION\n1 2 3\nEOF\n",
            ["line 5", "-1 after the last tour"],
        ),
        (
            "TYPE : TOUR\nDIMENSION : 3\nTOUR_SECTION\n1 2 2\n-1\n",
            ["tour 1 to visit each of the 3 nodes once", "3 entries, 2 distinct"],
        ),
        (
            "TYPE : TOUR\nDIMENSION : 3\nTOUR_SECTION\n1 2 5\n-1\n",
            ["line 4", "a node number in 1..3 or -1", "found 5"],
        ),
        ("TYPE : TSP\nTOUR_SECTION\n1 -1\n", ["line 1", "expected TYPE TOUR, found TSP"]),
    ],
)
def test_malformed_tour_files(tmp_path, text, fragments):
    message = _error(read_tsplib_tour, _write(tmp_path, "bad.tour", text))
    for fragment in fragments:
        assert fragment in message, message


VRP_HEAD = "NAME : bad\nTYPE : CVRP\nDIMENSION : 3\nEDGE_WEIGHT_TYPE : EUC_2D\n"
VRP_COORDS = "NODE_COORD_SECTION\n1 0 0\n2 3 4\n3 1 1\n"


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (
            VRP_HEAD + VRP_COORDS + "DEMAND_SECTION\n1 0\n2 1\n3 1\nDEPOT_SECTION\n1\n-1\n",
            ["expected a 'CAPACITY :' entry, found none"],
        ),
        (
            VRP_HEAD
            + "CAPACITY : 5\n"
            + VRP_COORDS
            + "DEMAND_SECTION\n1 0\n2\n3 1\nDEPOT_SECTION\n1\n-1\n",
            ["line 12", "'node demand' in DEMAND_SECTION", "'2'"],
        ),
        (
            VRP_HEAD
            + "CAPACITY : 5\n"
            + VRP_COORDS
            + "DEMAND_SECTION\n1 0\n2 9\n3 1\nDEPOT_SECTION\n1\n-1\n",
            ["a solvable CVRP instance", "customer 1 has demand 9, more than the capacity 5"],
        ),
        (
            VRP_HEAD
            + "CAPACITY : 5\n"
            + VRP_COORDS
            + "DEMAND_SECTION\n1 0\n2 1\nDEPOT_SECTION\n1\n-1\n",
            ["line 10", "3 demands (DIMENSION)", "found 2"],
        ),
        (
            VRP_HEAD + "CAPACITY : 5\n" + VRP_COORDS + "DEMAND_SECTION\n1 0\n2 1\n3 1\n",
            ["expected a DEPOT_SECTION, found none"],
        ),
    ],
)
def test_malformed_cvrplib_files(tmp_path, text, fragments):
    path = _write(tmp_path, "bad.vrp", text)
    message = _error(read_cvrplib, path)
    assert f"'{path}'" in message
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize(
    ("extra", "what"),
    [
        ("DISTANCE : 100\n", "route length limit"),
        ("DEPOT_SECTION\n1\n2\n-1\n", "2 depots"),
        ("DEPOT_SECTION\n2\n-1\n", "the depot is node 2"),
    ],
)
def test_unsupported_cvrplib_features(tmp_path, extra, what):
    depot = "" if "DEPOT" in extra else "DEPOT_SECTION\n1\n-1\n"
    text = (
        VRP_HEAD
        + "CAPACITY : 5\n"
        + (extra if "DEPOT" not in extra else "")
        + VRP_COORDS
        + "DEMAND_SECTION\n1 0\n2 1\n3 1\n"
        + depot
        + (extra if "DEPOT" in extra else "")
    )
    with pytest.raises(NotImplementedError, match=what):
        read_cvrplib(_write(tmp_path, "x.vrp", text))


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("Route #1: 1 2\nRoute #3: 3\nCost 5\n", ["line 2", "expected Route #2"]),
        ("Route #1: 1 x\nCost 5\n", ["line 1", "a customer number", "'x'"]),
        ("Route #1: 1 2\n", ["expected a 'Cost z' line, found none"]),
        ("Route #1: 1 2\nTotal 5\n", ["line 2", "'Route #k: ...' or 'Cost z'", "'Total 5'"]),
    ],
)
def test_malformed_cvrplib_solutions(tmp_path, text, fragments):
    message = _error(read_cvrplib_solution, _write(tmp_path, "bad.sol", text))
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("2\n0 1\n1 0\n0 3\n3\n", ["2·n² = 8 matrix entries after n = 2", "found 7"]),
        ("2\n0 1\n1 0\n0 3\n3 0\n9\n", ["line 6", "found 9 (the extra ones start here)"]),
        ("2\n0 1\n1 0\n0 a\n3 0\n", ["line 4", "expected a matrix entry, found 'a'"]),
        ("two\n", ["line 1", "the size n, a positive integer", "'two'"]),
        ("", ["expected the size n, found an empty file"]),
    ],
)
def test_malformed_qaplib_files(tmp_path, text, fragments):
    path = _write(tmp_path, "bad.dat", text)
    message = _error(read_qaplib, path)
    assert f"'{path}'" in message
    for fragment in fragments:
        assert fragment in message, message


def test_malformed_qaplib_solution(tmp_path):
    message = _error(read_qaplib_solution, _write(tmp_path, "bad.sln", "3 10\n1 1 2\n"))
    assert "line 2" in message and "a permutation of 1..3" in message


@pytest.mark.parametrize(
    ("name", "text", "fragments"),
    [
        (
            "bad.txt",
            "number of jobs, number of machines, initial seed, upper bound and "
            "lower bound :\n 2 2 1 5 5\nprocessing times :\n1 2\n",
            ["line 3", "2 rows", "found 1"],
        ),
        (
            "bad.txt",
            "number of jobs, number of machines, initial seed, upper bound and "
            "lower bound :\n 2 2 1 5\n",
            ["line 2", "5 numbers", "found '2 2 1 5'"],
        ),
        (
            "bad.txt",
            "number of jobs, number of machines, initial seed, upper bound and "
            "lower bound :\n 2 2 1 5 5\nprocessing times :\n1 2\n3\n",
            ["line 5", "2 processing times (one per job)", "found 1"],
        ),
        (
            "bad.txt",
            "2 2\n0 1 1 2\n1 3 0 4\n",
            ["line 3", "machines in the order 0..1", "the order [1, 0]"],
        ),
        ("bad.txt", "2 2\n0 1 1 2\n", ["line 1", "2 job rows after 'n m'", "found 1"]),
    ],
)
def test_malformed_flowshop_files(tmp_path, name, text, fragments):
    path = _write(tmp_path, name, text)
    message = _error(read_flowshop, path)
    assert f"'{path}'" in message
    for fragment in fragments:
        assert fragment in message, message
