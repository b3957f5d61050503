"""The ``enf.dw4`` and ``enf.lj13`` tasks, in a recording context and through the runner."""

from __future__ import annotations

import json
import math

import pytest

import tessera

SMALL = {
    "num_train": 20,
    "num_valid": 10,
    "num_test": 10,
    "batch_size": 10,
    "eval_every": 1,
    "num_samples": 6,
    "sampler": {"walkers": 10, "burn_in": 20, "thin": 2},
}
SMALL_FLOW = {
    "num_nodes": 4,
    "dim": 2,
    "num_layers": 1,
    "eval_rtol": 1e-4,
    "eval_atol": 1e-4,
    "dynamics": {
        "name": "egnn",
        "params": {"in_features": 8, "hidden_features": 8, "edge_features": 1, "tanh": True},
    },
}


def dw4(tmp_path, **params):
    flow = {"name": "enf", "params": {**SMALL_FLOW, **params.pop("flow", {})}}
    return tessera.create(
        "task", "enf.dw4", flow=flow, data_dir=str(tmp_path / "data"), **{**SMALL, **params}
    )


def test_dw4_trains_evaluates_and_samples(tmp_path, context):
    """A run reports finite NLLs, NFEs and sample energies and saves both plots."""
    summary = dw4(tmp_path, epochs=2).run(context)
    assert math.isfinite(summary["test_nll"]) and summary["best_epoch"] in (0, 1)
    assert summary["nfe_train"] >= 6 and summary["nfe_eval"] >= 6
    assert 0 < summary["train_acceptance"] < 1
    assert summary["sample_energy_finite"] == 1.0
    assert [step for step, _ in context.metrics] == [0, 1]
    assert {p.name for p in context.plots} == {"nll.png", "energies.png"}


def test_data_sets_are_cached_and_fixed_across_training_sizes(tmp_path):
    """Validation and test sets do not depend on the training-set size; data is cached."""
    small, _ = dw4(tmp_path).load_data(tmp_path / "data")
    larger, _ = dw4(tmp_path, num_train=30).load_data(tmp_path / "data")
    assert small["test"].equal(larger["test"]) and small["valid"].equal(larger["valid"])
    assert len(larger["train"]) == 30
    assert small["train"].sum(1).abs().max() < 1e-5  # centred
    files = sorted(p.name.split("-")[1] for p in (tmp_path / "data").iterdir())
    assert files == ["test", "train", "train", "valid"]


def test_resume_gives_the_same_result(tmp_path, make_context):
    """Resuming from the checkpoint after epoch 0 finishes like an uninterrupted run."""
    full = make_context("full")
    expected = dw4(tmp_path, epochs=2, plot=False).run(full)
    resumed = make_context("resumed")
    resumed.checkpoints = [full.checkpoints[0]]
    again = dw4(tmp_path, epochs=2, plot=False).run(resumed)
    assert again["test_nll"] == pytest.approx(expected["test_nll"], rel=1e-5)


def test_baseline_through_the_registry(tmp_path, context):
    """The GNN baseline is the same task and flow with another dynamics layer."""
    flow = {
        "dynamics": {
            "name": "enf.gnn",
            "params": {"in_features": 8, "hidden_features": 8, "dim": 2},
        }
    }
    summary = dw4(tmp_path, epochs=1, flow=flow, augment=True, plot=False).run(context)
    assert math.isfinite(summary["test_nll"])


def test_lj13_runs(tmp_path, context):
    """LJ13 with Hutchinson's trace in evaluation, as the reference evaluates it."""
    flow = {
        "name": "enf",
        "params": {
            "num_nodes": 13,
            "dim": 3,
            "num_layers": 1,
            "eval_trace": "hutchinson",
            "eval_rtol": 1e-3,
            "eval_atol": 1e-3,
            "dynamics": {"name": "egnn", "params": {"in_features": 4, "hidden_features": 4}},
        },
    }
    task = tessera.create(
        "task",
        "enf.lj13",
        flow=flow,
        data_dir=str(tmp_path / "data"),
        epochs=1,
        plot=False,
        **{**SMALL, "num_train": 10, "num_samples": 2},
    )
    summary = task.run(context)
    assert math.isfinite(summary["test_nll"]) and summary["sample_energy_finite"] >= 0


def test_flow_must_match_the_system(tmp_path):
    """A flow of the wrong event shape is refused with the shape the system needs."""
    with pytest.raises(ValueError, match="num_nodes=13, dim=3"):
        tessera.create("task", "enf.lj13", flow={"name": "enf", "params": {"num_nodes": 4}})
    with pytest.raises(tessera.errors.ConfigError, match="batch_size"):
        tessera.create("task", "enf.dw4", num_train=50)


def test_through_the_runner(tmp_path):
    """``tessera run`` writes the summary and both plots into the run folder."""
    runs = pytest.importorskip("tessera.runs")
    params = {
        **SMALL,
        "epochs": 1,
        "data_dir": str(tmp_path / "data"),
        "flow": {"name": "enf", "params": SMALL_FLOW},
    }
    result = runs.run(
        {"task": {"name": "enf.dw4", "params": params}, "seed": 1}, out=tmp_path / "run"
    )
    assert result.status == "completed", result.error
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["epochs"] == 1
    assert (tmp_path / "run" / "plots" / "energies.png").exists()
