"""Reading any supported file by its suffix, and the instances shipped with Tessera."""

from __future__ import annotations

import difflib
import os
import sys
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from tessera.problems._base import Problem, Solution
from tessera.problems._cvrplib import read_cvrplib, read_cvrplib_solution
from tessera.problems._flowshop_reader import read_flowshop
from tessera.problems._qaplib import read_qaplib, read_qaplib_solution
from tessera.problems._text import inner_suffix
from tessera.problems._tsplib import read_tsplib, read_tsplib_tour

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "available_instances",
    "instance_path",
    "load_instance",
    "load_solution",
    "read_instance",
    "read_solution",
]

_INSTANCE_READERS = {
    ".tsp": read_tsplib,
    ".atsp": read_tsplib,
    ".vrp": read_cvrplib,
    ".dat": read_qaplib,
    ".txt": read_flowshop,
    ".fsp": read_flowshop,
}
_SOLUTION_READERS = {
    ".tour": read_tsplib_tour,
    ".sol": read_cvrplib_solution,
    ".sln": read_qaplib_solution,
}


def read_instance(path: str | os.PathLike[str]) -> Problem:
    """Read an instance file, choosing the reader by its suffix.

    ``.tsp`` and ``.atsp`` are TSPLIB, ``.vrp`` CVRPLIB, ``.dat`` QAPLIB, and ``.txt`` or
    ``.fsp`` a flow shop in Taillard's or OR-Library's format; any of them may be
    gzipped (``.tsp.gz``).

    Example:
        >>> from tessera.problems import instance_path, read_instance
        >>> read_instance(instance_path("gr17")).size
        17
    """
    suffix = inner_suffix(path)
    if suffix not in _INSTANCE_READERS:
        hint = " (a solution file: use read_solution)" if suffix in _SOLUTION_READERS else ""
        raise ValueError(
            f"'{path}': no instance reader for suffix {suffix!r}{hint}; use one of "
            f"{', '.join(_INSTANCE_READERS)}"
        )
    return _INSTANCE_READERS[suffix](path)


def read_solution(path: str | os.PathLike[str]) -> Any:
    """Read a solution file by its suffix.

    ``.tour`` (TSPLIB) gives the 0-based tour, a list; ``.sol`` (CVRPLIB) and ``.sln``
    (QAPLIB) give a :class:`Solution` with the file's cost.
    """
    suffix = inner_suffix(path)
    if suffix not in _SOLUTION_READERS:
        raise ValueError(
            f"'{path}': no solution reader for suffix {suffix!r}; use one of "
            f"{', '.join(_SOLUTION_READERS)}"
        )
    return _SOLUTION_READERS[suffix](path)


@cache
def _catalog() -> dict[str, dict[str, Any]]:
    text = (
        resources.files("tessera.problems")
        .joinpath("instances", "optima.toml")
        .read_text(encoding="utf-8")
    )
    return tomllib.loads(text)


def available_instances() -> list[str]:
    """The names of the instances shipped in ``tessera/problems/instances``."""
    return list(_catalog())


def _entry(name: str) -> dict[str, Any]:
    catalog = _catalog()
    if name not in catalog:
        close = difflib.get_close_matches(name, catalog, n=3)
        hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
        raise ValueError(
            f"no shipped instance named {name!r}; {hint}(available: {', '.join(catalog)})"
        )
    return catalog[name]


def instance_path(name: str, *, solution: bool = False) -> Path:
    """The path of shipped instance ``name``, or of its optimal solution file.

    Raises:
        ValueError: ``name`` is not shipped, or has no solution file and ``solution`` is set.
    """
    entry = _entry(name)
    if solution and "solution" not in entry:
        raise ValueError(f"shipped instance {name!r} comes without an optimal solution file")
    file = entry["solution"] if solution else entry["file"]
    return Path(str(resources.files("tessera.problems").joinpath("instances", file)))


def load_instance(name: str) -> Problem:
    """Shipped instance ``name`` with its published optimum set.

    Example:
        >>> from tessera.problems import load_instance
        >>> berlin = load_instance("berlin52")
        >>> berlin.size, berlin.optimum
        (52, 7542)
    """
    entry = _entry(name)
    problem = read_instance(instance_path(name))
    problem.name = name
    problem.optimum = entry.get("optimum")
    problem.metadata["source"] = entry.get("source")
    return problem


def load_solution(name: str) -> Solution:
    """The published optimal solution of shipped instance ``name``.

    Its ``value`` is in the form the problem type takes (0-based tour, routes, 0-based
    assignment); its ``cost`` is the file's cost, or the published optimum for a tour.
    """
    path = instance_path(name, solution=True)
    solution = read_solution(path)
    if isinstance(solution, Solution):
        return solution
    return Solution(solution, _entry(name)["optimum"], {"path": str(path)})
