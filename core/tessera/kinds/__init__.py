"""The interfaces of Tessera's kinds.

Each kind is an abstract base class; a component of the kind subclasses it. Plugins declare
further kinds in their manifest (``[[kinds]]`` with an ``interface``). Names are imported on
first access, so ``from tessera.kinds import Flow`` does not import the problem types.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "Acquisition",
    "EquivariantLayer",
    "Flow",
    "Group",
    "Kernel",
    "Posterior",
    "Problem",
    "RunContext",
    "Solution",
    "Solver",
    "Space",
    "Surrogate",
    "Task",
]

_WHERE = {
    "Acquisition": "tessera.kinds._acquisition",
    "EquivariantLayer": "tessera.kinds._equivariant",
    "Flow": "tessera.kinds._flow",
    "Group": "tessera.kinds._group",
    "Kernel": "tessera.kinds._gp",
    "Posterior": "tessera.kinds._gp",
    "Surrogate": "tessera.kinds._gp",
    "Solver": "tessera.kinds._solver",
    "RunContext": "tessera.kinds._task",
    "Task": "tessera.kinds._task",
    "Problem": "tessera.problems",
    "Solution": "tessera.problems",
    "Space": "tessera.spaces",
}

if TYPE_CHECKING:
    from tessera.kinds._acquisition import Acquisition
    from tessera.kinds._equivariant import EquivariantLayer
    from tessera.kinds._flow import Flow
    from tessera.kinds._gp import Kernel, Posterior, Surrogate
    from tessera.kinds._group import Group
    from tessera.kinds._solver import Solver
    from tessera.kinds._task import RunContext, Task
    from tessera.problems import Problem, Solution
    from tessera.spaces import Space


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'tessera.kinds' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
