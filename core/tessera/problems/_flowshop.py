"""The permutation flow shop scheduling problem."""

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

__all__ = ["FlowShop"]


class FlowShop(Problem):
    """The permutation flow shop: every machine processes the jobs in the same order.

    Each job visits machines ``0..m-1`` in turn; a machine processes one job at a time.
    A solution is a permutation of the jobs ``range(n)``, the processing order, and the
    objective is the makespan ``C[n-1, m-1]`` of the recurrence

    ``C[k, i] = max(C[k-1, i], C[k, i-1]) + p[π_k, i]``,

    with ``C[-1, i] = C[k, -1] = 0``, where ``π_k`` is the ``k``-th job processed.

    Arguments:
        processing_times: ``p[j, i]``, the time of job ``j`` on machine ``i``, (jobs, machines).
        name: The instance name.
        optimum: The known optimal makespan, if any.
        metadata: Anything else the source said (Taillard's bounds, for instance).

    References:
        Taillard, "Benchmarks for basic scheduling problems", European Journal of
        Operational Research 64 (1993).

    Example:
        >>> from tessera.problems import FlowShop
        >>> shop = FlowShop([[3, 2], [1, 4]])
        >>> shop.objective([0, 1]), shop.objective([1, 0])
        (9, 7)
    """

    def __init__(
        self,
        processing_times: Any,
        *,
        name: str = "flowshop",
        optimum: float | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(name=name, optimum=optimum, metadata=metadata)
        self.processing_times = frozen_array(
            processing_times, "processing_times", (None, None), problem=name
        )
        if 0 in self.processing_times.shape:
            raise ValueError(
                f"{name!r}: processing_times needs at least one job and one machine, "
                f"got shape {self.processing_times.shape}"
            )
        if (self.processing_times < 0).any():
            raise ValueError(f"{name!r}: processing_times must be non-negative")

    @property
    def size(self) -> int:
        """The number of jobs."""
        return self.processing_times.shape[0]

    @property
    def num_machines(self) -> int:
        """The number of machines."""
        return self.processing_times.shape[1]

    def check(self, solution: Any) -> None:
        """Check that ``solution`` is a permutation of the jobs ``range(n)``."""
        order = as_index_sequence(solution, "job order")
        check_permutation(order, self.size, "job order", "job")

    def completion_times(self, solution: Any) -> np.ndarray:
        """``C[k, i]``, when the ``k``-th job of the order leaves machine ``i``, (n, m)."""
        order = as_index_sequence(solution, "job order")
        p = self.processing_times[order]
        completion = np.zeros_like(p)
        for k in range(len(order)):
            previous = completion[k - 1] if k > 0 else np.zeros_like(p[0])
            ready = 0
            for i in range(p.shape[1]):
                ready = max(ready, previous[i]) + p[k, i]
                completion[k, i] = ready
        return completion

    def evaluate(self, solution: Any) -> float | int:
        """The makespan, when the last job leaves the last machine."""
        return scalar(self.completion_times(solution)[-1, -1])

    @classmethod
    def random(cls, size: int, *, seed: int | None = None, num_machines: int = 5) -> FlowShop:
        """Integer processing times uniform in ``1..99``, as in Taillard's benchmarks.

        Arguments:
            size: The number of jobs, at least 1.
            seed: The seed of the generator.
            num_machines: The number of machines.
        """
        check_size(size, 1)
        if isinstance(num_machines, bool) or not isinstance(num_machines, int) or num_machines < 1:
            raise ValueError(f"num_machines must be an integer >= 1, got {num_machines!r}")
        times = as_generator(seed).integers(1, 100, (size, num_machines))
        return cls(times, name=f"flowshop{size}x{num_machines}-seed{seed}")
