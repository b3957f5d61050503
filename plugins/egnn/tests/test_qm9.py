"""Reading QM9 files and the egnn.qm9 task on a few shipped molecules."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch
from tessera_egnn import read_qm9, read_qm9_xyz
from tessera_egnn._qm9 import atom_features
from tessera_egnn._qm9_data import HARTREE_TO_MEV, target_value

import tessera

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


def test_atom_features_follow_the_reference_encoding():
    """One-hot element times (Z/9)^k for k = 0, 1, 2."""
    features = atom_features(["H", "O"], 2)
    assert features.shape == (2, 15)
    np.testing.assert_allclose(features[1, 9:12], [1.0, 8 / 9, (8 / 9) ** 2])
    assert features[1].sum() == pytest.approx(1 + 8 / 9 + (8 / 9) ** 2)


def test_task_trains_on_shipped_molecules(context, tmp_path):
    """Three molecules: one per split; the report has the MAE in meV."""
    folder = tmp_path / "qm9"
    shutil.copytree(DATA, folder)
    task = tessera.create(
        "task",
        "egnn.qm9",
        path=str(folder),
        num_train=1,
        num_test=1,
        num_valid=1,
        epochs=3,
        hidden_features=16,
        num_layers=2,
        batch_size=2,
    )
    summary = task.run(context)
    assert summary["unit"] == "meV" and summary["test_mae"] > 0
    assert len(context.metrics) == 3 and context.plots


def test_qm9_model_is_invariant():
    """The paper's coordinate-free network gives the same prediction for a rotated,
    translated and relabelled molecule."""
    from tessera_egnn import EuclideanGroup
    from tessera_egnn._qm9 import MoleculeBatch

    torch.manual_seed(0)
    task = tessera.create("task", "egnn.qm9", path=str(DATA), hidden_features=16, num_layers=2)
    model = task.build_model().double()
    batch = MoleculeBatch(read_qm9(DATA), "homo", 2)
    h, x, mask, _ = batch.select(torch.arange(3))
    h, x = h.double(), x.double()
    g = EuclideanGroup(3, x.shape[1]).sample(torch.Generator().manual_seed(0))
    with torch.no_grad():
        a = model(h, x, mask).graph
        b = model(g.nodes(h), g.points(x), g.mask(mask)).graph
    torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


def test_too_few_molecules_is_an_error(context):
    """A split that cannot be filled says how many molecules there are."""
    task = tessera.create("task", "egnn.qm9", path=str(DATA), num_train=3)
    with pytest.raises(ValueError, match="has 3 molecules"):
        task.run(context)
