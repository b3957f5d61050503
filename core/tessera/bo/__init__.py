"""Bayesian optimisation: GP surrogates, acquisitions, an optimiser over mixed spaces, a loop.

- kernels :class:`RBFKernel` and :class:`MaternKernel` (registered as ``rbf``, ``matern``),
  and :class:`SpaceKernel`, the base of kernels that read a search space's encoding;
- surrogate :class:`ExactGP` (``gp``): MAP hyperparameters under priors, restarts,
  standardised targets, jittered Cholesky, cheap updates, pending points;
- acquisitions :class:`ExpectedImprovement` (``ei``), :class:`LogExpectedImprovement`
  (``log_ei``), :class:`UpperConfidenceBound` (``ucb``);
- :class:`AcquisitionOptimizer`: random and jittered starts, gradient steps on continuous
  variables alternating with one-hop hill climbing on discrete ones;
- problem :func:`synthetic` (``synthetic``): standard test functions on boxes;
- the loop :class:`BayesianOptimization` and :func:`minimize` for user code, and the task
  :class:`BOTask` (``bo``) for ``tessera run``.

Objectives are minimised. Importing this package is cheap: the classes (which need torch)
load on first attribute access, so :mod:`tessera.bo._configs` reads without torch.

Example:
    >>> from tessera.bo import minimize
    >>> from tessera.spaces import Box, Integer
    >>> result = minimize(
    ...     lambda p: (p[0] - 0.2) ** 2 + abs(p[1] - 2), Box(-1.0, 1.0) * Integer(0, 4),
    ...     budget=10, initial_design=5,
    ... )
    >>> len(result.points)
    10
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tessera.bo._acquisition import (
        ExpectedImprovement,
        LogExpectedImprovement,
        UpperConfidenceBound,
        expected_improvement,
        log_expected_improvement,
    )
    from tessera.bo._functions import synthetic
    from tessera.bo._gp import ExactGP, NotPositiveDefiniteError, robust_cholesky
    from tessera.bo._kernels import MaternKernel, RBFKernel, SpaceKernel, column_bounds
    from tessera.bo._loop import BayesianOptimization, BOResult, minimize
    from tessera.bo._optimize import AcquisitionOptimizer, SearchSpaceExhaustedError, is_member
    from tessera.bo._priors import (
        gamma_log_prob,
        half_cauchy_log_prob,
        inverse_gamma_log_prob,
        log_normal_log_prob,
    )
    from tessera.bo._task import BOTask, plot_best_values, require_matplotlib

__all__ = [
    "AcquisitionOptimizer",
    "BOResult",
    "BOTask",
    "BayesianOptimization",
    "ExactGP",
    "ExpectedImprovement",
    "LogExpectedImprovement",
    "MaternKernel",
    "NotPositiveDefiniteError",
    "RBFKernel",
    "SearchSpaceExhaustedError",
    "SpaceKernel",
    "UpperConfidenceBound",
    "column_bounds",
    "expected_improvement",
    "gamma_log_prob",
    "half_cauchy_log_prob",
    "inverse_gamma_log_prob",
    "is_member",
    "log_expected_improvement",
    "log_normal_log_prob",
    "minimize",
    "plot_best_values",
    "require_matplotlib",
    "robust_cholesky",
    "synthetic",
]

_MODULES = {
    "AcquisitionOptimizer": "tessera.bo._optimize",
    "BOResult": "tessera.bo._loop",
    "BOTask": "tessera.bo._task",
    "BayesianOptimization": "tessera.bo._loop",
    "ExactGP": "tessera.bo._gp",
    "ExpectedImprovement": "tessera.bo._acquisition",
    "LogExpectedImprovement": "tessera.bo._acquisition",
    "MaternKernel": "tessera.bo._kernels",
    "NotPositiveDefiniteError": "tessera.bo._gp",
    "RBFKernel": "tessera.bo._kernels",
    "SearchSpaceExhaustedError": "tessera.bo._optimize",
    "SpaceKernel": "tessera.bo._kernels",
    "UpperConfidenceBound": "tessera.bo._acquisition",
    "column_bounds": "tessera.bo._kernels",
    "expected_improvement": "tessera.bo._acquisition",
    "gamma_log_prob": "tessera.bo._priors",
    "half_cauchy_log_prob": "tessera.bo._priors",
    "inverse_gamma_log_prob": "tessera.bo._priors",
    "is_member": "tessera.bo._optimize",
    "log_expected_improvement": "tessera.bo._acquisition",
    "log_normal_log_prob": "tessera.bo._priors",
    "minimize": "tessera.bo._loop",
    "plot_best_values": "tessera.bo._task",
    "require_matplotlib": "tessera.bo._task",
    "robust_cholesky": "tessera.bo._gp",
    "synthetic": "tessera.bo._functions",
}


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module 'tessera.bo' has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
