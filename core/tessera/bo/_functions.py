"""Synthetic test functions on boxes, as black-box problems with known optima."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

from tessera.problems import BlackBox
from tessera.spaces import Box

__all__ = ["FUNCTIONS", "synthetic"]

#: Name → (default dimension, bounds of each coordinate or ``None`` for per-function
#: bounds, optimum). Branin is two-dimensional only.
FUNCTIONS: dict[str, tuple[int, tuple[float, float] | None, float]] = {
    "sphere": (2, (-1.0, 1.0), 0.0),
    "ackley": (2, (-32.768, 32.768), 0.0),
    "rosenbrock": (2, (-2.0, 2.0), 0.0),
    "branin": (2, None, 0.39788735772973816),
}


class _Function:
    """A picklable test function of a coordinate list."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, point: Any) -> float:
        x = [float(point)] if isinstance(point, (int, float)) else [float(v) for v in point]
        return getattr(self, f"_{self.name}")(x)

    @staticmethod
    def _sphere(x: Sequence[float]) -> float:
        return sum((v - 0.25) ** 2 for v in x)

    @staticmethod
    def _ackley(x: Sequence[float]) -> float:
        d = len(x)
        rms = math.sqrt(sum(v * v for v in x) / d)
        mean_cos = sum(math.cos(2 * math.pi * v) for v in x) / d
        return -20.0 * math.exp(-0.2 * rms) - math.exp(mean_cos) + 20.0 + math.e

    @staticmethod
    def _rosenbrock(x: Sequence[float]) -> float:
        return sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2 for a, b in itertools.pairwise(x))

    @staticmethod
    def _branin(x: Sequence[float]) -> float:
        x1, x2 = x
        b, c = 5.1 / (4 * math.pi**2), 5 / math.pi
        return (
            (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10
        )


def synthetic(function: str = "branin", dims: int | None = None) -> BlackBox:
    """A standard test function as a :class:`~tessera.problems.BlackBox` on a box, minimised.

    Arguments:
        function: ``"sphere"`` (centred at 0.25 in [−1, 1]^d), ``"ackley"`` (on
            [−32.768, 32.768]^d), ``"rosenbrock"`` (on [−2, 2]^d, d ≥ 2) or ``"branin"``
            (on [−5, 10] × [0, 15]).
        dims: the dimension; the function's default (2) when ``None``.

    Example:
        >>> problem = synthetic("branin")
        >>> round(problem.objective([math.pi, 2.275]) - problem.optimum, 9)
        0.0
    """
    if function not in FUNCTIONS:
        raise ValueError(
            f"synthetic: function {function!r} is unknown; use one of {', '.join(FUNCTIONS)}"
        )
    default, bounds, optimum = FUNCTIONS[function]
    dims = default if dims is None else dims
    if function == "branin":
        if dims != 2:
            raise ValueError(f"synthetic: branin is two-dimensional, got dims = {dims}")
        space = Box([-5.0, 0.0], [10.0, 15.0])
    else:
        minimum = 2 if function == "rosenbrock" else 1
        if dims < minimum:
            raise ValueError(f"synthetic: {function} needs dims ≥ {minimum}, got {dims}")
        assert bounds is not None
        space = Box(bounds[0], bounds[1], dims=dims)
    return BlackBox(_Function(function), space, optimum=optimum, name=f"{function}{dims}")
