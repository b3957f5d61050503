"""Equivariant MLPs for arbitrary matrix groups, native in PyTorch.

Groups (SU, U, Sp, SL, GL, Z, C, D, Scaling, the Lorentz groups, Cube, RubiksCube; SO, O, S
and Trivial come from :mod:`tessera.groups`), the representation algebra (:func:`V`,
:data:`Scalar`, :func:`T`, sums, tensor products, ``>>``), the equivariant-basis solver and
the EMLP layers. Importing the package is cheap: everything loads on first use.

References:
    | A Practical Method for Constructing Equivariant Multilayer Perceptrons for
      Arbitrary Matrix Groups (Finzi et al., 2021)
    | https://arxiv.org/abs/2104.09459

Example:
    >>> from tessera.groups import SO
    >>> from tessera_emlp import T, equivariant_basis
    >>> equivariant_basis(T(2, 0, SO(3))).shape
    torch.Size([9, 1])
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "EMLP",
    "GL",
    "MLP",
    "O11",
    "O13",
    "SL",
    "SO13",
    "SU",
    "BiLinear",
    "C",
    "Cube",
    "D",
    "EMLPBlock",
    "EquivariantLinear",
    "GatedNonlinearity",
    "NoSpectralGapError",
    "Rep",
    "RubiksCube",
    "SO11p",
    "SO13p",
    "Scalar",
    "Scaling",
    "SolverError",
    "SolverOptions",
    "Sp",
    "T",
    "U",
    "V",
    "Z",
    "clear_basis_cache",
    "equivariant_basis",
    "equivariant_projector",
    "gated",
    "parse_rep",
    "uniform_rep",
]

_MODULES = {
    **dict.fromkeys(["GL", "SL", "SU", "U", "Scaling", "Sp"], "tessera_emlp._lie_groups"),
    **dict.fromkeys(["O11", "O13", "SO11p", "SO13", "SO13p"], "tessera_emlp._lorentz"),
    **dict.fromkeys(["C", "D", "Z", "Cube", "RubiksCube"], "tessera_emlp._discrete_groups"),
    **dict.fromkeys(["Rep", "Scalar", "T", "V"], "tessera_emlp._reps"),
    **dict.fromkeys(
        [
            "NoSpectralGapError",
            "SolverError",
            "SolverOptions",
            "clear_basis_cache",
            "equivariant_basis",
            "equivariant_projector",
        ],
        "tessera_emlp._solver",
    ),
    **dict.fromkeys(
        [
            "BiLinear",
            "EMLPBlock",
            "EquivariantLinear",
            "GatedNonlinearity",
            "gated",
            "parse_rep",
            "uniform_rep",
        ],
        "tessera_emlp._layers",
    ),
    **dict.fromkeys(["EMLP", "MLP"], "tessera_emlp._model"),
}


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module 'tessera_emlp' has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
