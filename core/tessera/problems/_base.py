"""The problem interface shared by every problem type, and the solution record."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["InfeasibleSolutionError", "Problem", "Solution"]


class InfeasibleSolutionError(ValueError):
    """A solution breaks a constraint of its problem; the message says which one."""


@dataclass
class Solution:
    """What a solver returns: a solution in its problem's own form and its cost.

    Arguments:
        value: The problem's native solution, e.g. a tour for :class:`TSP` or a list of
            routes for :class:`CVRP`.
        cost: The objective value as reported by the solver.
        info: Anything else worth keeping: timings, beam size, iterations.

    Example:
        >>> from tessera.problems import Solution
        >>> Solution([0, 2, 1], cost=3.5).info
        {}
    """

    value: Any
    cost: float
    info: dict[str, Any] = field(default_factory=dict)


class Problem(ABC):
    """A problem instance: what is a solution, is it feasible, and what does it cost.

    Subclasses define :attr:`size`, :meth:`check`, :meth:`evaluate` and :meth:`random`.
    :meth:`objective` checks a solution before it evaluates it, so an infeasible solution
    never gets a cost.

    Attributes:
        name: The instance name, e.g. ``"berlin52"``.
        optimum: The known optimal objective value, or ``None`` when unknown.
        metadata: What the source said beyond the data: a file's comment, its edge weight
            type, a generator's parameters.

    Example:
        >>> from tessera.problems import TSP
        >>> problem = TSP.random(4, seed=0, scale=100)
        >>> problem.is_feasible([0, 1, 2, 3]), problem.is_feasible([0, 1, 1, 3])
        (True, False)
    """

    name: str
    optimum: float | None
    metadata: dict[str, Any]

    def __init__(
        self,
        *,
        name: str,
        optimum: float | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.optimum = optimum
        self.metadata = dict(metadata or {})

    @property
    @abstractmethod
    def size(self) -> int:
        """The instance size, in the unit the problem type documents (nodes, jobs, ...)."""

    @abstractmethod
    def check(self, solution: Any) -> None:
        """Raise :class:`InfeasibleSolutionError` saying what is wrong, if anything."""

    @abstractmethod
    def evaluate(self, solution: Any) -> float | int:
        """The objective of a solution already known to be feasible."""

    def objective(self, solution: Any) -> float | int:
        """The objective value of ``solution``.

        Raises:
            InfeasibleSolutionError: If the solution is infeasible.
        """
        self.check(solution)
        return self.evaluate(solution)

    def is_feasible(self, solution: Any) -> bool:
        """Whether :meth:`check` accepts ``solution``."""
        try:
            self.check(solution)
        except InfeasibleSolutionError:
            return False
        return True

    @classmethod
    @abstractmethod
    def random(cls, size: int, *, seed: int | None = None, **kwargs: Any) -> Problem:
        """A random instance of ``size``, the same one for the same ``seed``."""

    def __repr__(self) -> str:
        optimum = "" if self.optimum is None else f", optimum={self.optimum}"
        return f"{type(self).__name__}(name={self.name!r}, size={self.size}{optimum})"


def as_index_sequence(solution: Any, what: str) -> list[int]:
    """Read a flat sequence of integer indices, or raise InfeasibleSolutionError.

    Lists, tuples, ranges and anything with ``tolist`` (numpy arrays, torch tensors) are
    accepted; floats are accepted when they hold whole numbers.
    """
    if hasattr(solution, "tolist"):
        solution = solution.tolist()
    if not isinstance(solution, (list, tuple, range)):
        raise InfeasibleSolutionError(
            f"{what} must be a sequence of integers, got {type(solution).__name__}"
        )
    indices = []
    for position, entry in enumerate(solution):
        if not _is_integral(entry):
            raise InfeasibleSolutionError(
                f"{what} entry {entry!r} at position {position} is not an integer"
            )
        indices.append(int(entry))
    return indices


def check_permutation(indices: list[int], n: int, what: str, item: str) -> None:
    """Check that ``indices`` is a permutation of ``range(n)``; name the first fault."""
    seen: dict[int, int] = {}
    for position, index in enumerate(indices):
        if not 0 <= index < n:
            raise InfeasibleSolutionError(
                f"{what} contains {item} {index} at position {position}, outside 0..{n - 1}"
            )
        if index in seen:
            raise InfeasibleSolutionError(
                f"{what} visits {item} {index} twice (positions {seen[index]} and {position})"
            )
        seen[index] = position
    if len(indices) != n:
        missing = sorted(set(range(n)) - seen.keys())
        raise InfeasibleSolutionError(
            f"{what} has {len(indices)} entries but the instance has {n} {item}s; "
            f"missing {item}s: {_preview(missing)}"
        )


def as_generator(seed: int | None) -> np.random.Generator:
    """The numpy generator used by every ``random`` constructor."""
    return np.random.default_rng(seed)


def scalar(value: Any) -> float | int:
    """A numpy scalar as a plain Python ``int`` or ``float``."""
    return value.item() if isinstance(value, np.generic) else value


def _is_integral(entry: Any) -> bool:
    if isinstance(entry, (bool, np.bool_)):
        return False
    if isinstance(entry, (int, np.integer)):
        return True
    if isinstance(entry, (float, np.floating)):
        return float(entry).is_integer()
    return False


def _preview(items: list[int], limit: int = 10) -> str:
    shown = ", ".join(str(i) for i in items[:limit])
    return shown + (f", ... ({len(items)} in all)" if len(items) > limit else "")


def frozen_array(
    value: Any, what: str, shape: tuple[int | None, ...], *, problem: str
) -> np.ndarray:
    """A read-only numeric copy of ``value`` with the given shape (``None``: any length).

    ``problem`` is the instance name, quoted in error messages.

    Raises:
        ValueError: If the shape is wrong or an entry is not a finite number.
    """
    try:
        array = np.array(value)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{problem!r}: {what} is not a rectangular array ({error})") from None
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{problem!r}: {what} must hold numbers, got dtype {array.dtype}")
    expected = "(" + ", ".join("n" if s is None else str(s) for s in shape) + ")"
    if array.ndim != len(shape) or any(
        s is not None and s != t for s, t in zip(shape, array.shape, strict=True)
    ):
        raise ValueError(f"{problem!r}: {what} must have shape {expected}, got {array.shape}")
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        raise ValueError(f"{problem!r}: {what} contains non-finite values")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise ValueError(f"{problem!r}: {what} must be real, got dtype {array.dtype}")
    array.flags.writeable = False
    return array


def check_size(size: Any, minimum: int) -> None:
    """Check the ``size`` argument of a ``random`` constructor."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < minimum:
        raise ValueError(f"size must be an integer >= {minimum}, got {size!r}")
