"""Deep Policy Dynamic Programming for vehicle routing (Kool, van Hoof, Gromicho and Welling).

Components: the solver ``dpdp`` (restricted dynamic programming for TSP, CVRP and TSPTW);
the baseline solvers ``dpdp.nearest_neighbour``, ``dpdp.two_opt``, ``dpdp.ortools``,
``dpdp.lkh`` and ``dpdp.hgs`` (the last three need optional packages); the heatmap models
``dpdp.gcn`` and ``dpdp.distance_heatmap``; the tasks ``dpdp.tsp``, ``dpdp.cvrp``,
``dpdp.tsptw`` and ``dpdp.train``. Names load on first access, so importing the package (as
discovery and ``tessera show`` do) does not import torch.

References:
    | Deep Policy Dynamic Programming for Vehicle Routing Problems (Kool et al., 2021)
    | https://arxiv.org/abs/2102.11756
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "DPDP",
    "GCN",
    "HGS",
    "LKH",
    "CVRPTask",
    "DPGraph",
    "DPResult",
    "DistanceHeatmap",
    "MissingDependencyError",
    "NearestNeighbour",
    "NoSolutionError",
    "ORTools",
    "TSPTWTask",
    "TSPTask",
    "TrainTask",
    "TwoOpt",
    "balanced_loss",
    "build_graph",
    "integer_costs",
    "local_search",
    "run_dp",
]

_WHERE = {
    "DPDP": "tessera_dpdp._solver",
    "NoSolutionError": "tessera_dpdp._solver",
    "GCN": "tessera_dpdp._gcn",
    "DistanceHeatmap": "tessera_dpdp._gcn",
    "balanced_loss": "tessera_dpdp._gcn",
    "HGS": "tessera_dpdp._baselines",
    "LKH": "tessera_dpdp._baselines",
    "MissingDependencyError": "tessera_dpdp._baselines",
    "NearestNeighbour": "tessera_dpdp._baselines",
    "ORTools": "tessera_dpdp._baselines",
    "TwoOpt": "tessera_dpdp._baselines",
    "DPGraph": "tessera_dpdp._dp",
    "DPResult": "tessera_dpdp._dp",
    "run_dp": "tessera_dpdp._dp",
    "build_graph": "tessera_dpdp._graph",
    "integer_costs": "tessera_dpdp._graph",
    "local_search": "tessera_dpdp._localsearch",
    "CVRPTask": "tessera_dpdp._tasks",
    "TSPTask": "tessera_dpdp._tasks",
    "TSPTWTask": "tessera_dpdp._tasks",
    "TrainTask": "tessera_dpdp._training",
}

if TYPE_CHECKING:
    from tessera_dpdp._baselines import (
        HGS,
        LKH,
        MissingDependencyError,
        NearestNeighbour,
        ORTools,
        TwoOpt,
    )
    from tessera_dpdp._dp import DPGraph, DPResult, run_dp
    from tessera_dpdp._gcn import GCN, DistanceHeatmap, balanced_loss
    from tessera_dpdp._graph import build_graph, integer_costs
    from tessera_dpdp._localsearch import local_search
    from tessera_dpdp._solver import DPDP, NoSolutionError
    from tessera_dpdp._tasks import CVRPTask, TSPTask, TSPTWTask
    from tessera_dpdp._training import TrainTask


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'tessera_dpdp' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
