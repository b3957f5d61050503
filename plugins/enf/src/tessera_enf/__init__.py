"""E(n) equivariant normalizing flows (Satorras, Hoogeboom, Fuchs, Posner and Welling, 2021).

Components: the flow ``enf``; the baseline dynamics layers ``enf.gnn`` and ``enf.simple``;
the tasks ``enf.dw4``, ``enf.lj13`` and ``enf.qm9_positional``. Names load on first access,
so importing the package (as discovery and ``tessera show`` do) does not import torch.

References:
    | E(n) Equivariant Normalizing Flows (Satorras et al., 2021)
    | https://arxiv.org/abs/2105.09016
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "DW4Task",
    "DoubleWell",
    "EquivariantFlow",
    "GNNDynamics",
    "LJ13Task",
    "LennardJones",
    "MCMCResult",
    "Metropolis",
    "ParticleGroup",
    "ParticleSystemTask",
    "ParticleTransform",
    "QM9PositionalTask",
    "SimpleDynamics",
    "VelocityField",
    "center",
    "divergence_exact",
    "divergence_hutchinson",
    "pair_distances",
    "read_qm9_positions",
    "zero_com_basis",
    "zero_com_log_prob",
    "zero_com_sample",
]

_WHERE = {
    "DW4Task": "tessera_enf._tasks",
    "DoubleWell": "tessera_enf._energies",
    "EquivariantFlow": "tessera_enf._flow",
    "GNNDynamics": "tessera_enf._baselines",
    "LJ13Task": "tessera_enf._tasks",
    "LennardJones": "tessera_enf._energies",
    "MCMCResult": "tessera_enf._mcmc",
    "Metropolis": "tessera_enf._mcmc",
    "ParticleGroup": "tessera_enf._group",
    "ParticleSystemTask": "tessera_enf._tasks",
    "ParticleTransform": "tessera_enf._group",
    "QM9PositionalTask": "tessera_enf._qm9",
    "SimpleDynamics": "tessera_enf._baselines",
    "VelocityField": "tessera_enf._dynamics",
    "center": "tessera_enf._subspace",
    "divergence_exact": "tessera_enf._flow",
    "divergence_hutchinson": "tessera_enf._flow",
    "pair_distances": "tessera_enf._energies",
    "read_qm9_positions": "tessera_enf._qm9",
    "zero_com_basis": "tessera_enf._subspace",
    "zero_com_log_prob": "tessera_enf._subspace",
    "zero_com_sample": "tessera_enf._subspace",
}

if TYPE_CHECKING:
    from tessera_enf._baselines import GNNDynamics, SimpleDynamics
    from tessera_enf._dynamics import VelocityField
    from tessera_enf._energies import DoubleWell, LennardJones, pair_distances
    from tessera_enf._flow import EquivariantFlow, divergence_exact, divergence_hutchinson
    from tessera_enf._group import ParticleGroup, ParticleTransform
    from tessera_enf._mcmc import MCMCResult, Metropolis
    from tessera_enf._qm9 import QM9PositionalTask, read_qm9_positions
    from tessera_enf._subspace import (
        center,
        zero_com_basis,
        zero_com_log_prob,
        zero_com_sample,
    )
    from tessera_enf._tasks import DW4Task, LJ13Task, ParticleSystemTask


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'tessera_enf' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
