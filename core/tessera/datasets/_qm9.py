"""Reading QM9 in its published format: one extended-XYZ file per molecule.

A file ``dsgdb9nsd_NNNNNN.xyz`` holds, line by line: the number of atoms ``n``; ``gdb ID``
followed by 15 properties (A, B, C, mu, alpha, homo, lumo, gap, r2, zpve, U0, U, H, G, Cv);
``n`` lines ``element x y z mulliken_charge`` (Å, with Mathematica's ``*^`` exponents in
some files); the harmonic frequencies; the SMILES strings; the InChI strings.

References:
    | Quantum chemistry structures and properties of 134 kilo molecules
      (Ramakrishnan et al., 2014), https://doi.org/10.1038/sdata.2014.22
"""

from __future__ import annotations

import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "ELEMENTS",
    "HARTREE_TO_MEV",
    "PROPERTIES",
    "Molecule",
    "read_qm9",
    "read_qm9_xyz",
    "target_value",
]

#: The properties on the second line of a QM9 file, in order.
PROPERTIES = (
    "A",
    "B",
    "C",
    "mu",
    "alpha",
    "homo",
    "lumo",
    "gap",
    "r2",
    "zpve",
    "U0",
    "U",
    "H",
    "G",
    "Cv",
)

#: Atomic numbers of QM9's elements.
ELEMENTS = {"H": 1, "C": 6, "N": 7, "O": 8, "F": 9}

HARTREE_TO_MEV = 27211.386245988

# Energies of the free atoms (Hartree) for U0, U, H, G at the data set's level of theory
# (the data set's atomref table); atomisation energies subtract them.
_ATOM_ENERGIES = {
    "H": (-0.500273, -0.498857, -0.497912, -0.510927),
    "C": (-37.846772, -37.845355, -37.844411, -37.861317),
    "N": (-54.583861, -54.582445, -54.581501, -54.598897),
    "O": (-75.064579, -75.063163, -75.062219, -75.079532),
    "F": (-99.718730, -99.717314, -99.716370, -99.733544),
}
_UNITS = {"mu": "D", "alpha": "bohr^3", "r2": "bohr^2", "Cv": "cal/mol/K"}


@dataclass
class Molecule:
    """One QM9 molecule.

    Attributes:
        index: the ``gdb`` number.
        symbols: element symbols, one per atom.
        positions: (n, 3), Å.
        properties: the 15 properties of :data:`PROPERTIES` in the file's units.
    """

    index: int
    symbols: list[str]
    positions: np.ndarray
    properties: dict[str, float] = field(default_factory=dict)

    @property
    def atomic_numbers(self) -> np.ndarray:
        return np.array([ELEMENTS[s] for s in self.symbols])


def _float(text: str, source: str, line: int) -> float:
    try:
        return float(text.replace("*^", "e"))
    except ValueError:
        raise ValueError(f"QM9 file '{source}', line {line}: {text!r} is not a number") from None


def read_qm9_xyz(text: str, source: str = "<string>") -> Molecule:
    """Parse one QM9 ``.xyz`` file.

    Arguments:
        text: the file's contents.
        source: a name for error messages.

    Example:
        >>> m = read_qm9_xyz("1\\ngdb 7\\t" + "0.\\t" * 15 + "\\nC\\t0\\t0\\t0\\t0\\n")
        >>> m.index, m.symbols
        (7, ['C'])
    """
    lines = text.splitlines()
    if len(lines) < 2:
        raise ValueError(
            f"QM9 file '{source}' is too short: it needs the atom count and the property line"
        )
    try:
        n = int(lines[0].strip())
    except ValueError:
        raise ValueError(
            f"QM9 file '{source}', line 1: {lines[0]!r} is not an atom count"
        ) from None
    header = lines[1].split()
    if len(header) < 2 + len(PROPERTIES) or header[0] != "gdb":
        raise ValueError(
            f"QM9 file '{source}', line 2: expected 'gdb ID' and "
            f"{len(PROPERTIES)} properties, got {lines[1]!r}"
        )
    values = [_float(v, source, 2) for v in header[2 : 2 + len(PROPERTIES)]]
    if len(lines) < 2 + n:
        raise ValueError(
            f"QM9 file '{source}' declares {n} atoms but has "
            f"{len(lines) - 2} lines after the header"
        )
    symbols, positions = [], []
    for k in range(n):
        parts = lines[2 + k].split()
        if len(parts) < 4 or parts[0] not in ELEMENTS:
            raise ValueError(
                f"QM9 file '{source}', line {3 + k}: expected 'element x y z "
                f"charge' with element in {', '.join(ELEMENTS)}, got "
                f"{lines[2 + k]!r}"
            )
        symbols.append(parts[0])
        positions.append([_float(p, source, 3 + k) for p in parts[1:4]])
    return Molecule(
        int(header[1]),
        symbols,
        np.array(positions, dtype=np.float64),
        dict(zip(PROPERTIES, values)),
    )


def read_qm9(path: str | Path) -> list[Molecule]:
    """Read every molecule of a QM9 copy, sorted by index.

    Arguments:
        path: a folder of ``*.xyz`` files, or a tar archive of them (``.tar``,
            ``.tar.bz2``, ``.tar.gz``), such as the published ``dsgdb9nsd.xyz.tar.bz2``.
    """
    path = Path(path)
    molecules = []
    if path.is_dir():
        files = sorted(path.glob("*.xyz"))
        if not files:
            raise ValueError(
                f"QM9 folder '{path}' has no .xyz files; give the folder of "
                "dsgdb9nsd_*.xyz files or the dsgdb9nsd.xyz.tar.bz2 archive"
            )
        for file in files:
            molecules.append(read_qm9_xyz(file.read_text(encoding="utf-8"), str(file)))
    elif path.is_file() and tarfile.is_tarfile(path):
        with tarfile.open(path) as archive:
            for member in archive:
                if member.isfile() and member.name.endswith(".xyz"):
                    data = archive.extractfile(member)
                    if data is not None:
                        text = data.read().decode("utf-8")
                        molecules.append(read_qm9_xyz(text, f"{path}:{member.name}"))
    else:
        raise ValueError(
            f"QM9 path '{path}' is neither a folder of .xyz files nor a tar archive of them; "
            "give a local copy of QM9 (nothing is downloaded)"
        )
    return sorted(molecules, key=lambda m: m.index)


def target_value(molecule: Molecule, name: str) -> tuple[float, str]:
    """A regression target and its unit: energies in meV, and U0, U, H, G as atomisation
    energies (minus the free atoms' energies); other properties in the file's units."""
    value = molecule.properties[name]
    if name in ("U0", "U", "H", "G"):
        column = ("U0", "U", "H", "G").index(name)
        value -= sum(_ATOM_ENERGIES[s][column] for s in molecule.symbols)
    if name in ("homo", "lumo", "gap", "zpve", "U0", "U", "H", "G"):
        return value * HARTREE_TO_MEV, "meV"
    return value, _UNITS.get(name, "")
