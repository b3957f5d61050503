"""E(n) equivariant graph neural networks (Satorras, Hoogeboom and Welling, 2021).

Components: the equivariant layer ``egnn``; the models ``egnn``, ``egnn.gnn``,
``egnn.radial_field`` and ``egnn.linear``; the tasks ``egnn.nbody``,
``egnn.graph_autoencoder`` and ``egnn.qm9``. Names load on first access, so importing the
package (as discovery and ``tessera show`` do) does not import torch.

References:
    | E(n) Equivariant Graph Neural Networks (Satorras et al., 2021)
    | https://arxiv.org/abs/2102.09844
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "EGNN",
    "GNN",
    "ConstantVelocity",
    "EGNNLayer",
    "EuclideanGroup",
    "EuclideanTransform",
    "GNNLayer",
    "GeometricOutput",
    "GraphAutoencoderTask",
    "NBodyTask",
    "QM9Task",
    "RadialField",
    "RadialFieldLayer",
    "community_graph",
    "edge_mask",
    "edges_to_adjacency",
    "erdos_renyi_graph",
    "householder",
    "pad_graphs",
    "simulate_charged_particles",
]

_WHERE = {
    "EGNN": "tessera_egnn._model",
    "GNN": "tessera_egnn._baselines",
    "ConstantVelocity": "tessera_egnn._baselines",
    "EGNNLayer": "tessera_egnn._layer",
    "EuclideanGroup": "tessera_egnn._group",
    "EuclideanTransform": "tessera_egnn._group",
    "GNNLayer": "tessera_egnn._baselines",
    "GeometricOutput": "tessera_egnn._common",
    "GraphAutoencoderTask": "tessera_egnn._autoencoder",
    "NBodyTask": "tessera_egnn._nbody",
    "QM9Task": "tessera_egnn._qm9",
    "RadialField": "tessera_egnn._baselines",
    "RadialFieldLayer": "tessera_egnn._baselines",
    "community_graph": "tessera_egnn._graphs",
    "edge_mask": "tessera_egnn._common",
    "edges_to_adjacency": "tessera_egnn._common",
    "erdos_renyi_graph": "tessera_egnn._graphs",
    "householder": "tessera_egnn._group",
    "pad_graphs": "tessera_egnn._common",
    "simulate_charged_particles": "tessera_egnn._simulation",
}

if TYPE_CHECKING:
    from tessera_egnn._autoencoder import GraphAutoencoderTask
    from tessera_egnn._baselines import (
        GNN,
        ConstantVelocity,
        GNNLayer,
        RadialField,
        RadialFieldLayer,
    )
    from tessera_egnn._common import GeometricOutput, edge_mask, edges_to_adjacency, pad_graphs
    from tessera_egnn._graphs import community_graph, erdos_renyi_graph
    from tessera_egnn._group import EuclideanGroup, EuclideanTransform, householder
    from tessera_egnn._layer import EGNNLayer
    from tessera_egnn._model import EGNN
    from tessera_egnn._nbody import NBodyTask
    from tessera_egnn._qm9 import QM9Task
    from tessera_egnn._simulation import simulate_charged_particles


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'tessera_egnn' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
