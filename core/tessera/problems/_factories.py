"""Factories of the ``problem`` components: one per problem type, fed by its config."""

from __future__ import annotations

from tessera.problems._base import Problem
from tessera.problems._catalog import load_instance, read_instance
from tessera.problems._cvrp import CVRP
from tessera.problems._flowshop import FlowShop
from tessera.problems._qap import QAP
from tessera.problems._tsp import TSP
from tessera.problems._tsptw import TSPTW

__all__ = ["build_cvrp", "build_flowshop", "build_qap", "build_tsp", "build_tsptw"]


def _from_source(
    kind: type[Problem], path: str | None, instance: str | None, size: int | None
) -> Problem | None:
    """The instance read from ``path`` or shipped as ``instance``; ``None`` for random."""
    given = [
        n for n, v in (("path", path), ("instance", instance), ("size", size)) if v is not None
    ]
    if len(given) != 1:
        got = " and ".join(given) if given else "none"
        raise ValueError(
            f"a {kind.__name__} needs exactly one of 'path', 'instance' or 'size' (got {got})"
        )
    if size is not None:
        return None
    problem = read_instance(path) if path is not None else load_instance(instance or "")
    if not isinstance(problem, kind):
        source = f"file '{path}'" if path is not None else f"shipped instance {instance!r}"
        raise TypeError(
            f"{source} holds a {type(problem).__name__}, not a {kind.__name__}; "
            f"use the '{type(problem).__name__.lower()}' problem"
        )
    return problem


def build_tsp(
    *,
    path: str | None = None,
    instance: str | None = None,
    size: int | None = None,
    seed: int = 0,
    scale: int | None = None,
) -> TSP:
    """A :class:`TSP` from a TSPLIB file, a shipped instance or :meth:`TSP.random`.

    Example:
        >>> from tessera.problems import build_tsp
        >>> build_tsp(instance="burma14").optimum
        3323
    """
    problem = _from_source(TSP, path, instance, size)
    return TSP.random(size, seed=seed, scale=scale) if problem is None else problem


def build_cvrp(
    *,
    path: str | None = None,
    instance: str | None = None,
    size: int | None = None,
    seed: int = 0,
    capacity: int | None = None,
    scale: int | None = None,
) -> CVRP:
    """A :class:`CVRP` from a CVRPLIB file, a shipped instance or :meth:`CVRP.random`."""
    problem = _from_source(CVRP, path, instance, size)
    if problem is None:
        return CVRP.random(size, seed=seed, capacity=capacity, scale=scale)
    return problem


def build_tsptw(
    *, size: int, seed: int = 0, scale: int = 100, max_width: int | None = None
) -> TSPTW:
    """A random :class:`TSPTW` (see :meth:`TSPTW.random`)."""
    return TSPTW.random(size, seed=seed, scale=scale, max_width=max_width)


def build_qap(
    *,
    path: str | None = None,
    instance: str | None = None,
    size: int | None = None,
    seed: int = 0,
) -> QAP:
    """A :class:`QAP` from a QAPLIB file, a shipped instance or :meth:`QAP.random`."""
    problem = _from_source(QAP, path, instance, size)
    return QAP.random(size, seed=seed) if problem is None else problem


def build_flowshop(
    *,
    path: str | None = None,
    instance: str | None = None,
    size: int | None = None,
    seed: int = 0,
    num_machines: int | None = None,
) -> FlowShop:
    """A :class:`FlowShop` from a file, a shipped instance or :meth:`FlowShop.random`."""
    problem = _from_source(FlowShop, path, instance, size)
    if problem is None:
        return FlowShop.random(size, seed=seed, num_machines=num_machines or 5)
    return problem
