"""The ``enf.qm9_positional`` task and its QM9 reader, on the molecules shipped in data/qm9."""

from __future__ import annotations

import json
import math
import tarfile
from pathlib import Path

import pytest
import torch
from tessera_enf import read_qm9_positions

import tessera

QM9 = Path(__file__).parent / "data" / "qm9"
TINY_FLOW = {
    "name": "enf",
    "params": {
        "num_nodes": 19,
        "dim": 3,
        "num_layers": 1,
        "eval_trace": "hutchinson",
        "eval_rtol": 1e-3,
        "eval_atol": 1e-3,
        "kinetic_energy": 1e-3,
        "jacobian_frobenius": 1e-3,
        "dynamics": {"name": "egnn", "params": {"in_features": 4, "hidden_features": 4}},
    },
}


def test_reader_keeps_the_molecules_of_the_requested_size(tmp_path):
    """19-atom molecules are kept and centred, methane is left out; folders and tar
    archives read the same."""
    x, index = read_qm9_positions(QM9, 19)
    assert x.shape == (3, 19, 3) and index.tolist() == [200001, 200002, 200003]
    assert x.sum(1).abs().max() < 1e-12
    bonds = torch.cdist(x, x) + 10 * torch.eye(19)
    assert 0.9 < float(bonds.min()) < 1.1  # the N–H bonds, in Å

    methane, index = read_qm9_positions(QM9, 5)
    assert methane.shape == (1, 5, 3) and index.tolist() == [1]

    archive = tmp_path / "qm9.tar.bz2"
    with tarfile.open(archive, "w:bz2") as tar:
        for file in sorted(QM9.glob("*.xyz")):
            tar.add(file, arcname=f"dsgdb9nsd/{file.name}")
    again, _ = read_qm9_positions(archive, 19)
    assert torch.equal(again, x)


def test_reader_errors_name_the_size_and_the_path(tmp_path):
    """Missing sizes and unknown paths are refused with the way out."""
    with pytest.raises(ValueError, match=r"num_atoms=7 .*atom counts: 5, 19"):
        read_qm9_positions(QM9, 7)
    with pytest.raises(ValueError, match="nothing is downloaded"):
        read_qm9_positions(tmp_path / "missing", 19)


def test_splits_and_size_errors():
    """The shipped copy splits 1/1/1; asking for more molecules than it has says so."""
    task = tessera.create(
        "task",
        "enf.qm9_positional",
        path=str(QM9),
        flow=TINY_FLOW,
        num_train=1,
        num_valid=1,
        num_test=1,
        batch_size=1,
    )
    data, info = task.load_data("unused")
    assert {k: len(v) for k, v in data.items()} == {"train": 1, "valid": 1, "test": 1}
    assert info == {"num_molecules": 3}
    both = torch.cat([data["train"], data["valid"], data["test"]]).double()
    assert torch.allclose(both.sort(0).values, read_qm9_positions(QM9, 19)[0].sort(0).values)

    greedy = tessera.create(
        "task", "enf.qm9_positional", path=str(QM9), flow=TINY_FLOW, num_train=2, batch_size=1
    )
    with pytest.raises(ValueError, match="has 3 molecules with 19 atoms, too few"):
        greedy.load_data("unused")
    with pytest.raises(tessera.errors.ConfigError, match="batch_size"):
        tessera.create("task", "enf.qm9_positional", path=str(QM9), num_train=4)


def test_qm9_positional_through_the_runner(tmp_path):
    """``tessera run`` trains on the shipped molecules, reports an NLL and the distance
    comparison, and saves both plots."""
    runs = pytest.importorskip("tessera.runs")
    params = {
        "path": str(QM9),
        "flow": TINY_FLOW,
        "num_train": 1,
        "num_valid": 1,
        "num_test": 1,
        "batch_size": 1,
        "epochs": 1,
        "num_samples": 4,
    }
    result = runs.run(
        {"task": {"name": "enf.qm9_positional", "params": params}, "seed": 0},
        out=tmp_path / "run",
    )
    assert result.status == "completed", result.error
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert math.isfinite(summary["test_nll"]) and summary["num_molecules"] == 3
    assert summary["num_train"] == 1
    assert 0 <= summary["distance_histogram_tv"] <= 1
    assert 1.0 < summary["data_distance_median"] < 5.0
    assert (tmp_path / "run" / "plots" / "distances.png").exists()
    assert (tmp_path / "run" / "plots" / "nll.png").exists()
