"""Continuous boxes."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from numbers import Real
from typing import Any

import torch
from torch import Tensor

from tessera.spaces._base import Space

__all__ = ["Box"]


class Box(Space):
    """The box ``[lower, upper]`` of real vectors, bounds included.

    With scalar bounds and no ``dims`` the box is one real variable whose native value is a
    ``float``; otherwise (vector bounds, or scalar bounds broadcast to ``dims``) the native
    value is a ``list[float]`` of length :attr:`dim`. The encoding is the vector itself.

    Arguments:
        lower: the lower bound, a float or a sequence of floats.
        upper: the upper bound, of the same form; ``lower < upper`` in every coordinate.
        dims: the dimension when both bounds are scalars; must match vector bounds.

    Example:
        >>> from tessera.spaces import Box
        >>> Box(0.0, 1.0).contains(0.5), Box([0, 0], [1, 2]).contains([0.5, 1.5])
        (True, True)
        >>> Box(-1.0, 1.0, dims=3).project(torch.tensor([[2.0, 0.0, -5.0]])).tolist()
        [[1.0, 0.0, -1.0]]
    """

    def __init__(
        self,
        lower: float | Sequence[float],
        upper: float | Sequence[float],
        dims: int | None = None,
    ) -> None:
        scalar = _is_number(lower) and _is_number(upper)
        if dims is not None and (isinstance(dims, bool) or not isinstance(dims, int) or dims < 1):
            raise ValueError(f"Box: dims must be a positive int, got {dims!r}")
        lowers, uppers = _bounds("lower", lower), _bounds("upper", upper)
        size = dims if dims is not None else max(len(lowers), len(uppers))
        for what, bounds in (("lower", lowers), ("upper", uppers)):
            if len(bounds) not in (1, size):
                raise ValueError(
                    f"Box: {what} has {len(bounds)} entries but the box has {size} dimensions; "
                    "give bounds of equal length, or scalar bounds with dims"
                )
        lowers = lowers * size if len(lowers) == 1 else lowers
        uppers = uppers * size if len(uppers) == 1 else uppers
        for i, (lo, hi) in enumerate(zip(lowers, uppers, strict=True)):
            if not lo < hi:
                where = "" if scalar and dims is None else f"[{i}]"
                raise ValueError(
                    f"Box: lower{where} = {lo!r} must be < upper{where} = {hi!r}; "
                    "swap or widen the bounds"
                )
        self.lower = torch.tensor(lowers, dtype=torch.float64)
        self.upper = torch.tensor(uppers, dtype=torch.float64)
        self.scalar = scalar and dims is None
        self._dims_given = dims is not None and scalar

    @property
    def dim(self) -> int:
        return len(self.lower)

    @property
    def continuous_dims(self) -> tuple[int, ...]:
        return tuple(range(self.dim))

    def _sample(self, n: int, generator: torch.Generator | None) -> Tensor:
        u = torch.rand(n, self.dim, generator=generator, dtype=torch.float64)
        return self.lower + (self.upper - self.lower) * u

    def _why_not(self, point: Any) -> str | None:
        if self.scalar:
            values = [point]
            if not _is_number(point):
                return f"expected a real number, got {type(point).__name__}"
        else:
            values = _as_list(point)
            if values is None:
                return f"expected a sequence of {self.dim} real numbers"
            if len(values) != self.dim:
                return f"expected {self.dim} coordinates, got {len(values)}"
        for i, (value, lo, hi) in enumerate(zip(values, self.lower, self.upper, strict=True)):
            if not _is_number(value):
                return f"coordinate {i} is {value!r}, not a real number"
            if not float(lo) <= float(value) <= float(hi):
                return f"coordinate {i} = {float(value)!r} is outside [{float(lo)}, {float(hi)}]"
        return None

    def _encode_one(self, point: Any) -> list[float]:
        return [float(point)] if self.scalar else [float(v) for v in _as_list(point) or []]

    def _decode_one(self, x: Tensor) -> Any:
        outside = (x < self.lower) | (x > self.upper) | ~torch.isfinite(x)
        if bool(outside.any()):
            i = int(outside.nonzero()[0])
            raise ValueError(
                f"coordinate {i} = {float(x[i])!r} is outside "
                f"[{float(self.lower[i])}, {float(self.upper[i])}]"
            )
        return float(x[0]) if self.scalar else x.tolist()

    def project(self, x: Tensor) -> Tensor:
        """Clamp each coordinate to its bounds, (..., dim) → (..., dim)."""
        x = torch.as_tensor(x, dtype=torch.float64)
        return torch.minimum(torch.maximum(x, self.lower), self.upper)

    clamp = project

    def _structure(self) -> Hashable:
        return (Box, tuple(self.lower.tolist()), tuple(self.upper.tolist()), self.scalar)

    def __repr__(self) -> str:
        if self.scalar:
            return f"Box({float(self.lower[0])!r}, {float(self.upper[0])!r})"
        if self._dims_given:
            lo, hi = float(self.lower[0]), float(self.upper[0])
            return f"Box({lo!r}, {hi!r}, dims={self.dim})"
        return f"Box({self.lower.tolist()!r}, {self.upper.tolist()!r})"


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _bounds(what: str, value: Any) -> list[float]:
    values = [value] if _is_number(value) else _as_list(value)
    if not values or not all(_is_number(v) for v in values):
        raise ValueError(
            f"Box: {what} = {value!r} must be a finite real number or a non-empty sequence of them"
        )
    return [float(v) for v in values]


def _as_list(value: Any) -> list[Any] | None:
    """``value`` as a list if it is a sequence, tensor or array of numbers, else ``None``."""
    if isinstance(value, (str, bytes, dict)):
        return None
    if hasattr(value, "tolist") and not isinstance(value, (list, tuple)):
        value = value.tolist()
        return value if isinstance(value, list) else None
    if isinstance(value, Sequence):
        return list(value)
    return None
