"""Config models of the built-in search spaces (kind ``space``); no torch import."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from tessera.config import Config, component

__all__ = [
    "BoxConfig",
    "CategoricalConfig",
    "IntegerConfig",
    "PermutationConfig",
    "ProductConfig",
]


class BoxConfig(Config):
    """``box``: a continuous box ``[lower, upper]``.

    Example:
        >>> BoxConfig(lower=0.0, upper=1.0, dims=3).dims
        3
    """

    lower: float | list[float] = Field(description="lower bound, scalar or per dimension")
    upper: float | list[float] = Field(description="upper bound, scalar or per dimension")
    dims: int | None = Field(default=None, ge=1, description="dimension, for scalar bounds")

    @model_validator(mode="after")
    def _check_bounds(self) -> BoxConfig:
        lowers = self.lower if isinstance(self.lower, list) else [self.lower]
        uppers = self.upper if isinstance(self.upper, list) else [self.upper]
        if not lowers or not uppers:
            raise ValueError("lower and upper must not be empty lists")
        size = self.dims or max(len(lowers), len(uppers))
        for what, bounds in (("lower", lowers), ("upper", uppers)):
            if len(bounds) not in (1, size):
                raise ValueError(f"{what} has {len(bounds)} entries; expected 1 or {size}")
        lowers, uppers = lowers * (size // len(lowers)), uppers * (size // len(uppers))
        for i, (lo, hi) in enumerate(zip(lowers, uppers, strict=True)):
            if not lo < hi:
                raise ValueError(f"lower = {lo} must be < upper = {hi} (dimension {i})")
        return self


class IntegerConfig(Config):
    """``integer``: the integers ``lower..upper``, an ordinal variable."""

    lower: int = Field(description="smallest value")
    upper: int = Field(description="largest value, > lower")

    @model_validator(mode="after")
    def _check_bounds(self) -> IntegerConfig:
        if not self.lower < self.upper:
            raise ValueError(f"lower = {self.lower} must be < upper = {self.upper}")
        return self


class CategoricalConfig(Config):
    """``categorical``: a nominal variable taking one of ``choices``."""

    choices: list[str | int | float | bool] = Field(
        min_length=1, description="distinct values, at least one"
    )

    @model_validator(mode="after")
    def _check_distinct(self) -> CategoricalConfig:
        seen: list[Any] = []
        for choice in self.choices:
            if choice in seen:
                raise ValueError(f"choice {choice!r} repeats; give each choice once")
            seen.append(choice)
        return self


class PermutationConfig(Config):
    """``permutation``: the permutations of ``n`` items."""

    n: int = Field(ge=1, description="number of items")
    adjacent_swaps: bool = Field(
        default=False, description="neighbours only by swapping adjacent positions"
    )


class ProductConfig(Config):
    """``product``: a product of spaces, each a nested space spec.

    Example:
        >>> config = ProductConfig(
        ...     spaces=[{"name": "box", "params": {"lower": 0, "upper": 1}}, "permutation"],
        ...     names=["x", "order"],
        ... )
        >>> config.names
        ['x', 'order']
    """

    spaces: list[component("space")] = Field(  # type: ignore[valid-type]
        min_length=1, description="the factors, as nested space specs"
    )
    names: list[str] | None = Field(default=None, description="one distinct name per factor")

    @model_validator(mode="after")
    def _check_names(self) -> ProductConfig:
        if self.names is not None:
            if len(self.names) != len(self.spaces):
                raise ValueError(
                    f"names has {len(self.names)} entries for {len(self.spaces)} spaces"
                )
            if len(set(self.names)) != len(self.names):
                raise ValueError(f"names {self.names} repeat; give distinct names")
        return self
