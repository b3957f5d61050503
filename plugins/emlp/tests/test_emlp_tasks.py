"""Tasks: data as the paper defines it (symmetries of the targets), and short runs through
a small in-test context."""

from pathlib import Path
from typing import Any

import pytest
import torch
from tessera_emlp import O13, T, V
from tessera_emlp.tasks._double_spring import (
    double_spring_hamiltonian,
    integrate,
    symmetry_group,
)
from tessera_emlp.tasks._regression import Inertia, O5Synthetic, ParticleScattering

import tessera
from tessera.groups import O


class Context:
    """The parts of the runner's context a task uses."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir, self.seed, self.rank, self.world_size = out_dir, 0, 0, 1
        self.metrics: list[tuple[int, dict[str, float]]] = []

    def log_metrics(self, step: int, metrics: dict[str, float]) -> None:
        self.metrics.append((step, metrics))

    def save_checkpoint(self, step: int, state: dict[str, Any]) -> None:
        pass

    def load_checkpoint(self) -> None:
        return None

    def save_plot(self, name: str, figure: Any) -> Path:
        return self.out_dir / f"{name}.png"


@pytest.mark.parametrize(
    "task,group,rep_in,rep_out",
    [
        (O5Synthetic(), O(5), 2 * V(O(5)), None),
        (Inertia(), O(3), None, T(2, 0, O(3))),
        (ParticleScattering(), O13(), 4 * V(O13()), None),
    ],
    ids=["o5", "inertia", "scattering"],
)
def test_targets_have_the_stated_symmetry(task, group, rep_in, rep_out):
    gen = torch.Generator().manual_seed(0)
    x, y = task.generate(16, gen)
    rep_in = rep_in or task._reps(group)[0]
    g = group.sample(gen)
    x_g = x @ rep_in.rho(g).T
    expected = y if rep_out is None else y @ rep_out.rho(g).T
    assert torch.allclose(task.target(x_g), expected, rtol=1e-8, atol=1e-8)


def test_double_spring_conserves_energy_and_symmetry():
    gen = torch.Generator().manual_seed(0)
    z0 = torch.randn(3, 12, generator=gen, dtype=torch.float64) * 0.2
    z0[:, 2] -= 1.5
    z0[:, 5] -= 3.0
    path = integrate(double_spring_hamiltonian, z0, 20, 0.1)
    energy = double_spring_hamiltonian(path)
    assert float((energy - energy[:, :1]).abs().max()) < 1e-5
    group = symmetry_group("o2")
    g = group.sample(gen)
    rho = (4 * V(group)).rho(g)
    assert torch.allclose(double_spring_hamiltonian(z0 @ rho.T), double_spring_hamiltonian(z0))


@pytest.mark.parametrize(
    "name", ["emlp.o5_synthetic", "emlp.particle_scattering", "emlp.inertia", "emlp.double_spring"]
)
def test_tasks_run_through_a_context(name, tmp_path):
    params = dict(train_sizes=[30], test_size=20, epochs=2, channels=16, num_layers=1)
    if name == "emlp.double_spring":
        params.update(train_sizes=[8], test_size=2, integration_time=1.0, symmetries=["o2"])
    task = tessera.create("task", name, **params)
    context = Context(tmp_path)
    summary = task.run(context)
    errors = [v for k, v in summary.items() if k.endswith(("test_mse", "rollout_error"))]
    assert errors and all(v == v and v >= 0 for v in errors)
    assert context.metrics and any(tmp_path.glob("*.json"))
