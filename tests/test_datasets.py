"""The readers of tessera.datasets on the records shipped in tests/data."""

from __future__ import annotations

import tarfile
from pathlib import Path

import numpy as np
import pytest

from tessera.datasets import HARTREE_TO_MEV, read_qm9, read_qm9_xyz, target_value

DATA = Path(__file__).parent / "data" / "qm9"


def test_reads_the_published_format():
    """Methane: atoms, positions and the 15 properties of the header line."""
    molecules = read_qm9(DATA)
    assert [m.index for m in molecules] == [1, 2, 3]
    methane = molecules[0]
    assert methane.symbols == ["C", "H", "H", "H", "H"]
    np.testing.assert_allclose(methane.positions[0], [-0.0126981359, 1.0858041578, 0.0080009958])
    assert methane.properties["A"] == 157.7118 and methane.properties["Cv"] == 6.469
    assert methane.properties["homo"] == -0.3877 and methane.properties["U0"] == -40.47893


def test_reads_mathematica_exponents_and_rejects_bad_files():
    """Coordinates such as 1.5*^-6 parse; unknown elements are named in the error."""
    text = "1\ngdb 9\t" + "1.\t" * 15 + "\nC\t1.5*^-6\t0.\t-2*^1\t0.\n"
    assert read_qm9_xyz(text).positions.tolist() == [[1.5e-6, 0.0, -20.0]]
    with pytest.raises(ValueError, match=r"line 3.*element"):
        read_qm9_xyz(text.replace("C\t", "Xx\t"))
    with pytest.raises(ValueError, match="declares 2 atoms"):
        read_qm9_xyz(text.replace("1\n", "2\n", 1))


def test_reads_a_tar_archive(tmp_path):
    """The published .tar.bz2 layout reads like the folder."""
    archive = tmp_path / "dsgdb9nsd.xyz.tar.bz2"
    with tarfile.open(archive, "w:bz2") as tar:
        for file in sorted(DATA.glob("*.xyz")):
            tar.add(file, arcname=file.name)
    assert [m.index for m in read_qm9(archive)] == [1, 2, 3]
    with pytest.raises(ValueError, match="neither a folder"):
        read_qm9(tmp_path / "missing")


def test_targets_are_in_mev_and_atomisation_energies():
    """HOMO in meV; U0 minus the free atoms' energies."""
    methane = read_qm9(DATA)[0]
    value, unit = target_value(methane, "homo")
    assert unit == "meV" and value == pytest.approx(-0.3877 * HARTREE_TO_MEV)
    atoms = -37.846772 + 4 * -0.500273
    assert target_value(methane, "U0")[0] == pytest.approx((-40.47893 - atoms) * HARTREE_TO_MEV)
    assert target_value(methane, "alpha") == (13.21, "bohr^3")
