"""Batch Bayesian optimisation on permutations with the acquisition weighted kernel.

- kernels :class:`PositionKernel`, :class:`KendallKernel`, :class:`MallowsKernel`;
- batch acquisitions :class:`LAW` (greedy DPP with the acquisition weighted kernel) and the
  baselines :class:`KrigingBeliever`, :class:`BatchUCB`, :class:`DPP`, :class:`RandomSearch`;
- :class:`PermutationOptimizer`, swap hill climbing that never proposes a permutation twice;
- the solver :class:`LAW2ORDERSolver` for QAP, flow shop and TSP;
- :class:`OrderingProblem`, Bayesian-network structure learning over variable orderings;
- the tasks :class:`BenchmarkTask` and :class:`StructureTask`.

Importing this package is cheap: classes load on first attribute access.

References:
    | Batch Bayesian Optimization on Permutations using the Acquisition Weighted Kernel
      (Oh, Bondesan, Gavves and Welling, 2022)
    | https://arxiv.org/abs/2102.13382
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tessera_law2order._acquisition import (
        DPP,
        LAW,
        BatchSelection,
        BatchUCB,
        GreedyBatchAcquisition,
        KrigingBeliever,
        RandomSearch,
        ei_weight,
        est_weight,
        estimate_minimum,
    )
    from tessera_law2order._bn import (
        BayesianNetwork,
        OrderingProblem,
        bic_local_scores,
        build_bn,
        structural_hamming_distance,
    )
    from tessera_law2order._kernels import (
        KendallKernel,
        MallowsKernel,
        PermutationKernel,
        PositionKernel,
        discordant_pairs,
        pair_signs,
        position_distance,
    )
    from tessera_law2order._optimize import PermutationOptimizer, TakenSet
    from tessera_law2order._solver import LAW2ORDERSolver, as_optimizer
    from tessera_law2order._tasks import (
        BenchmarkTask,
        StructureTask,
        method_acquisition,
        results_table,
    )

__all__ = [
    "DPP",
    "LAW",
    "BatchSelection",
    "BatchUCB",
    "BayesianNetwork",
    "BenchmarkTask",
    "GreedyBatchAcquisition",
    "KendallKernel",
    "KrigingBeliever",
    "LAW2ORDERSolver",
    "MallowsKernel",
    "OrderingProblem",
    "PermutationKernel",
    "PermutationOptimizer",
    "PositionKernel",
    "RandomSearch",
    "StructureTask",
    "TakenSet",
    "as_optimizer",
    "bic_local_scores",
    "build_bn",
    "discordant_pairs",
    "ei_weight",
    "est_weight",
    "estimate_minimum",
    "method_acquisition",
    "pair_signs",
    "position_distance",
    "results_table",
    "structural_hamming_distance",
]

_MODULES = {
    "DPP": "_acquisition",
    "LAW": "_acquisition",
    "BatchSelection": "_acquisition",
    "BatchUCB": "_acquisition",
    "GreedyBatchAcquisition": "_acquisition",
    "KrigingBeliever": "_acquisition",
    "RandomSearch": "_acquisition",
    "ei_weight": "_acquisition",
    "est_weight": "_acquisition",
    "estimate_minimum": "_acquisition",
    "BayesianNetwork": "_bn",
    "OrderingProblem": "_bn",
    "bic_local_scores": "_bn",
    "build_bn": "_bn",
    "structural_hamming_distance": "_bn",
    "KendallKernel": "_kernels",
    "MallowsKernel": "_kernels",
    "PermutationKernel": "_kernels",
    "PositionKernel": "_kernels",
    "discordant_pairs": "_kernels",
    "pair_signs": "_kernels",
    "position_distance": "_kernels",
    "PermutationOptimizer": "_optimize",
    "TakenSet": "_optimize",
    "LAW2ORDERSolver": "_solver",
    "as_optimizer": "_solver",
    "BenchmarkTask": "_tasks",
    "StructureTask": "_tasks",
    "method_acquisition": "_tasks",
    "results_table": "_tasks",
}


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module 'tessera_law2order' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"tessera_law2order.{_MODULES[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
