"""Built-in matrix groups: Trivial(n), O(n), SO(n), S(n) and direct products.

Importing this package is cheap: the groups (which need torch) load on first attribute
access, so the config models in :mod:`tessera.groups._configs` can be read without torch.

Example:
    >>> from tessera.groups import O, S
    >>> G = O(2) * S(3)
    >>> G.d, G.is_orthogonal, G.is_permutation
    (5, True, False)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tessera.groups._orthogonal import SO, O, haar_orthogonal, so_basis
    from tessera.groups._product import DirectProduct
    from tessera.groups._symmetric import S
    from tessera.groups._trivial import Trivial
    from tessera.kinds._group import (
        Group,
        orthogonality_residual,
        permutation_matrices,
        permutation_residual,
    )

__all__ = [
    "SO",
    "DirectProduct",
    "Group",
    "O",
    "S",
    "Trivial",
    "haar_orthogonal",
    "orthogonality_residual",
    "permutation_matrices",
    "permutation_residual",
    "so_basis",
]

_MODULES = {
    "O": "tessera.groups._orthogonal",
    "SO": "tessera.groups._orthogonal",
    "haar_orthogonal": "tessera.groups._orthogonal",
    "so_basis": "tessera.groups._orthogonal",
    "DirectProduct": "tessera.groups._product",
    "S": "tessera.groups._symmetric",
    "Trivial": "tessera.groups._trivial",
    "Group": "tessera.kinds._group",
    "orthogonality_residual": "tessera.kinds._group",
    "permutation_matrices": "tessera.kinds._group",
    "permutation_residual": "tessera.kinds._group",
}


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module 'tessera.groups' has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
