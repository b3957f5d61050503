"""Products of spaces: mixed continuous, integer, categorical and permutation variables."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from tessera.spaces._base import DiscretePart, Space

__all__ = ["Product"]


class Product(Space):
    """The product of spaces; the encoding concatenates theirs in order.

    The native value is a tuple with one value per space, or, when ``names`` are given, a
    dict keyed by name. :attr:`continuous_dims` and :attr:`discrete_parts` locate every
    variable in the encoding, so that a kernel can treat continuous columns, ordinal
    variables (path graphs) and nominal variables (complete graphs) each in its own way.
    Neighbours change one discrete variable by one hop and keep the rest fixed.

    Arguments:
        spaces: the factors, at least one.
        names: one distinct name per factor, or ``None``.

    References:
        | Mixed Variable Bayesian Optimization with Frequency Modulated Kernels
          (Oh et al., 2021)
        | https://arxiv.org/abs/2102.12792

    Example:
        >>> from tessera.spaces import Box, Categorical, Integer, Product
        >>> space = Product.of(
        ...     lr=Box(1e-4, 0.1), layers=Integer(1, 4), act=Categorical(["a", "b"])
        ... )
        >>> space.continuous_dims, [(p.column, p.size, p.kind) for p in space.discrete_parts]
        ((0,), [(1, 4, 'ordinal'), (2, 2, 'nominal')])
        >>> space.decode(space.encode([{"lr": 0.01, "layers": 2, "act": "b"}]))
        [{'lr': 0.01, 'layers': 2, 'act': 'b'}]
    """

    def __init__(self, spaces: Sequence[Space], names: Sequence[str] | None = None) -> None:
        if isinstance(spaces, Space) or not isinstance(spaces, Sequence):
            raise TypeError(
                f"Product: spaces must be a list of spaces, got {spaces!r}; "
                "write Product([a, b]) or Product.of(a, b)"
            )
        if not spaces:
            raise ValueError("Product: spaces is empty; give at least one space")
        for i, space in enumerate(spaces):
            if not isinstance(space, Space):
                raise TypeError(
                    f"Product: spaces[{i}] is {space!r} of type {type(space).__name__}; "
                    "every factor must be a tessera Space"
                )
        self.spaces: tuple[Space, ...] = tuple(spaces)
        self.names: tuple[str, ...] | None = None
        if names is not None:
            names = list(names)
            if len(names) != len(spaces):
                raise ValueError(
                    f"Product: names has {len(names)} entries but there are {len(spaces)} "
                    "spaces; give one name per space"
                )
            for i, name in enumerate(names):
                if not isinstance(name, str) or not name:
                    raise TypeError(f"Product: names[{i}] = {name!r} must be a non-empty str")
                if names.index(name) != i:
                    raise ValueError(f"Product: names[{i}] = {name!r} repeats; names must differ")
            self.names = tuple(names)
        self._slices: list[slice] = []
        start = 0
        for space in self.spaces:
            self._slices.append(slice(start, start + space.dim))
            start += space.dim

    @classmethod
    def of(cls, *spaces: Space, **named: Space) -> Product:
        """``Product.of(a, b)`` is ``Product([a, b])``; ``Product.of(x=a, y=b)`` names them."""
        if spaces and named:
            raise TypeError("Product.of: give the spaces either all by position or all by name")
        if named:
            return cls(list(named.values()), names=list(named))
        return cls(list(spaces))

    def _label(self, i: int) -> str:
        return repr(self.names[i]) if self.names is not None else str(i)

    # Bookkeeping

    @property
    def dim(self) -> int:
        return self._slices[-1].stop

    @property
    def size(self) -> int | None:
        sizes = [space.size for space in self.spaces]
        return None if any(s is None for s in sizes) else math.prod(sizes)  # type: ignore[misc]

    @property
    def continuous_dims(self) -> tuple[int, ...]:
        return tuple(
            block.start + d
            for space, block in zip(self.spaces, self._slices, strict=True)
            for d in space.continuous_dims
        )

    @property
    def discrete_parts(self) -> tuple[DiscretePart, ...]:
        parts = []
        for i, (space, block) in enumerate(zip(self.spaces, self._slices, strict=True)):
            for part in space.discrete_parts:
                name = part.name
                if self.names is not None:
                    name = self.names[i] if name is None else f"{self.names[i]}.{name}"
                parts.append(
                    dataclasses.replace(part, column=block.start + part.column, name=name)
                )
        return tuple(parts)

    # Points

    def _sample(self, n: int, generator: torch.Generator | None) -> Tensor:
        return torch.cat([space.sample(n, generator) for space in self.spaces], dim=-1)

    def _values(self, point: Any) -> list[Any]:
        if self.names is not None:
            return [point[name] for name in self.names]
        return list(point)

    def _why_not(self, point: Any) -> str | None:
        if self.names is not None:
            if not isinstance(point, Mapping):
                return f"expected a dict with keys {list(self.names)}"
            if set(point) != set(self.names):
                return f"expected the keys {list(self.names)}, got {list(point)}"
        elif isinstance(point, (str, bytes)) or not isinstance(point, Sequence):
            return f"expected a tuple of {len(self.spaces)} values"
        elif len(point) != len(self.spaces):
            return f"expected {len(self.spaces)} values, got {len(point)}"
        for i, (space, value) in enumerate(zip(self.spaces, self._values(point), strict=True)):
            reason = space._why_not(value)
            if reason is not None:
                return f"component {self._label(i)} ({space!r}): {value!r}: {reason}"
        return None

    def _encode_one(self, point: Any) -> list[float]:
        return [
            x
            for space, value in zip(self.spaces, self._values(point), strict=True)
            for x in space._encode_one(value)
        ]

    def _decode_one(self, x: Tensor) -> Any:
        values = []
        for i, (space, block) in enumerate(zip(self.spaces, self._slices, strict=True)):
            try:
                values.append(space._decode_one(x[block]))
            except ValueError as error:
                raise ValueError(f"component {self._label(i)} ({space!r}): {error}") from None
        return (
            dict(zip(self.names, values, strict=True)) if self.names is not None else tuple(values)
        )

    def project(self, x: Tensor) -> Tensor:
        """Project each factor's columns with the factor's own :meth:`project`."""
        x = torch.as_tensor(x, dtype=torch.float64)
        return torch.cat(
            [
                space.project(x[..., block])
                for space, block in zip(self.spaces, self._slices, strict=True)
            ],
            dim=-1,
        )

    def neighbours(self, x: Tensor) -> Tensor:
        """One-hop moves of each discrete factor with the others fixed, (dim,) → (k, dim).

        Continuous factors contribute no moves; ``k`` is the sum of the factors' counts.

        Raises:
            NotImplementedError: no factor is discrete.
        """
        if not self.discrete_parts:
            return super().neighbours(x)
        x = self._check_encoded(x, single=True)[0]
        moves = []
        for space, block in zip(self.spaces, self._slices, strict=True):
            if not space.discrete_parts:
                continue
            local = space.neighbours(x[block])
            rows = x.repeat(len(local), 1)
            rows[:, block] = local
            moves.append(rows)
        return torch.cat(moves)

    def _structure(self) -> Hashable:
        return (Product, tuple(space._structure() for space in self.spaces), self.names)

    def __repr__(self) -> str:
        inner = ", ".join(repr(space) for space in self.spaces)
        names = f", names={list(self.names)!r}" if self.names is not None else ""
        return f"Product([{inner}]{names})"
