"""The quadratic assignment problem."""

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

__all__ = ["QAP"]


class QAP(Problem):
    """The quadratic assignment problem in QAPLIB's convention (Koopmans-Beckmann form).

    Facilities ``0..n-1`` are assigned to locations ``0..n-1``. A solution is a permutation
    ``p`` that puts facility ``i`` at location ``p[i]``, and its cost is

    ``Σ_ij flow[i, j] · distances[p[i], p[j]]``.

    This is QAPLIB's ``min_p Σ_ij a_ij b_p(i)p(j)`` with ``A = flow`` the first matrix of a
    ``.dat`` file and ``B = distances`` the second; the permutations of QAPLIB's ``.sln``
    files, made 0-based, are solutions in this form. (Some instances list the distance
    matrix first; the formula, not the name, is what matters.)

    Arguments:
        flow: QAPLIB's ``A``, (n, n).
        distances: QAPLIB's ``B``, (n, n).
        name: The instance name.
        optimum: The known optimal cost, if any.
        metadata: Anything else the source said.

    References:
        Burkard, Karisch and Rendl, "QAPLIB - A Quadratic Assignment Problem Library",
        Journal of Global Optimization 10 (1997).

    Example:
        >>> from tessera.problems import QAP
        >>> qap = QAP(flow=[[0, 3], [3, 0]], distances=[[0, 2], [2, 0]])
        >>> qap.objective([1, 0])
        12
    """

    def __init__(
        self,
        flow: Any,
        distances: Any,
        *,
        name: str = "qap",
        optimum: float | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(name=name, optimum=optimum, metadata=metadata)
        self.flow = frozen_array(flow, "flow", (None, None), problem=name)
        n = self.flow.shape[0]
        if n == 0 or self.flow.shape != (n, n):
            raise ValueError(
                f"{name!r}: flow must be a non-empty square matrix, got shape {self.flow.shape}"
            )
        self.distances = frozen_array(distances, "distances", (n, n), problem=name)

    @property
    def size(self) -> int:
        """The number of facilities, which is also the number of locations."""
        return self.flow.shape[0]

    def check(self, solution: Any) -> None:
        """Check that ``solution`` is a permutation of the locations ``range(n)``."""
        assignment = as_index_sequence(solution, "assignment")
        check_permutation(assignment, self.size, "assignment", "location")

    def evaluate(self, solution: Any) -> float | int:
        """``Σ_ij flow[i, j] · distances[p[i], p[j]]``."""
        p = np.asarray(as_index_sequence(solution, "assignment"), dtype=np.int64)
        return scalar((self.flow * self.distances[np.ix_(p, p)]).sum())

    @classmethod
    def random(
        cls, size: int, *, seed: int | None = None, high: int = 100, symmetric: bool = True
    ) -> QAP:
        """Random integer matrices with entries in ``0..high-1`` and zero diagonals.

        Arguments:
            size: The number of facilities, at least 1.
            seed: The seed of the generator.
            high: One more than the largest entry.
            symmetric: Whether both matrices are symmetric (as in Taillard's ``tai*a``).
        """
        check_size(size, 1)
        if high < 1:
            raise ValueError(f"high must be at least 1, got {high}")
        generator = as_generator(seed)
        matrices = []
        for _ in range(2):
            m = generator.integers(0, high, (size, size))
            if symmetric:
                m = np.triu(m, 1) + np.triu(m, 1).T
            np.fill_diagonal(m, 0)
            matrices.append(m)
        return cls(*matrices, name=f"qap{size}-seed{seed}")
