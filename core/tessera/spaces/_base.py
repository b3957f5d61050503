"""The Space interface: search spaces with a float64 tensor encoding.

A space has native points (floats, ints, choices, tuples of indices, ...) and an encoding
of each point as a row of ``dim`` float64 numbers. Optimisers work on encodings; users see
native points. Discrete variables also expose a graph structure through
:attr:`Space.discrete_parts` (a path graph for ordinal variables, a complete graph for
nominal ones) and one-hop moves through :meth:`Space.neighbours`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import torch
from torch import Tensor

if TYPE_CHECKING:
    from tessera.spaces._product import Product

__all__ = ["DiscretePart", "Space"]

#: Tolerance for an encoded value to count as the integer it rounds to.
DECODE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class DiscretePart:
    """One discrete variable of a space's encoding.

    Attributes:
        column: the first encoded column of the variable.
        width: the number of encoded columns (1, or ``n`` for a permutation).
        size: the number of values the variable takes (``n!`` for a permutation).
        kind: ``"ordinal"`` (an integer; its graph is a path), ``"nominal"`` (a category;
            its graph is complete) or ``"permutation"`` (its graph joins permutations one
            swap apart).
        offset: the encoded value of the first vertex: vertex ``v`` is encoded as
            ``offset + v`` (the lower bound of an integer, 0 otherwise).
        name: the variable's name within a named product (dotted when nested), or ``None``.
    """

    column: int
    width: int
    size: int
    kind: Literal["ordinal", "nominal", "permutation"]
    offset: int = 0
    name: str | None = None

    @property
    def ordinal(self) -> bool:
        """Whether the variable is ordinal (path graph) rather than nominal or a permutation."""
        return self.kind == "ordinal"

    @property
    def columns(self) -> range:
        """The encoded columns of the variable."""
        return range(self.column, self.column + self.width)


class Space(ABC):
    """A search space whose points are encoded as float64 rows of width :attr:`dim`.

    Subclasses implement :attr:`dim`, :meth:`_sample`, :meth:`_why_not` (why a native point
    is not in the space), :meth:`_encode_one`, :meth:`_decode_one`, :meth:`project` and, for
    discrete spaces, :meth:`neighbours`. Equality and hashing follow :meth:`_structure`.

    Example:
        >>> from tessera.spaces import Box, Categorical, Integer
        >>> space = Box(0.0, 1.0) * Integer(1, 4) * Categorical(["relu", "tanh"])
        >>> space.dim, space.decode(space.encode([(0.5, 2, "tanh")]))
        (3, [(0.5, 2, 'tanh')])
    """

    # Definition

    @property
    @abstractmethod
    def dim(self) -> int:
        """The width of the encoding."""

    @property
    def size(self) -> int | None:
        """The number of points, or ``None`` when the space is continuous."""
        return None

    @property
    def continuous_dims(self) -> tuple[int, ...]:
        """The encoded columns that hold continuous variables."""
        return ()

    @property
    def discrete_parts(self) -> tuple[DiscretePart, ...]:
        """The discrete variables of the encoding."""
        return ()

    @abstractmethod
    def _sample(self, n: int, generator: torch.Generator | None) -> Tensor:
        """``n`` random encoded points, (n, dim), float64."""

    @abstractmethod
    def _why_not(self, point: Any) -> str | None:
        """Why ``point`` is not a native point of the space, or ``None`` if it is."""

    @abstractmethod
    def _encode_one(self, point: Any) -> list[float]:
        """The encoding of a valid native point, ``dim`` floats."""

    @abstractmethod
    def _decode_one(self, x: Tensor) -> Any:
        """The native point of one encoded row, (dim,); raises ``ValueError`` if invalid."""

    @abstractmethod
    def project(self, x: Tensor) -> Tensor:
        """The nearest valid encoding of each row of ``x``, (..., dim) → (..., dim).

        Continuous parts are clamped to their bounds, integers and category indices are
        rounded and clamped, permutation parts become the permutation with the same order.
        """

    def neighbours(self, x: Tensor) -> Tensor:
        """The one-hop neighbours of an encoded point, (dim,) → (k, dim).

        Raises:
            NotImplementedError: the space is continuous and has no neighbours.
        """
        raise NotImplementedError(
            f"{self!r} is continuous and has no one-hop neighbours; perturb or optimise its "
            "coordinates instead"
        )

    def _structure(self) -> Hashable:
        """What equality and hashing compare."""
        return (type(self), repr(self))

    # Public API

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` random encoded points, (n, dim), float64, drawn uniformly for each variable.

        Arguments:
            n: the number of points, ≥ 0.
            generator: the random number generator; the global one when ``None``.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"{self!r}: the number of samples must be an int ≥ 0, got {n!r}")
        return self._sample(n, generator)

    def contains(self, point: Any) -> bool:
        """Whether ``point`` is a native point of the space; never raises."""
        try:
            return self._why_not(point) is None
        except Exception:
            return False

    def encode(self, points: Sequence[Any]) -> Tensor:
        """Encode native points, a sequence of n points, as a float64 tensor (n, dim).

        Raises:
            ValueError: a point is not in the space; the message says which and why.
        """
        if isinstance(points, (str, bytes)) or not isinstance(points, Sequence):
            raise TypeError(
                f"{self!r}: encode takes a sequence of points, got {type(points).__name__}; "
                "wrap a single point in a list"
            )
        rows = []
        for i, point in enumerate(points):
            reason = self._why_not(point)
            if reason is not None:
                raise ValueError(f"{self!r}: cannot encode points[{i}] = {point!r}: {reason}")
            rows.append(self._encode_one(point))
        return torch.tensor(rows, dtype=torch.float64).reshape(len(rows), self.dim)

    def decode(self, x: Tensor) -> list[Any]:
        """The native points of encoded rows, (n, dim) → list of n points.

        A single row (dim,) is read as a batch of one. Discrete values must lie within
        1e-6 of a valid value; call :meth:`project` first on arbitrary real vectors.

        Raises:
            ValueError: a row is not a valid encoding.
        """
        x = self._check_encoded(x)
        points = []
        for i, row in enumerate(x):
            try:
                points.append(self._decode_one(row))
            except ValueError as error:
                raise ValueError(
                    f"{self!r}: cannot decode row {i}: {error}; use project() first"
                ) from None
        return points

    def _check_encoded(self, x: Tensor, *, single: bool = False) -> Tensor:
        x = torch.as_tensor(x)
        if single and x.shape != (self.dim,):
            raise ValueError(
                f"{self!r}: expected one encoded point of shape ({self.dim},), "
                f"got {tuple(x.shape)}"
            )
        if x.ndim == 1:
            x = x[None]
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(
                f"{self!r}: expected encoded points of shape (n, {self.dim}), got {tuple(x.shape)}"
            )
        if x.is_complex():
            raise TypeError(f"{self!r}: encoded points must be real, got {x.dtype}")
        return x.to(torch.float64)

    def __mul__(self, other: object) -> Product:
        if not isinstance(other, Space):
            return NotImplemented
        from tessera.spaces._product import Product

        def factors(space: Space) -> list[Space]:
            unnamed = isinstance(space, Product) and space.names is None
            return list(space.spaces) if unnamed else [space]  # type: ignore[attr-defined]

        return Product([*factors(self), *factors(other)])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Space):
            return NotImplemented
        return self._structure() == other._structure()

    def __hash__(self) -> int:
        return hash(self._structure())


def nearest_int(value: float, what: str) -> int:
    """``value`` rounded, or a ``ValueError`` naming ``what`` if it is not near an integer."""
    if not math.isfinite(value):
        raise ValueError(f"{what} {value!r} is not finite")
    rounded = round(value)
    if abs(value - rounded) > DECODE_TOLERANCE:
        raise ValueError(f"{what} {value!r} is not an integer")
    return int(rounded)
