"""The runner: ``tessera run SPEC.yaml`` and its Python face, :func:`run`.

A run builds a task from the registry, seeds torch, numpy and random, and gives the task a
:class:`Run` context that streams metrics, writes checkpoints and plots, and turns SIGINT and
SIGTERM into a final checkpoint. See ``docs/runs.md``.

Importing this package imports neither torch nor matplotlib; :mod:`tessera.runs.distributed`
(helpers for tasks that train on several processes) imports torch.
"""

from __future__ import annotations

import importlib
from typing import Any

from tessera.runs._cli import run_cli
from tessera.runs._context import (
    CHECKPOINT_FORMAT,
    KEEP_CHECKPOINTS,
    Run,
    RunInterrupted,
    StopSignal,
    seed_everything,
)
from tessera.runs._progress import Progress
from tessera.runs._report import write_report
from tessera.runs._runner import RunResult, execute, open_folder, run
from tessera.runs._spec import QUICKSTART, RunError, RunPlan, apply_override, prepare

__all__ = [
    "CHECKPOINT_FORMAT",
    "KEEP_CHECKPOINTS",
    "QUICKSTART",
    "Progress",
    "RegressionTask",
    "Run",
    "RunError",
    "RunInterrupted",
    "RunPlan",
    "RunResult",
    "StopSignal",
    "SuiteTask",
    "apply_override",
    "execute",
    "open_folder",
    "prepare",
    "run",
    "run_cli",
    "seed_everything",
    "write_report",
]

_LAZY = {"RegressionTask": "tessera.runs._regression", "SuiteTask": "tessera.runs._suite"}


def __getattr__(name: str) -> Any:
    # The built-in tasks import torch, so they load on first access.
    if name not in _LAZY:
        raise AttributeError(f"module 'tessera.runs' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
