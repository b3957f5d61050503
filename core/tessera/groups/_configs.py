"""Config models of the built-in groups (kind ``group``); no torch import."""

from __future__ import annotations

from pydantic import Field

from tessera.config import Config, component

__all__ = [
    "DirectProductConfig",
    "OrthogonalConfig",
    "SpecialOrthogonalConfig",
    "SymmetricConfig",
    "TrivialConfig",
]


class TrivialConfig(Config):
    """``trivial``: the trivial group on ``R^n``."""

    n: int = Field(ge=1, description="dimension")


class OrthogonalConfig(Config):
    """``o``: the orthogonal group O(n)."""

    n: int = Field(ge=1, description="dimension")


class SpecialOrthogonalConfig(Config):
    """``so``: the special orthogonal group SO(n)."""

    n: int = Field(ge=1, description="dimension")


class SymmetricConfig(Config):
    """``s``: the symmetric group S(n) permuting n coordinates."""

    n: int = Field(ge=1, description="number of permuted coordinates")


class DirectProductConfig(Config):
    """``product``: the direct product of groups, acting block-diagonally.

    Example:
        >>> config = DirectProductConfig(groups=[{"name": "so", "params": {"n": 3}}, "s"])
        >>> len(config.groups)
        2
    """

    groups: list[component("group")] = Field(  # type: ignore[valid-type]
        min_length=1, description="the factors, as nested group specs"
    )
