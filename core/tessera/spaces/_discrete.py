"""Discrete variables: ordinal integers and nominal categories."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from numbers import Integral
from typing import Any

import torch
from torch import Tensor

from tessera.spaces._base import DiscretePart, Space, nearest_int

__all__ = ["Categorical", "Integer"]

_EXACT = 2**53  # integers beyond this are not exact in float64


class Integer(Space):
    """The integers ``lower, lower + 1, …, upper`` (bounds included), an ordinal variable.

    Encoded as the integer itself, as a float; the neighbours of ``v`` are ``v − 1`` and
    ``v + 1`` where they lie in range (a path graph). The native value is an ``int``.

    Arguments:
        lower: the smallest value.
        upper: the largest value, ``> lower``.

    Example:
        >>> from tessera.spaces import Integer
        >>> space = Integer(0, 5)
        >>> space.neighbours(space.encode([0])[0]).tolist(), space.decode(torch.tensor([[3.0]]))
        ([[1.0]], [3])
    """

    def __init__(self, lower: int, upper: int) -> None:
        for what, value in (("lower", lower), ("upper", upper)):
            if isinstance(value, bool) or not isinstance(value, Integral):
                raise TypeError(
                    f"Integer: {what} must be an int, got {value!r} of type {type(value).__name__}"
                )
            if abs(int(value)) > _EXACT:
                raise ValueError(
                    f"Integer: {what} = {value} is beyond ±2**53, where float64 encodings are "
                    "no longer exact"
                )
        if not lower < upper:
            raise ValueError(f"Integer: lower = {lower} must be < upper = {upper}")
        self.lower, self.upper = int(lower), int(upper)

    @property
    def dim(self) -> int:
        return 1

    @property
    def size(self) -> int:
        return self.upper - self.lower + 1

    @property
    def discrete_parts(self) -> tuple[DiscretePart, ...]:
        return (DiscretePart(0, 1, self.size, "ordinal", offset=self.lower),)

    def _sample(self, n: int, generator: torch.Generator | None) -> Tensor:
        values = torch.randint(self.lower, self.upper + 1, (n, 1), generator=generator)
        return values.to(torch.float64)

    def _why_not(self, point: Any) -> str | None:
        if isinstance(point, bool) or not isinstance(point, Integral):
            return f"expected an int, got {type(point).__name__}"
        if not self.lower <= point <= self.upper:
            return f"{point} is outside [{self.lower}, {self.upper}]"
        return None

    def _encode_one(self, point: Any) -> list[float]:
        return [float(point)]

    def _decode_one(self, x: Tensor) -> int:
        value = nearest_int(float(x[0]), "value")
        if not self.lower <= value <= self.upper:
            raise ValueError(f"value {value} is outside [{self.lower}, {self.upper}]")
        return value

    def project(self, x: Tensor) -> Tensor:
        """Round to the nearest integer and clamp to the bounds, (..., 1) → (..., 1)."""
        x = torch.as_tensor(x, dtype=torch.float64)
        return x.round().clamp(self.lower, self.upper)

    def neighbours(self, x: Tensor) -> Tensor:
        """``v − 1`` and ``v + 1`` where in range, (1,) → (k, 1) with k ∈ {1, 2}."""
        value = self.decode(self._check_encoded(x, single=True))[0]
        steps = [v for v in (value - 1, value + 1) if self.lower <= v <= self.upper]
        return torch.tensor(steps, dtype=torch.float64)[:, None]

    def _structure(self) -> Hashable:
        return (Integer, self.lower, self.upper)

    def __repr__(self) -> str:
        return f"Integer({self.lower}, {self.upper})"


class Categorical(Space):
    """A nominal variable taking one of ``choices``, which have no order.

    Encoded as the index of the choice, as a float; every other choice is a neighbour (a
    complete graph). The native value is the choice itself.

    Arguments:
        choices: distinct hashable values, at least one.

    Example:
        >>> from tessera.spaces import Categorical
        >>> space = Categorical(["adam", "sgd", "lbfgs"])
        >>> space.encode(["lbfgs"]).tolist(), len(space.neighbours(torch.tensor([0.0])))
        ([[2.0]], 2)
    """

    def __init__(self, choices: Sequence[Hashable]) -> None:
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence):
            raise TypeError(
                f"Categorical: choices must be a list of values, got {choices!r}; "
                "write Categorical(['a', 'b']) rather than Categorical('ab')"
            )
        if not choices:
            raise ValueError("Categorical: choices is empty; give at least one choice")
        index: dict[Any, int] = {}
        for i, choice in enumerate(choices):
            try:
                hash(choice)
            except TypeError:
                raise TypeError(
                    f"Categorical: choices[{i}] = {choice!r} is not hashable; use strings, "
                    "numbers or tuples"
                ) from None
            if choice in index:
                raise ValueError(
                    f"Categorical: choices[{i}] = {choice!r} repeats choices[{index[choice]}]; "
                    "give each choice once"
                )
            index[choice] = i
        self.choices: tuple[Any, ...] = tuple(choices)
        self._index = index

    @property
    def dim(self) -> int:
        return 1

    @property
    def size(self) -> int:
        return len(self.choices)

    @property
    def discrete_parts(self) -> tuple[DiscretePart, ...]:
        return (DiscretePart(0, 1, self.size, "nominal"),)

    def _sample(self, n: int, generator: torch.Generator | None) -> Tensor:
        values = torch.randint(0, self.size, (n, 1), generator=generator)
        return values.to(torch.float64)

    def _why_not(self, point: Any) -> str | None:
        try:
            found = point in self._index
        except TypeError:
            found = False
        return None if found else f"not one of the choices {list(self.choices)!r}"

    def _encode_one(self, point: Any) -> list[float]:
        return [float(self._index[point])]

    def _decode_one(self, x: Tensor) -> Any:
        i = nearest_int(float(x[0]), "index")
        if not 0 <= i < self.size:
            raise ValueError(f"index {i} is outside [0, {self.size - 1}]")
        return self.choices[i]

    def project(self, x: Tensor) -> Tensor:
        """Round to the nearest index and clamp, (..., 1) → (..., 1)."""
        x = torch.as_tensor(x, dtype=torch.float64)
        return x.round().clamp(0, self.size - 1)

    def neighbours(self, x: Tensor) -> Tensor:
        """Every other choice, (1,) → (size − 1, 1)."""
        x = self._check_encoded(x, single=True)
        self.decode(x)  # validates
        others = [i for i in range(self.size) if i != round(float(x[0, 0]))]
        return torch.tensor(others, dtype=torch.float64).reshape(-1, 1)

    def _structure(self) -> Hashable:
        return (Categorical, tuple((type(c), c) for c in self.choices))

    def __repr__(self) -> str:
        return f"Categorical({list(self.choices)!r})"
