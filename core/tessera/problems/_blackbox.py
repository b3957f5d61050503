"""A black-box objective over a search space."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tessera.problems._base import InfeasibleSolutionError, Problem, as_generator, check_size

__all__ = ["BlackBox"]


class BlackBox(Problem):
    """An objective known only through evaluations, over a search space.

    ``objective(x)`` calls ``objective_fn(x)`` on a point the space contains. The space is
    any object: if it has a ``contains(x)`` method, :meth:`check` uses it; if it has a
    ``dim`` attribute, that is the :attr:`size`. Without a space, :meth:`check` accepts
    any point of ``dim`` finite numbers, or anything when ``dim`` is not given either.

    Arguments:
        objective_fn: The function to optimise, called with one native point.
        space: The search space, or ``None``.
        minimize: Whether smaller values are better; ``False`` to maximise.
        optimum: The best value in that direction, if known.
        dim: The number of variables, when ``space`` has no ``dim``.
        name: The problem name.
        metadata: Anything else worth keeping.

    Example:
        >>> from tessera.problems import BlackBox
        >>> problem = BlackBox(lambda x: (x[0] - 1.0) ** 2, dim=1, optimum=0.0)
        >>> problem.objective([3.0]), problem.is_feasible([1.0, 2.0])
        (4.0, False)
    """

    def __init__(
        self,
        objective_fn: Callable[[Any], float],
        space: Any = None,
        *,
        minimize: bool = True,
        optimum: float | None = None,
        dim: int | None = None,
        name: str = "blackbox",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(name=name, optimum=optimum, metadata=metadata)
        if not callable(objective_fn):
            raise TypeError(
                f"{name!r}: objective_fn must be callable, got {type(objective_fn).__name__}"
            )
        self.objective_fn = objective_fn
        self.space = space
        self.minimize = minimize
        self.dim = dim if dim is not None else getattr(space, "dim", None)

    @property
    def size(self) -> int:
        """The number of variables: ``dim``, or the space's ``dim``."""
        if self.dim is None:
            raise AttributeError(
                f"black-box problem {self.name!r} has no size; pass dim= or a space with a "
                "'dim' attribute"
            )
        return int(self.dim)

    def check(self, solution: Any) -> None:
        """Check that the space contains ``solution``."""
        contains = getattr(self.space, "contains", None)
        if contains is not None:
            if not contains(solution):
                raise InfeasibleSolutionError(
                    f"{solution!r} is not a point of the space {self.space!r}"
                )
            return
        if self.dim is None:
            return
        try:
            x = np.asarray(solution, dtype=np.float64)
        except (TypeError, ValueError):
            raise InfeasibleSolutionError(
                f"{solution!r} is not a vector of {self.dim} numbers"
            ) from None
        if x.shape != (self.dim,):
            raise InfeasibleSolutionError(
                f"a point must have shape ({self.dim},), got shape {x.shape}"
            )
        if not np.isfinite(x).all():
            raise InfeasibleSolutionError(f"{solution!r} has non-finite entries")

    def evaluate(self, solution: Any) -> float:
        """``objective_fn(solution)`` as a float."""
        return float(self.objective_fn(solution))

    def __repr__(self) -> str:
        return (
            f"BlackBox(name={self.name!r}, dim={self.dim}, minimize={self.minimize}, "
            f"optimum={self.optimum})"
        )

    @classmethod
    def random(cls, size: int, *, seed: int | None = None) -> BlackBox:
        """A shifted sphere ``f(x) = ||x - c||²`` on ``R^size``, ``c`` uniform in
        ``[-1, 1]^size``; minimised, optimum 0 at ``c`` (kept in ``metadata["minimizer"]``).
        """
        check_size(size, 1)
        centre = as_generator(seed).uniform(-1.0, 1.0, size)
        return cls(
            _ShiftedSphere(centre),
            dim=size,
            optimum=0.0,
            name=f"sphere{size}-seed{seed}",
            metadata={"minimizer": centre.tolist()},
        )


class _ShiftedSphere:
    """``x ↦ ||x - c||²``, a picklable callable."""

    def __init__(self, centre: np.ndarray) -> None:
        self.centre = centre

    def __call__(self, x: Any) -> float:
        return float(((np.asarray(x, dtype=np.float64) - self.centre) ** 2).sum())
