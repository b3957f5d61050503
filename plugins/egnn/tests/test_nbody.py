"""The charged-particle simulator and the egnn.nbody task."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tessera_egnn import simulate_charged_particles
from tessera_egnn._simulation import coulomb_forces, energy

import tessera

SMALL = {
    "num_train": 60,
    "num_valid": 30,
    "num_test": 30,
    "steps": 600,
    "frame_input": 2,
    "frame_target": 4,
    "batch_size": 20,
    "eval_every": 1,
}


def test_forces_match_a_pairwise_loop():
    """The vectorised Coulomb forces equal the sum over pairs, clipped per component."""
    rng = np.random.default_rng(0)
    x, q = rng.standard_normal((3, 4, 2)), rng.choice([-1.0, 1.0], size=(3, 4))
    expected = np.zeros_like(x)
    for s in range(3):
        for i in range(4):
            for j in range(4):
                if i != j:
                    r = x[s, i] - x[s, j]
                    expected[s, i] += 2.0 * q[s, i] * q[s, j] * r / np.linalg.norm(r) ** 3
    np.testing.assert_allclose(coulomb_forces(x, q, 2.0), expected, rtol=1e-12)
    np.testing.assert_allclose(coulomb_forces(x, q, 2.0, 0.5), np.clip(expected, -0.5, 0.5))


def test_pairwise_forces_conserve_momentum():
    """Without clipping, forces are pairwise opposite: total momentum stays constant."""
    t = simulate_charged_particles(50, steps=1000, max_force=None, rng=1)
    momentum = t.velocities.sum(axis=2)
    np.testing.assert_allclose(
        momentum, np.broadcast_to(momentum[:, :1], momentum.shape), atol=1e-9
    )


def test_energy_is_approximately_conserved():
    """Semi-implicit Euler with dt = 0.001 keeps the energy of typical systems within 2%
    over 5000 steps (close encounters make a few systems drift more)."""
    t = simulate_charged_particles(100, rng=2)
    e = energy(t.positions, t.velocities, t.charges[:, None])
    drift = np.abs(e - e[:, :1]) / np.abs(e[:, :1])
    assert np.median(drift[:, -1]) < 0.02


def test_initial_conditions_and_frames():
    """Free particles (k = 0) keep speed 0.5 and move in straight lines; frame k is the
    state after (k + 1)·sample_every steps; charges are ±1."""
    t = simulate_charged_particles(20, steps=500, sample_every=100, interaction=0.0, rng=3)
    assert t.positions.shape == (20, 4, 5, 3)
    np.testing.assert_allclose(np.linalg.norm(t.velocities, axis=-1), 0.5)
    np.testing.assert_allclose(
        t.positions[:, 1] - t.positions[:, 0], 0.1 * t.velocities[:, 0], atol=1e-12
    )
    assert set(np.unique(t.charges)) <= {-1.0, 1.0}
    longer = simulate_charged_particles(20, steps=700, sample_every=100, interaction=0.0, rng=3)
    np.testing.assert_allclose(longer.positions[:, :4], t.positions)
    with pytest.raises(ValueError, match="saves no frame"):
        simulate_charged_particles(2, steps=150, sample_every=100)


def test_default_data_set_shape():
    """The default simulation: 5 particles in 3D, 49 frames from 5000 steps."""
    t = simulate_charged_particles(3, rng=0)
    assert t.positions.shape == (3, 49, 5, 3) and t.charges.shape == (3, 5)


def test_training_reduces_the_loss_and_reports(context, tmp_path):
    """A tiny EGNN run lowers the training MSE, logs every epoch, checkpoints and plots."""
    torch.manual_seed(0)
    task = tessera.create(
        "task", "egnn.nbody", epochs=6, data_dir=str(tmp_path / "data"), lr=1e-3, **SMALL
    )
    summary = task.run(context)
    train = [m["train_mse"] for _, m in context.metrics]
    assert len(train) == 6 and train[-1] < train[0]
    assert [step for step, _ in context.checkpoints] == list(range(6))
    assert summary["best_epoch"] in range(6) and summary["test_mse"] > 0
    valid = [m["valid_mse"] for _, m in context.metrics]
    assert summary["best_valid_mse"] == min(valid)
    assert summary["test_mse"] == context.metrics[summary["best_epoch"]][1]["test_mse"]
    assert context.plots and context.plots[0].exists()
    assert len(list((tmp_path / "data").glob("charged-*.npz"))) == 3


def test_resume_continues_where_it_stopped(tmp_path, make_context):
    """Two epochs, then a resumed run to four, ends where four epochs in one go end."""

    def run(epochs, context):
        torch.manual_seed(0)
        task = tessera.create(
            "task",
            "egnn.nbody",
            epochs=epochs,
            plot=False,
            data_dir=str(tmp_path / "data"),
            **SMALL,
        )
        return task.run(context)

    straight = make_context("a")
    run(4, straight)
    resumed = make_context("b")
    run(2, resumed)
    run(4, resumed)
    assert [s for s, _ in resumed.metrics] == [0, 1, 2, 3]
    for (_, a), (_, b) in zip(straight.metrics, resumed.metrics):
        assert a["train_mse"] == pytest.approx(b["train_mse"], rel=1e-6)
        assert a["valid_mse"] == pytest.approx(b["valid_mse"], rel=1e-6)


@pytest.mark.parametrize(
    "model",
    [
        {
            "name": "egnn.gnn",
            "params": {
                "in_features": 0,
                "edge_features": 1,
                "use_velocity": True,
                "hidden_features": 16,
            },
        },
        {
            "name": "egnn.radial_field",
            "params": {"edge_features": 2, "velocity": True, "hidden_features": 16},
        },
        {"name": "egnn.linear"},
    ],
)
def test_baselines_run_on_the_same_data(context, tmp_path, model):
    """The baselines train through the registry on the task's data."""
    task = tessera.create(
        "task",
        "egnn.nbody",
        model=model,
        epochs=2,
        plot=False,
        data_dir=str(tmp_path / "data"),
        **SMALL,
    )
    summary = task.run(context)
    assert np.isfinite(summary["test_mse"])


def test_linear_model_learns_the_time(context, tmp_path):
    """Fitting x + t v to positions 200 steps (t = 0.2) ahead drives t towards 0.2."""
    task = tessera.create(
        "task",
        "egnn.nbody",
        model={"name": "egnn.linear"},
        epochs=30,
        lr=0.05,
        plot=False,
        data_dir=str(tmp_path / "data"),
        **SMALL,
    )
    task.run(context)
    assert abs(task.model.time.item() - 0.2) < 0.1


def test_incompatible_model_is_refused(context, tmp_path):
    """A model expecting other inputs gets a message saying what the task provides."""
    task = tessera.create(
        "task",
        "egnn.nbody",
        model={"name": "egnn", "params": {"in_features": 3}},
        epochs=1,
        plot=False,
        data_dir=str(tmp_path / "data"),
        **SMALL,
    )
    with pytest.raises(ValueError, match="1 node feature"):
        task.run(context)


def test_frames_are_validated():
    """Frames beyond the saved ones fail in validation with the fix."""
    from tessera.errors import ConfigError

    with pytest.raises(ConfigError, match="frame_target"):
        tessera.create("task", "egnn.nbody", frame_target=49)
