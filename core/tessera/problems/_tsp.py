"""The travelling salesman problem."""

from __future__ import annotations

from typing import Any

import numpy as np

from tessera.problems._base import (
    Problem,
    as_generator,
    as_index_sequence,
    check_permutation,
    check_size,
    frozen_array,
    scalar,
)
from tessera.problems._distances import euclidean, rounded_euclidean

__all__ = ["TSP"]


class TSP(Problem):
    """The travelling salesman problem: the shortest closed tour through every node.

    A solution is a permutation of ``range(n)``; the tour returns from its last node to its
    first, and its length includes that edge. ``distances`` may be asymmetric, in which case
    the tour is travelled in the given order.

    Arguments:
        distances: Edge lengths, (n, n). Keep an integer dtype where the source rounds to
            integers (TSPLIB does): tour lengths are then exact Python ``int`` values.
        coords: Node coordinates, (n, d), or ``None``. They are for models and plots; the
            objective only uses ``distances``.
        name: The instance name.
        optimum: The known optimal tour length, if any.
        metadata: Anything else the source file said (comment, edge weight type, ...).

    Example:
        >>> from tessera.problems import TSP
        >>> tsp = TSP([[0, 1, 2], [1, 0, 1], [2, 1, 0]])
        >>> tsp.objective([0, 1, 2]), tsp.is_feasible([0, 1, 1])
        (4, False)
    """

    def __init__(
        self,
        distances: Any,
        coords: Any = None,
        *,
        name: str = "tsp",
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
        self.coords = (
            None if coords is None else frozen_array(coords, "coords", (n, None), problem=name)
        )

    @property
    def size(self) -> int:
        """The number of nodes."""
        return self.distances.shape[0]

    def check(self, solution: Any) -> None:
        """Check that ``solution`` is a permutation of the nodes ``range(n)``."""
        tour = as_index_sequence(solution, "tour")
        check_permutation(tour, self.size, "tour", "node")

    def evaluate(self, solution: Any) -> float | int:
        """The closed tour length ``Σ_k d[t_k, t_{k+1}]``, the return edge included."""
        tour = np.asarray(as_index_sequence(solution, "tour"), dtype=np.int64)
        return scalar(self.distances[tour, np.roll(tour, -1)].sum())

    @classmethod
    def from_coords(
        cls,
        coords: Any,
        *,
        rounding: str = "none",
        name: str = "tsp",
        optimum: float | None = None,
    ) -> TSP:
        """A Euclidean instance on ``coords`` (n, d).

        Arguments:
            coords: Node coordinates, (n, d).
            rounding: ``"none"`` for float distances, or ``"nint"`` for TSPLIB's ``EUC_2D``
                rule (nearest integer), which gives an integer matrix.
            name: The instance name.
            optimum: The known optimal tour length, if any.
        """
        if rounding not in ("none", "nint"):
            raise ValueError(f"rounding={rounding!r} is not supported; use 'none' or 'nint'")
        distances = euclidean(coords) if rounding == "none" else rounded_euclidean(coords)
        return cls(distances, coords, name=name, optimum=optimum)

    @classmethod
    def random(cls, size: int, *, seed: int | None = None, scale: int | None = None) -> TSP:
        """Nodes uniform in the unit square, Euclidean distances.

        Arguments:
            size: The number of nodes, at least 1.
            seed: The seed of the generator; the same seed gives the same instance.
            scale: If given, coordinates are ``round(u · scale)`` for ``u`` uniform in the
                unit square, and distances are rounded with TSPLIB's ``EUC_2D`` rule, so that
                every tour length is an exact integer. By default coordinates stay in the
                unit square and distances are floats.
        """
        check_size(size, 1)
        coords = as_generator(seed).random((size, 2))
        if scale is None:
            return cls.from_coords(coords, name=f"tsp{size}-seed{seed}")
        if scale < 1:
            raise ValueError(f"scale must be a positive integer, got {scale}")
        coords = np.rint(coords * scale).astype(np.int64)
        return cls.from_coords(coords, rounding="nint", name=f"tsp{size}-seed{seed}")
