"""Readers of data sets in their published formats, shared by the plugins that train on them.

Nothing here downloads: each reader takes a local copy the user gives, in the format its
publishers distribute. :func:`read_qm9` reads QM9 (a folder of ``dsgdb9nsd_*.xyz`` files or
the published ``dsgdb9nsd.xyz.tar.bz2`` archive) into :class:`Molecule` records, which the
EGNN property-regression task and the E-NF positional flow both use.

Example:
    >>> from tessera.datasets import read_qm9_xyz
    >>> molecule = read_qm9_xyz("1\\ngdb 7\\t" + "0.\\t" * 15 + "\\nC\\t0\\t0\\t0\\t0\\n")
    >>> molecule.index, molecule.symbols
    (7, ['C'])
"""

from __future__ import annotations

from tessera.datasets._qm9 import (
    ELEMENTS,
    HARTREE_TO_MEV,
    PROPERTIES,
    Molecule,
    read_qm9,
    read_qm9_xyz,
    target_value,
)

__all__ = [
    "ELEMENTS",
    "HARTREE_TO_MEV",
    "PROPERTIES",
    "Molecule",
    "read_qm9",
    "read_qm9_xyz",
    "target_value",
]
