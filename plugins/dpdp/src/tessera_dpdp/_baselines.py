"""Baseline solvers to compare DPDP with: nearest neighbour, 2-opt + Or-opt, OR-tools,
LKH (through elkai) and HGS (through pyvrp).

OR-tools, elkai and pyvrp are optional extras of the plugin; a solver whose package is
missing raises :class:`MissingDependencyError` naming the pip command that installs it.
"""

from __future__ import annotations

import importlib
import time
from typing import Any, ClassVar

import numpy as np

from tessera.errors import MissingDependencyError as CoreMissingDependencyError
from tessera.kinds import Solver
from tessera.problems import CVRP, TSP, TSPTW, Problem, Solution
from tessera_dpdp._localsearch import local_search, nearest_neighbour_tour, routes_of

__all__ = [
    "HGS",
    "LKH",
    "MissingDependencyError",
    "NearestNeighbour",
    "ORTools",
    "TwoOpt",
    "optional_module",
]

#: Largest edge length after scaling float distances to integers for external solvers.
_INTEGER_RANGE = 10**7


class MissingDependencyError(CoreMissingDependencyError):
    """An optional package of a baseline solver is not installed."""


def optional_module(module: str, package: str, extra: str, solver: str) -> Any:
    """Import ``module`` or raise :class:`MissingDependencyError` with the install command."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(
            f"solver {solver!r} needs the package {package!r}, which is not installed; "
            f"install it with: pip install {package}  (or: pip install 'tessera-dpdp[{extra}]')"
        ) from None


def _timed(problem: Problem, value: Any, begin: float, **info: Any) -> Solution:
    return Solution(value, problem.objective(value), {"time": time.perf_counter() - begin, **info})


def _scaled(distances: np.ndarray, largest: int = _INTEGER_RANGE) -> tuple[np.ndarray, float]:
    """Integer distances for solvers that need them: as they are, or scaled and rounded."""
    d = np.asarray(distances)
    if np.issubdtype(d.dtype, np.integer) or np.array_equal(d, np.round(d)):
        return d.astype(np.int64), 1.0
    scale = largest / max(float(np.abs(d).max()), 1e-300)
    return np.rint(d * scale).astype(np.int64), scale


class NearestNeighbour(Solver):
    """Greedy construction: always go to the nearest unvisited node (for CVRP: that fits
    the remaining capacity, else back to the depot).

    Example:
        >>> from tessera.problems import TSP
        >>> NearestNeighbour().solve(TSP.random(5, seed=0)).value[0]
        0
    """

    problem_types: ClassVar[tuple[type[Problem], ...]] = (TSP, CVRP)

    def solve(self, problem: Problem) -> Solution:
        self.check_supported(problem)
        begin = time.perf_counter()
        d = np.asarray(problem.distances)
        if isinstance(problem, CVRP):
            tour = nearest_neighbour_tour(d, np.asarray(problem.demands), problem.capacity)
            return _timed(problem, routes_of(tour), begin)
        return _timed(problem, nearest_neighbour_tour(d), begin)


class TwoOpt(Solver):
    """Nearest neighbour followed by 2-opt and Or-opt local search to a local optimum.

    Arguments are the fields of :class:`tessera_dpdp.configs.TwoOptConfig`.

    Example:
        >>> from tessera.problems import TSP
        >>> problem = TSP.random(12, seed=1)
        >>> TwoOpt().solve(problem).cost <= NearestNeighbour().solve(problem).cost
        True
    """

    problem_types: ClassVar[tuple[type[Problem], ...]] = (TSP, CVRP)

    def __init__(self, or_opt: bool = True, max_rounds: int = 1000) -> None:
        self.or_opt = or_opt
        self.max_rounds = max_rounds

    def solve(self, problem: Problem) -> Solution:
        self.check_supported(problem)
        begin = time.perf_counter()
        d = np.asarray(problem.distances)
        if isinstance(problem, CVRP):
            demands = np.asarray(problem.demands)
            start = nearest_neighbour_tour(d, demands, problem.capacity)
            tour = local_search(d, start, demands, problem.capacity, self.or_opt, self.max_rounds)
            return _timed(problem, routes_of(tour), begin)
        tour = local_search(d, nearest_neighbour_tour(d), None, None, self.or_opt, self.max_rounds)
        return _timed(problem, tour, begin)


class ORTools(Solver):
    """OR-tools routing: a cheapest-arc (TSPTW: cheapest-insertion) start, then a
    metaheuristic until the time limit.

    TSP, CVRP (one vehicle per customer available) and TSPTW (a time dimension with
    waiting allowed; integer times only).

    Arguments are the fields of :class:`tessera_dpdp.configs.ORToolsConfig`.
    """

    problem_types: ClassVar[tuple[type[Problem], ...]] = (TSP, CVRP, TSPTW)
    example_problem_sizes: ClassVar[tuple[int, ...]] = (7,)

    def __init__(
        self, time_limit: float = 1.0, metaheuristic: str = "guided_local_search"
    ) -> None:
        self.time_limit = time_limit
        self.metaheuristic = metaheuristic

    def solve(self, problem: Problem) -> Solution:
        self.check_supported(problem)
        pywrapcp = optional_module(
            "ortools.constraint_solver.pywrapcp", "ortools", "ortools", "dpdp.ortools"
        )
        enums = optional_module(
            "ortools.constraint_solver.routing_enums_pb2", "ortools", "ortools", "dpdp.ortools"
        )
        begin = time.perf_counter()
        d, _ = _scaled(problem.distances)
        n = len(d)
        vehicles = max(n - 1, 1) if isinstance(problem, CVRP) else 1
        manager = pywrapcp.RoutingIndexManager(n, vehicles, 0)
        routing = pywrapcp.RoutingModel(manager)
        nodes = manager.IndexToNode

        def distance(a: int, b: int) -> int:
            return int(d[nodes(a), nodes(b)])

        arc = routing.RegisterTransitCallback(distance)
        routing.SetArcCostEvaluatorOfAllVehicles(arc)
        if isinstance(problem, CVRP):
            demands = [int(x) for x in problem.demands]
            load = routing.RegisterUnaryTransitCallback(lambda a: demands[nodes(a)])
            capacity = int(problem.capacity)
            routing.AddDimensionWithVehicleCapacity(load, 0, [capacity] * vehicles, True, "load")
        if isinstance(problem, TSPTW):
            self._time_dimension(problem, routing, manager)

        parameters = pywrapcp.DefaultRoutingSearchParameters()
        # Cheapest insertion finds feasible TSPTW tours where the cheapest arc gets stuck
        strategy = (
            "LOCAL_CHEAPEST_INSERTION" if isinstance(problem, TSPTW) else "PATH_CHEAPEST_ARC"
        )
        parameters.first_solution_strategy = getattr(enums.FirstSolutionStrategy, strategy)
        parameters.local_search_metaheuristic = getattr(
            enums.LocalSearchMetaheuristic, self.metaheuristic.upper()
        )
        parameters.time_limit.FromMilliseconds(max(1, int(self.time_limit * 1000)))
        found = routing.SolveWithParameters(parameters)
        if found is None:
            from tessera_dpdp._solver import NoSolutionError

            raise NoSolutionError(
                f"OR-tools found no feasible solution for {problem.name!r} within "
                f"{self.time_limit} s; raise time_limit"
            )
        routes = []
        for vehicle in range(vehicles):
            index, route = routing.Start(vehicle), []
            while not routing.IsEnd(index):
                route.append(nodes(index))
                index = found.Value(routing.NextVar(index))
            routes.append(route)
        if isinstance(problem, CVRP):
            return _timed(problem, [r[1:] for r in routes if len(r) > 1], begin)
        return _timed(problem, routes[0], begin)

    @staticmethod
    def _time_dimension(problem: TSPTW, routing: Any, manager: Any) -> None:
        arrays = (problem.distances, problem.time_windows, problem.service_times)
        if not all(np.issubdtype(np.asarray(a).dtype, np.integer) for a in arrays):
            raise NotImplementedError(
                f"dpdp.ortools solves TSPTW with integer times only; {problem.name!r} has "
                "float distances, windows or service times"
            )
        d, service = np.asarray(problem.distances), np.asarray(problem.service_times)
        windows = np.asarray(problem.time_windows)
        nodes = manager.IndexToNode

        def transit(a: int, b: int) -> int:
            i = nodes(a)
            return int(service[i] + d[i, nodes(b)])

        callback = routing.RegisterTransitCallback(transit)
        horizon = int(windows[:, 1].max() + service.sum() + d.max() * len(d))
        routing.AddDimension(callback, horizon, horizon, False, "time")
        time = routing.GetDimensionOrDie("time")
        for node in range(1, len(d)):
            index = manager.NodeToIndex(node)
            time.CumulVar(index).SetRange(int(windows[node, 0]), int(windows[node, 1]))
        time.CumulVar(routing.Start(0)).SetRange(int(windows[0, 0]), int(windows[0, 0]))
        time.CumulVar(routing.End(0)).SetRange(int(windows[0, 0]), int(windows[0, 1]))


class LKH(Solver):
    """LKH (Lin-Kernighan-Helsgaun) on TSP instances through the elkai package.

    Float distances are scaled to integers with the longest edge 10**7 and rounded.
    Arguments are the fields of :class:`tessera_dpdp.configs.LKHConfig`.
    """

    problem_types: ClassVar[tuple[type[Problem], ...]] = (TSP,)

    def __init__(self, runs: int = 1) -> None:
        self.runs = runs

    def solve(self, problem: Problem) -> Solution:
        self.check_supported(problem)
        elkai = optional_module("elkai", "elkai", "lkh", "dpdp.lkh")
        begin = time.perf_counter()
        if problem.size < 3:
            return _timed(problem, list(range(problem.size)), begin)
        d, _ = _scaled(problem.distances)
        tour = elkai.DistanceMatrix(d.tolist()).solve_tsp(runs=self.runs)
        tour = tour[:-1] if len(tour) > 1 and tour[-1] == tour[0] else tour
        start = tour.index(0)
        return _timed(problem, tour[start:] + tour[:start], begin)


class HGS(Solver):
    """Hybrid genetic search on CVRP instances through the pyvrp package.

    Float distances are scaled to integers with the longest edge 10**5 and rounded (much
    larger numbers upset pyvrp's penalties for excess load). Arguments are the fields of
    :class:`tessera_dpdp.configs.HGSConfig`.
    """

    problem_types: ClassVar[tuple[type[Problem], ...]] = (CVRP,)

    def __init__(self, time_limit: float = 1.0, seed: int = 0) -> None:
        self.time_limit = time_limit
        self.seed = seed

    def solve(self, problem: Problem) -> Solution:
        self.check_supported(problem)
        pyvrp = optional_module("pyvrp", "pyvrp", "hgs", "dpdp.hgs")
        stop = optional_module("pyvrp.stop", "pyvrp", "hgs", "dpdp.hgs")
        begin = time.perf_counter()
        d, _ = _scaled(problem.distances, 10**5)
        coords = problem.coords if problem.coords is not None else np.zeros((len(d), 2))
        model = pyvrp.Model()
        locations = [model.add_location(float(x), float(y)) for x, y in np.asarray(coords)[:, :2]]
        model.add_depot(locations[0])
        for node in range(1, len(d)):
            model.add_client(locations[node], delivery=[int(problem.demands[node])])
        model.add_vehicle_type(num_available=len(d) - 1, capacity=[int(problem.capacity)])
        for a in range(len(d)):
            for b in range(len(d)):
                model.add_edge(locations[a], locations[b], distance=int(d[a, b]))
        result = model.solve(stop.MaxRuntime(self.time_limit), seed=self.seed, display=False)
        if not result.best.is_feasible():
            from tessera_dpdp._solver import NoSolutionError

            raise NoSolutionError(
                f"HGS found no feasible solution for {problem.name!r} within "
                f"{self.time_limit} s; raise time_limit"
            )
        # Clients are numbered from 0 after the single depot
        routes = [[a.idx + 1 for a in route if a.is_client()] for route in result.best.routes()]
        return _timed(problem, [r for r in routes if r], begin)
