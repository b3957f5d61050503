"""The travelling salesman problem with time windows."""

from __future__ import annotations

from typing import Any

import numpy as np

from tessera.problems._base import (
    InfeasibleSolutionError,
    Problem,
    as_generator,
    as_index_sequence,
    check_permutation,
    check_size,
    frozen_array,
    scalar,
)
from tessera.problems._distances import rounded_euclidean

__all__ = ["TSPTW"]


class TSPTW(Problem):
    """The travelling salesman problem with time windows, starting and ending at a depot.

    Node 0 is the depot. The vehicle leaves the depot at its earliest time, travels
    ``distances[i, j]`` time units from ``i`` to ``j``, and serves each node for its service
    time. Arriving before a node's earliest time, it waits; arriving after its latest time
    is infeasible, and so is returning to the depot after the depot's latest time. The
    objective is the total travel distance (waiting is free), as in the routing DP
    literature.

    A solution is a permutation of ``range(n)`` starting with the depot, e.g.
    ``[0, 2, 1, 3]``, or the customers alone, ``[2, 1, 3]``, the depot then implied at the
    start. :meth:`tour` returns the first form.

    Arguments:
        distances: Travel times, (n, n), depot first.
        time_windows: ``[earliest, latest]`` for every node, (n, 2).
        service_times: Service durations, (n,), or ``None`` for zero.
        coords: Coordinates, (n, d), or ``None``.
        name: The instance name.
        optimum: The known optimal total distance, if any.
        metadata: Anything else the source said.

    References:
        Kool, van Hoof, Gromicho and Welling, "Deep Policy Dynamic Programming for Vehicle
        Routing Problems" (2021), arXiv:2102.11756.

    Example:
        >>> from tessera.problems import TSPTW
        >>> d = [[0, 2, 3], [2, 0, 2], [3, 2, 0]]
        >>> tw = TSPTW(d, [[0, 100], [0, 2], [5, 6]])
        >>> tw.objective([0, 1, 2]), tw.schedule([0, 1, 2])[1].tolist()
        (7, [0, 2, 5, 8])
        >>> tw.is_feasible([0, 2, 1])
        False
    """

    def __init__(
        self,
        distances: Any,
        time_windows: Any,
        service_times: Any = None,
        coords: Any = None,
        *,
        name: str = "tsptw",
        optimum: float | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(name=name, optimum=optimum, metadata=metadata)
        self.distances = frozen_array(distances, "distances", (None, None), problem=name)
        n = self.distances.shape[0]
        if n == 0 or self.distances.shape != (n, n):
            raise ValueError(
                f"{name!r}: distances must be a non-empty square matrix, "
                f"got shape {self.distances.shape}"
            )
        self.time_windows = frozen_array(time_windows, "time_windows", (n, 2), problem=name)
        late = np.flatnonzero(self.time_windows[:, 0] > self.time_windows[:, 1])
        if late.size:
            node = int(late[0])
            raise ValueError(
                f"{name!r}: node {node} has an empty time window "
                f"{self.time_windows[node].tolist()} (earliest > latest)"
            )
        if service_times is None:
            service_times = np.zeros(n, dtype=self.time_windows.dtype)
        self.service_times = frozen_array(service_times, "service_times", (n,), problem=name)
        if (self.service_times < 0).any():
            raise ValueError(f"{name!r}: service_times must be non-negative")
        self.coords = (
            None if coords is None else frozen_array(coords, "coords", (n, None), problem=name)
        )

    @property
    def size(self) -> int:
        """The number of nodes, the depot included."""
        return self.distances.shape[0]

    def tour(self, solution: Any) -> list[int]:
        """The solution as a full tour starting at the depot, e.g. ``[0, 2, 1, 3]``."""
        tour = as_index_sequence(solution, "tour")
        if len(tour) == self.size - 1 and 0 not in tour:
            tour = [0, *tour]
        return tour

    def schedule(self, solution: Any) -> tuple[np.ndarray, np.ndarray]:
        """Arrival and service start times along the tour, whether feasible or not.

        Entry ``k`` of each array belongs to position ``k`` of :meth:`tour`, and the last
        entry to the return to the depot. At the depot, both are its earliest time.

        Returns:
            ``(arrival, start)``, each (n + 1,): ``start = max(arrival, earliest)``.
        """
        tour = self.tour(solution)
        path = [*tour, tour[0]]
        dtype = np.result_type(self.distances, self.time_windows, self.service_times)
        arrival = np.zeros(len(path), dtype=dtype)
        start = np.zeros(len(path), dtype=dtype)
        arrival[0] = start[0] = self.time_windows[path[0], 0]
        for k in range(1, len(path)):
            previous, node = path[k - 1], path[k]
            arrival[k] = start[k - 1] + self.service_times[previous]
            arrival[k] += self.distances[previous, node]
            start[k] = max(arrival[k], self.time_windows[node, 0])
        return arrival, start

    def check(self, solution: Any) -> None:
        """Check the tour is a permutation from the depot that meets every latest time."""
        tour = self.tour(solution)
        check_permutation(tour, self.size, "tour", "node")
        if tour[0] != 0:
            raise InfeasibleSolutionError(
                f"the tour must start at the depot 0, but starts at node {tour[0]}"
            )

        arrival, _ = self.schedule(tour)
        latest = self.time_windows[:, 1]
        exact = np.issubdtype(arrival.dtype, np.integer)
        for k, node in enumerate([*tour, 0]):
            slack = 0.0 if exact else 1e-9 * max(1.0, abs(float(latest[node])))
            if arrival[k] > latest[node] + slack:
                where = "returns to the depot" if k == len(tour) else f"arrives at node {node}"
                raise InfeasibleSolutionError(
                    f"the tour {where} (position {k}) at time {scalar(arrival[k])}, "
                    f"after its latest time {scalar(latest[node])}"
                )

    def evaluate(self, solution: Any) -> float | int:
        """The total travel distance of the closed tour."""
        tour = np.asarray(self.tour(solution), dtype=np.int64)
        return scalar(self.distances[tour, np.roll(tour, -1)].sum())

    @classmethod
    def random(
        cls,
        size: int,
        *,
        seed: int | None = None,
        scale: int = 100,
        max_width: int | None = None,
    ) -> TSPTW:
        """A random instance built around a random tour, so that a feasible tour exists.

        Nodes are ``round(u · scale)`` for ``u`` uniform in the unit square, distances
        follow TSPLIB's ``EUC_2D`` rule (integers), and service times are 0. Along a random
        tour from the depot, node ``i`` is reached at time ``a_i``; its window is
        ``[max(0, a_i - w1), a_i + w2]`` with ``w1``, ``w2`` uniform integers in
        ``0..max_width``. The depot's window is ``[0, a_return + w]``. The hidden tour
        arrives within every window without waiting, so it is feasible.

        Arguments:
            size: The number of nodes, the depot included; at least 1.
            seed: The seed of the generator.
            scale: The side of the square the integer coordinates lie in.
            max_width: The largest half-width of a window; by default ``scale``.
        """
        check_size(size, 1)
        if scale < 1:
            raise ValueError(f"scale must be a positive integer, got {scale}")
        max_width = scale if max_width is None else max_width
        if max_width < 0:
            raise ValueError(f"max_width must be non-negative, got {max_width}")
        generator = as_generator(seed)
        coords = np.rint(generator.random((size, 2)) * scale).astype(np.int64)
        distances = rounded_euclidean(coords)

        # Arrival times along a hidden random tour
        tour = np.concatenate([[0], 1 + generator.permutation(size - 1)])
        path = np.append(tour, 0)
        times = np.concatenate([[0], np.cumsum(distances[path[:-1], path[1:]])])

        # Windows around them
        widths = generator.integers(0, max_width + 1, (size + 1, 2))
        windows = np.zeros((size, 2), dtype=np.int64)
        windows[tour[1:], 0] = np.maximum(0, times[1:-1] - widths[1:-1, 0])
        windows[tour[1:], 1] = times[1:-1] + widths[1:-1, 1]
        windows[0] = [0, times[-1] + widths[-1, 1]]
        return cls(distances, windows, coords=coords, name=f"tsptw{size}-seed{seed}")
