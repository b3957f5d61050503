"""The capacitated vehicle routing problem."""

from __future__ import annotations

from typing import Any

import numpy as np

from tessera.problems._base import (
    InfeasibleSolutionError,
    Problem,
    as_generator,
    as_index_sequence,
    check_size,
    frozen_array,
    scalar,
)
from tessera.problems._distances import euclidean, rounded_euclidean

__all__ = ["CVRP", "random_capacity"]

#: Vehicle capacities of the random instances with 10, 20, 50 and 100 customers.
CAPACITIES = {10: 20, 20: 30, 50: 40, 100: 50}


def random_capacity(size: int) -> int:
    """The vehicle capacity of a random instance with ``size`` customers.

    20, 30, 40 and 50 for 10, 20, 50 and 100 customers, as in the learned-routing literature
    (Nazari et al. 2018, Kool et al. 2019); linearly interpolated between those sizes and
    rounded to the nearest integer, 20 below 10 customers and 50 above 100.

    References:
        Kool, van Hoof and Welling, "Attention, Learn to Solve Routing Problems!" (2019),
        arXiv:1803.08475.
    """
    sizes, capacities = zip(*sorted(CAPACITIES.items()), strict=True)
    return int(np.floor(np.interp(size, sizes, capacities) + 0.5))


