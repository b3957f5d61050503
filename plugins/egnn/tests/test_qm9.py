"""The egnn.qm9 task on a few shipped molecules (the reader is tested in the core)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from tessera_egnn._qm9 import atom_features

import tessera
from tessera.datasets import read_qm9

DATA = Path(__file__).parent / "data" / "qm9"


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
