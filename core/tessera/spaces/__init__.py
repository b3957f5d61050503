"""Search spaces: continuous boxes, integers, categories, permutations and their products.

Every space encodes its points as float64 rows of width ``dim`` and decodes them back.
Importing this package is cheap: the spaces (which need torch) load on first attribute
access, so the config models in :mod:`tessera.spaces._configs` can be read without torch.

Example:
    >>> import torch
    >>> from tessera.spaces import Box, Permutation
    >>> space = Box(0.0, 1.0, dims=2) * Permutation(3)
    >>> x = space.sample(4, torch.Generator().manual_seed(0))
    >>> x.shape, space.encode(space.decode(x)).equal(x)
    (torch.Size([4, 5]), True)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tessera.spaces._base import DiscretePart, Space
    from tessera.spaces._box import Box
    from tessera.spaces._discrete import Categorical, Integer
    from tessera.spaces._permutation import Permutation
    from tessera.spaces._product import Product

__all__ = [
    "Box",
    "Categorical",
    "DiscretePart",
    "Integer",
    "Permutation",
    "Product",
    "Space",
]

_MODULES = {
    "Box": "tessera.spaces._box",
    "Categorical": "tessera.spaces._discrete",
    "DiscretePart": "tessera.spaces._base",
    "Integer": "tessera.spaces._discrete",
    "Permutation": "tessera.spaces._permutation",
    "Product": "tessera.spaces._product",
    "Space": "tessera.spaces._base",
}


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module 'tessera.spaces' has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