class CVRP(Problem):
    """The capacitated vehicle routing problem with one depot.

    Node 0 is the depot and nodes ``1..n`` are the customers. Vehicles leave the depot, serve
    customers and return; each customer is served exactly once, and the demand served on one
    route may not exceed the capacity. The objective is the total length of the routes.

    A solution is either

    - a list of routes, each a list of customers (``1..n``), the depot implicit at both ends,
      e.g. ``[[3, 1], [2]]``; or
    - the flat "giant tour" in which 0 separates routes, e.g. ``[0, 3, 1, 0, 2, 0]``; the
      leading and trailing 0 are optional and repeated zeros are ignored.

    :meth:`routes` turns either form into the first; empty routes are dropped.

    Arguments:
        distances: Edge lengths, (n + 1, n + 1), depot first.
        demands: Demands, (n + 1,); the depot's, ``demands[0]``, must be 0.
        capacity: The capacity of every vehicle.
        coords: Coordinates, (n + 1, d), depot first, or ``None``.
        max_vehicles: The most routes a solution may use, or ``None`` for no limit.
        name: The instance name.
        optimum: The known optimal total length, if any.
        metadata: Anything else the source file said.

    Example:
        >>> from tessera.problems import CVRP
        >>> d = [[0, 1, 1], [1, 0, 2], [1, 2, 0]]
        >>> cvrp = CVRP(d, demands=[0, 2, 2], capacity=3)
        >>> cvrp.objective([[1], [2]]), cvrp.is_feasible([0, 1, 2, 0])
        (4, False)
    """

    def __init__(
        self,
        distances: Any,
        demands: Any,
        capacity: float,
        coords: Any = None,
        *,
        max_vehicles: int | None = None,
        name: str = "cvrp",
        optimum: float | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(name=name, optimum=optimum, metadata=metadata)
        self.distances = frozen_array(distances, "distances", (None, None), problem=name)
        nodes = self.distances.shape[0]
        if nodes < 2 or self.distances.shape != (nodes, nodes):
            raise ValueError(
                f"{name!r}: distances must be square with the depot and at least one "
                f"customer, got shape {self.distances.shape}"
            )
        self.demands = frozen_array(demands, "demands", (nodes,), problem=name)
        self.coords = (
            None if coords is None else frozen_array(coords, "coords", (nodes, None), problem=name)
        )
        if not capacity > 0:
            raise ValueError(f"{name!r}: capacity must be positive, got {capacity}")
        self.capacity = capacity
        if max_vehicles is not None and max_vehicles < 1:
            raise ValueError(f"{name!r}: max_vehicles must be at least 1, got {max_vehicles}")
        self.max_vehicles = max_vehicles

        # An instance that no solution can satisfy is a mistake in the data
        if self.demands[0] != 0:
            raise ValueError(
                f"{name!r}: the depot's demand, demands[0], must be 0, got {self.demands[0]}"
            )
        if (self.demands < 0).any():
            customer = int(np.argmax(self.demands < 0))
            raise ValueError(
                f"{name!r}: customer {customer} has negative demand {self.demands[customer]}"
            )
        too_big = np.flatnonzero(self.demands > capacity)
        if too_big.size:
            customer = int(too_big[0])
            raise ValueError(
                f"{name!r}: customer {customer} has demand {self.demands[customer]}, more "
                f"than the capacity {capacity}; no vehicle can serve it"
            )

    @property
    def size(self) -> int:
        """The number of customers, ``n`` (the depot not counted)."""
        return self.distances.shape[0] - 1

    def routes(self, solution: Any) -> list[list[int]]:
        """The routes of a solution in either form, as lists of customers.

        Raises:
            InfeasibleSolutionError: If ``solution`` is neither form, or a route of the
                list form contains the depot.
        """
        if hasattr(solution, "tolist"):
            solution = solution.tolist()
        if not isinstance(solution, (list, tuple)):
            raise InfeasibleSolutionError(
                "a CVRP solution must be a list of routes or a giant tour with 0 between "
                f"routes, got {type(solution).__name__}"
            )
        nested = [hasattr(r, "tolist") or isinstance(r, (list, tuple)) for r in solution]

        # Giant tour: split at the depot
        if not any(nested):
            routes: list[list[int]] = [[]]
            for node in as_index_sequence(solution, "giant tour"):
                if node == 0:
                    routes.append([])
                else:
                    routes[-1].append(node)
            return [r for r in routes if r]

        if not all(nested):
            position = nested.index(False)
            raise InfeasibleSolutionError(
                f"a CVRP solution mixes routes and single nodes (entry {position} is "
                f"{solution[position]!r}); give a list of routes or a flat giant tour"
            )
        routes = []
        for k, route in enumerate(solution):
            route = as_index_sequence(route, f"route {k}")
            if 0 in route:
                raise InfeasibleSolutionError(
                    f"route {k} contains the depot 0 at position {route.index(0)}; routes "
                    "list customers only, the depot is implicit at both ends"
                )
            if route:
                routes.append(route)
        return routes

    def check(self, solution: Any) -> None:
        """Check that every customer is served once and every route fits the capacity."""
        routes = self.routes(solution)
        n = self.size

        # Every customer exactly once
        seen: dict[int, int] = {}
        for k, route in enumerate(routes):
            for customer in route:
                if not 1 <= customer <= n:
                    raise InfeasibleSolutionError(
                        f"route {k} contains node {customer}, not a customer (1..{n})"
                    )
                if customer in seen:
                    raise InfeasibleSolutionError(
                        f"customer {customer} is visited twice (routes {seen[customer]} and {k})"
                    )
                seen[customer] = k
        missing = [c for c in range(1, n + 1) if c not in seen]
        if missing:
            shown = ", ".join(map(str, missing[:10])) + (", ..." if len(missing) > 10 else "")
            raise InfeasibleSolutionError(f"{len(missing)} customer(s) not visited: {shown}")

        # Capacity and fleet size
        for k, route in enumerate(routes):
            load = scalar(self.demands[route].sum())
            if load > self.capacity:
                raise InfeasibleSolutionError(
                    f"route {k} carries {load}, more than the capacity {self.capacity} "
                    f"(customers {route})"
                )
        if self.max_vehicles is not None and len(routes) > self.max_vehicles:
            raise InfeasibleSolutionError(
                f"the solution uses {len(routes)} routes but only {self.max_vehicles} "
                "vehicles are available"
            )

    def evaluate(self, solution: Any) -> float | int:
        """The total length of the routes, each from the depot and back."""
        total = self.distances.dtype.type(0)
        for route in self.routes(solution):
            path = np.array([0, *route, 0])
            total += self.distances[path[:-1], path[1:]].sum()
        return scalar(total)

    @classmethod
    def random(
        cls,
        size: int,
        *,
        seed: int | None = None,
        capacity: int | None = None,
        scale: int | None = None,
    ) -> CVRP:
        """Depot and customers uniform in the unit square, integer demands 1 to 9.

        Arguments:
            size: The number of customers, at least 1.
            seed: The seed of the generator.
            capacity: The vehicle capacity; by default :func:`random_capacity` of ``size``.
            scale: If given, coordinates are rounded to integers after scaling by ``scale``
                and distances follow TSPLIB's ``EUC_2D`` rule, so costs are exact integers.

        References:
            Kool, van Hoof and Welling (2019), arXiv:1803.08475, appendix (data generation).
        """
        check_size(size, 1)
        generator = as_generator(seed)
        coords = generator.random((size + 1, 2))
        demands = np.concatenate([[0], generator.integers(1, 10, size)])
        capacity = random_capacity(size) if capacity is None else capacity
        if scale is None:
            distances = euclidean(coords)
        else:
            if scale < 1:
                raise ValueError(f"scale must be a positive integer, got {scale}")
            coords = np.rint(coords * scale).astype(np.int64)
            distances = rounded_euclidean(coords)
        return cls(distances, demands, capacity, coords, name=f"cvrp{size}-seed{seed}")
