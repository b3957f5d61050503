"""The Solver interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from tessera.problems import Problem, Solution

__all__ = ["Solver"]


class Solver(ABC):
    """Solves problem instances of the types it declares.

    ``solve`` returns a :class:`~tessera.problems.Solution` whose ``cost`` equals the
    problem's own ``objective`` of its ``value``; the conformance kit checks both that and
    feasibility.
    """

    #: The problem classes this solver accepts.
    problem_types: ClassVar[tuple[type[Problem], ...]] = ()

    def supports(self, problem: Problem) -> bool:
        """Whether ``problem`` is of a type this solver declares."""
        return isinstance(problem, self.problem_types)

    def check_supported(self, problem: Problem) -> None:
        """Raise a clear ``TypeError`` when ``problem`` is of a type this solver lacks."""
        if not self.supports(problem):
            names = ", ".join(t.__name__ for t in self.problem_types) or "none"
            raise TypeError(
                f"{type(self).__name__} cannot solve a {type(problem).__name__} problem "
                f"(supported: {names})"
            )

    @abstractmethod
    def solve(self, problem: Problem) -> Solution:
        """Solve one instance."""

    def solve_many(self, problems: Sequence[Problem]) -> list[Solution]:
        """Solve several instances; solvers that batch override this."""
        return [self.solve(p) for p in problems]
