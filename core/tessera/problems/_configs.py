"""Config models of the built-in problem types (kind ``problem``); no numpy or torch import.

An instance comes from exactly one source: ``path`` (a local file), ``instance`` (a name
shipped with Tessera, see :func:`tessera.problems.available_instances`) or ``size`` (a
random instance, with ``seed``).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from tessera.config import Config

__all__ = ["CVRPConfig", "FlowShopConfig", "QAPConfig", "TSPConfig", "TSPTWConfig"]

_SOURCES = ("path", "instance", "size")


class _SourceConfig(Config):
    """Fields and validation shared by problems that can be read, shipped or random."""

    path: str | None = Field(default=None, description="a local instance file")
    instance: str | None = Field(default=None, description="the name of a shipped instance")
    size: int | None = Field(default=None, ge=1, description="the size of a random instance")
    seed: int = Field(default=0, description="the seed of a random instance")

    #: Fields that only shape a random instance.
    _random_only: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _one_source(self) -> _SourceConfig:
        given = [name for name in _SOURCES if getattr(self, name) is not None]
        if len(given) != 1:
            got = " and ".join(given) if given else "none"
            raise ValueError(f"give exactly one of 'path', 'instance' or 'size' (got {got})")
        if given[0] != "size":
            for name in self._random_only:
                if getattr(self, name) is not None:
                    raise ValueError(
                        f"'{name}' shapes a random instance; it needs 'size', not '{given[0]}'"
                    )
        return self


class TSPConfig(_SourceConfig):
    """``tsp``: a TSPLIB file, a shipped instance, or nodes uniform in the unit square.

    Example:
        >>> TSPConfig(size=20, seed=1, scale=1000).scale
        1000
    """

    scale: int | None = Field(
        default=None, ge=1, description="random only: integer coordinates on this scale"
    )
    _random_only: ClassVar[tuple[str, ...]] = ("scale",)


class CVRPConfig(_SourceConfig):
    """``cvrp``: a CVRPLIB file, a shipped instance, or a random instance.

    Example:
        >>> CVRPConfig(instance="E-n22-k4").instance
        'E-n22-k4'
    """

    capacity: int | None = Field(
        default=None, ge=1, description="random only: vehicle capacity (default by size)"
    )
    scale: int | None = Field(
        default=None, ge=1, description="random only: integer coordinates on this scale"
    )
    _random_only: ClassVar[tuple[str, ...]] = ("capacity", "scale")


class TSPTWConfig(Config):
    """``tsptw``: a random instance whose windows surround a random feasible tour.

    Example:
        >>> TSPTWConfig(size=10).scale
        100
    """

    size: int = Field(ge=1, description="the number of nodes, depot included")
    seed: int = Field(default=0, description="the seed of the generator")
    scale: int = Field(default=100, ge=1, description="side of the square of coordinates")
    max_width: int | None = Field(
        default=None, ge=0, description="largest window half-width (default: scale)"
    )


class QAPConfig(_SourceConfig):
    """``qap``: a QAPLIB file, a shipped instance, or random integer matrices.

    Example:
        >>> QAPConfig(instance="nug12").seed
        0
    """


class FlowShopConfig(_SourceConfig):
    """``flowshop``: a Taillard or OR-Library file, a shipped instance, or random times.

    Example:
        >>> FlowShopConfig(size=20, num_machines=5).num_machines
        5
    """

    num_machines: int | None = Field(
        default=None, ge=1, description="random only: the number of machines (default 5)"
    )
    _random_only: ClassVar[tuple[str, ...]] = ("num_machines",)
