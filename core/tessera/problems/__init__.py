"""Problem types shared by solver plugins, and readers of their standard file formats.

Problem types: :class:`TSP`, :class:`CVRP`, :class:`TSPTW`, :class:`QAP`,
:class:`FlowShop` and :class:`BlackBox`, each a :class:`Problem` with ``check``,
``objective`` and a seeded ``random`` constructor. Readers: TSPLIB (``.tsp``, ``.tour``),
CVRPLIB (``.vrp``, ``.sol``), QAPLIB (``.dat``, ``.sln``) and flow shop files (Taillard,
OR-Library); :func:`read_instance` picks one by suffix and :func:`load_instance` opens the
instances shipped with Tessera, their published optima set.

Importing this package is cheap: the problem types and readers (which need numpy) load on
first attribute access, so the config models in :mod:`tessera.problems._configs` can be
read without numpy.

Example:
    >>> from tessera.problems import load_instance, load_solution
    >>> tsp = load_instance("berlin52")
    >>> tsp.objective(load_solution("berlin52").value) == tsp.optimum == 7542
    True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tessera.problems._base import InfeasibleSolutionError, Problem, Solution
    from tessera.problems._blackbox import BlackBox
    from tessera.problems._catalog import (
        available_instances,
        instance_path,
        load_instance,
        load_solution,
        read_instance,
        read_solution,
    )
    from tessera.problems._cvrp import CVRP, random_capacity
    from tessera.problems._cvrplib import read_cvrplib, read_cvrplib_solution
    from tessera.problems._distances import tsplib_distances
    from tessera.problems._factories import (
        build_cvrp,
        build_flowshop,
        build_qap,
        build_tsp,
        build_tsptw,
    )
    from tessera.problems._flowshop import FlowShop
    from tessera.problems._flowshop_reader import read_flowshop, read_orlib_flowshop, read_taillard
    from tessera.problems._qap import QAP
    from tessera.problems._qaplib import read_qaplib, read_qaplib_solution
    from tessera.problems._text import InstanceFormatError
    from tessera.problems._tsp import TSP
    from tessera.problems._tsplib import read_tsplib, read_tsplib_tour, read_tsplib_tours
    from tessera.problems._tsptw import TSPTW

__all__ = [
    "CVRP",
    "QAP",
    "TSP",
    "TSPTW",
    "BlackBox",
    "FlowShop",
    "InfeasibleSolutionError",
    "InstanceFormatError",
    "Problem",
    "Solution",
    "available_instances",
    "build_cvrp",
    "build_flowshop",
    "build_qap",
    "build_tsp",
    "build_tsptw",
    "instance_path",
    "load_instance",
    "load_solution",
    "random_capacity",
    "read_cvrplib",
    "read_cvrplib_solution",
    "read_flowshop",
    "read_instance",
    "read_orlib_flowshop",
    "read_qaplib",
    "read_qaplib_solution",
    "read_solution",
    "read_taillard",
    "read_tsplib",
    "read_tsplib_tour",
    "read_tsplib_tours",
    "tsplib_distances",
]

_MODULES = {
    "InfeasibleSolutionError": "tessera.problems._base",
    "Problem": "tessera.problems._base",
    "Solution": "tessera.problems._base",
    "BlackBox": "tessera.problems._blackbox",
    "available_instances": "tessera.problems._catalog",
    "instance_path": "tessera.problems._catalog",
    "load_instance": "tessera.problems._catalog",
    "load_solution": "tessera.problems._catalog",
    "read_instance": "tessera.problems._catalog",
    "read_solution": "tessera.problems._catalog",
    "CVRP": "tessera.problems._cvrp",
    "random_capacity": "tessera.problems._cvrp",
    "read_cvrplib": "tessera.problems._cvrplib",
    "read_cvrplib_solution": "tessera.problems._cvrplib",
    "tsplib_distances": "tessera.problems._distances",
    "build_cvrp": "tessera.problems._factories",
    "build_flowshop": "tessera.problems._factories",
    "build_qap": "tessera.problems._factories",
    "build_tsp": "tessera.problems._factories",
    "build_tsptw": "tessera.problems._factories",
    "FlowShop": "tessera.problems._flowshop",
    "read_flowshop": "tessera.problems._flowshop_reader",
    "read_orlib_flowshop": "tessera.problems._flowshop_reader",
    "read_taillard": "tessera.problems._flowshop_reader",
    "QAP": "tessera.problems._qap",
    "read_qaplib": "tessera.problems._qaplib",
    "read_qaplib_solution": "tessera.problems._qaplib",
    "InstanceFormatError": "tessera.problems._text",
    "TSP": "tessera.problems._tsp",
    "read_tsplib": "tessera.problems._tsplib",
    "read_tsplib_tour": "tessera.problems._tsplib",
    "read_tsplib_tours": "tessera.problems._tsplib",
    "TSPTW": "tessera.problems._tsptw",
}


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module 'tessera.problems' has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
