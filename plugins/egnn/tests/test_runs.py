"""The tasks through Tessera's runner: run folders, checkpoints, resume, several processes."""

from __future__ import annotations

import json

import pytest

runs = pytest.importorskip("tessera.runs")

NBODY = {
    "num_train": 40,
    "num_valid": 20,
    "num_test": 20,
    "steps": 600,
    "frame_input": 2,
    "frame_target": 4,
    "batch_size": 20,
    "eval_every": 1,
    "model": {
        "name": "egnn",
        "params": {
            "in_features": 1,
            "edge_features": 2,
            "velocity": True,
            "hidden_features": 16,
            "num_layers": 2,
        },
    },
}


def _as_if_killed_after(folder, step: int) -> None:
    """Make a completed run folder look like a process killed after checkpoint ``step``."""
    status = json.loads((folder / "run.json").read_text())
    (folder / "run.json").write_text(json.dumps({**status, "status": "running"}))
    (folder / "summary.json").unlink()
    for path in (folder / "checkpoints").glob("step-*.pt"):
        if int(path.stem.split("-")[1]) > step:
            path.unlink()


def test_nbody_runs_and_resumes_through_the_runner(tmp_path):
    """A run writes its summary, plot and checkpoints; resuming it reloads the checkpoint."""
    spec = {
        "task": {
            "name": "egnn.nbody",
            "params": {**NBODY, "epochs": 2, "data_dir": str(tmp_path / "data")},
        },
        "seed": 3,
    }
    result = runs.run(spec, out=tmp_path / "run")
    assert result.status == "completed", result.error
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["epochs"] == 2 and summary["test_mse"] > 0
    assert (tmp_path / "run" / "plots" / "loss.png").exists()
    _as_if_killed_after(tmp_path / "run", 0)
    again = runs.run(spec, out=tmp_path / "run", resume=True)
    assert again.status == "completed", again.error
    assert again.summary["test_mse"] == pytest.approx(summary["test_mse"], rel=1e-6)


def test_same_seed_same_result(tmp_path):
    """The runner seeds the model's initialisation: two runs with one seed agree."""
    spec = {
        "task": {
            "name": "egnn.nbody",
            "params": {**NBODY, "epochs": 2, "plot": False, "data_dir": str(tmp_path / "data")},
        },
        "seed": 5,
    }
    first = runs.run(spec, out=tmp_path / "a").summary
    second = runs.run(spec, out=tmp_path / "b").summary
    assert first["test_mse"] == second["test_mse"]


def test_graph_autoencoder_through_the_runner(tmp_path):
    """The autoencoder task's checkpoints load through the runner's weights-only reader."""
    spec = {
        "task": {
            "name": "egnn.graph_autoencoder",
            "params": {
                "encoders": ["egnn", "gnn"],
                "num_train": 8,
                "num_valid": 4,
                "num_test": 4,
                "epochs": 2,
                "hidden_features": 8,
                "num_layers": 1,
                "batch_size": 4,
            },
        },
        "seed": 0,
    }
    result = runs.run(spec, out=tmp_path / "run")
    assert result.status == "completed", result.error
    _as_if_killed_after(tmp_path / "run", 2)  # egnn finished, gnn after one epoch
    again = runs.run(spec, out=tmp_path / "run", resume=True)
    assert again.status == "completed", again.error
    for key, value in result.summary.items():
        assert again.summary[key] == (
            value if isinstance(value, str) else pytest.approx(value, rel=1e-5)
        ), key


@pytest.mark.slow
def test_nbody_on_two_processes(tmp_path):
    """Two processes, each taking half of every batch and averaging gradients, train as
    one process does."""
    spec = {
        "task": {
            "name": "egnn.nbody",
            "params": {**NBODY, "epochs": 2, "plot": False, "data_dir": str(tmp_path / "data")},
        },
        "seed": 3,
    }
    one = runs.run(spec, out=tmp_path / "one")
    two = runs.run(spec, out=tmp_path / "two", nproc=2)
    assert two.status == "completed", two.error
    assert two.summary["test_mse"] == pytest.approx(one.summary["test_mse"], rel=1e-4)
