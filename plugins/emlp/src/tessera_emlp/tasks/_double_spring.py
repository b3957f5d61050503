"""The double spring pendulum, learned as a Hamiltonian neural network.

Two unit masses hang in 3D under unit gravity along −z: the first from the origin by a
spring, the second from the first. With ``z = (x₁, x₂, p₁, p₂) ∈ R¹²``,

``H = ‖p₁‖²/2 + ‖p₂‖²/2 + (‖x₁‖ − 1)²/2 + (‖x₁ − x₂‖ − 1)² + x₁,z + x₂,z``

(all masses, spring constants and rest lengths 1, as in the paper's code). Initial states
are ``x₁ = (0, 0, −1.5) + 0.2 ε``, ``x₂ = (0, 0, −3) + 0.2 ε``, ``p = 0.4 ε``. The symmetry
is a rotation (SO(2)), rotation or reflection (O(2)) or dihedral subgroup D(k) acting on the
horizontal coordinates; here the group is that 2D group times the trivial group on the
vertical axis, and ``z`` is four copies of its 3-dimensional representation.

Models predict a scalar ``H_θ(z)``; dynamics are ``ż = J ∇H_θ``. Training matches short
integrated chunks (``chunk_len`` steps of ``dt``) by MSE; the metric is the geometric mean
over time of the relative rollout error ``‖ẑ − z‖ / (‖ẑ‖ + ‖z‖)`` over ``integration_time``.
Integration is fourth-order Runge–Kutta with four substeps per ``dt``.

References:
    | A Practical Method for Constructing Equivariant Multilayer Perceptrons for
      Arbitrary Matrix Groups (Finzi et al., 2021)
    | https://arxiv.org/abs/2104.09459
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from tessera.groups import SO, O, Trivial
from tessera.kinds import Group, RunContext, Task
from tessera_emlp._discrete_groups import D
from tessera_emlp._model import EMLP, MLP
from tessera_emlp.tasks._training import default_epochs, fit, write_results

__all__ = ["DoubleSpring", "double_spring_hamiltonian", "integrate"]

SUBSTEPS = 4


def double_spring_hamiltonian(z: Tensor) -> Tensor:
    """The true Hamiltonian, ``z: (..., 12)`` → ``(...,)``."""
    x1, x2, p1, p2 = z[..., 0:3], z[..., 3:6], z[..., 6:9], z[..., 9:12]
    kinetic = 0.5 * p1.pow(2).sum(-1) + 0.5 * p2.pow(2).sum(-1)
    potential = 0.5 * (x1.norm(dim=-1) - 1) ** 2 + ((x1 - x2).norm(dim=-1) - 1) ** 2
    return kinetic + potential + x1[..., 2] + x2[..., 2]


def _vector_field(hamiltonian: Callable[[Tensor], Tensor], create_graph: bool):
    def field(z: Tensor) -> Tensor:
        with torch.enable_grad():
            z = z if z.requires_grad else z.detach().requires_grad_(True)
            grad = torch.autograd.grad(hamiltonian(z).sum(), z, create_graph=create_graph)[0]
        dq, dp = grad[..., 6:], grad[..., :6]
        return torch.cat([dq, -dp], dim=-1)

    return field


def integrate(
    hamiltonian: Callable[[Tensor], Tensor],
    z0: Tensor,
    steps: int,
    dt: float,
    create_graph: bool = False,
) -> Tensor:
    """States at times ``0, dt, …, (steps − 1) dt`` by RK4; ``z0: (batch, 12)`` →
    ``(batch, steps, 12)``."""
    field = _vector_field(hamiltonian, create_graph)
    h = dt / SUBSTEPS
    states, z = [z0], z0
    for _ in range(steps - 1):
        for _ in range(SUBSTEPS):
            k1 = field(z)
            k2 = field(z + h / 2 * k1)
            k3 = field(z + h / 2 * k2)
            k4 = field(z + h * k3)
            z = z + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        if not create_graph:
            z = z.detach()
        states.append(z)
    return torch.stack(states, dim=1)


def _initial_states(n: int, generator: torch.Generator) -> Tensor:
    noise = torch.randn(n, 12, generator=generator, dtype=torch.float64)
    x1 = torch.tensor([0.0, 0.0, -1.5], dtype=torch.float64) + 0.2 * noise[:, 0:3]
    x2 = torch.tensor([0.0, 0.0, -3.0], dtype=torch.float64) + 0.2 * noise[:, 3:6]
    return torch.cat([x1, x2, 0.4 * noise[:, 6:]], dim=-1)


def symmetry_group(name: str) -> Group:
    """``so2``, ``o2`` or ``dK`` acting on the horizontal plane, times the trivial group."""
    planar = SO(2) if name == "so2" else O(2) if name == "o2" else D(int(name[1:]))
    return planar * Trivial(1)


class _Scalar(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, z: Tensor) -> Tensor:
        return self.model(z)[..., 0]


class DoubleSpring(Task):
    """``emlp.double_spring``: see the module docstring.

    Example:
        >>> z = integrate(double_spring_hamiltonian, torch.zeros(1, 12, dtype=torch.float64),
        ...               3, 0.1)
        >>> tuple(z.shape)
        (1, 3, 12)
    """

    def __init__(self, symmetries: list[str], **config: Any) -> None:
        self.symmetries = list(symmetries)
        self.config = config

    def _chunks(self, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        c = self.config
        steps = round(c["integration_time"] / c["dt"])
        z0 = _initial_states(n, generator)
        trajectories = integrate(double_spring_hamiltonian, z0, steps, c["dt"])
        count = max(1, steps // c["chunk_len"])
        pick = torch.randint(count, (n,), generator=generator)
        starts = pick * c["chunk_len"]
        index = starts[:, None] + torch.arange(c["chunk_len"])[None]
        index = index.clamp_max(steps - 1)
        chunks = trajectories[torch.arange(n)[:, None], index]
        return chunks[:, 0], chunks

    def run(self, context: RunContext) -> dict[str, Any]:
        """Train each model; return ``{model/N=n/rollout_error: …}``."""
        c = self.config
        if c.get("threads"):
            torch.set_num_threads(c["threads"])
        generator = torch.Generator().manual_seed(context.seed)
        steps_long = round(c["integration_time"] / c["dt"])
        z_test = _initial_states(c["test_size"], generator)
        truth = integrate(double_spring_hamiltonian, z_test, steps_long, c["dt"])
        summary: dict[str, Any] = {}
        step = 0
        for n in c["train_sizes"]:
            z0, chunks = self._chunks(n, generator)
            for label, model in self._models():
                start = time.perf_counter()

                def loss(m: nn.Module, x: Tensor, y: Tensor, g: torch.Generator) -> Tensor:
                    pred = integrate(m, x, c["chunk_len"], c["dt"], create_graph=True)
                    return (pred - y).pow(2).mean()

                steps = fit(
                    model,
                    loss,
                    z0,
                    chunks,
                    epochs=default_epochs(n, c["epochs"]),
                    batch_size=c["batch_size"],
                    lr=c["lr"],
                    max_steps=c["max_steps"],
                    generator=generator,
                )
                pred = integrate(model, z_test, steps_long, c["dt"]).detach()
                error = (pred - truth).norm(dim=-1) / (pred.norm(dim=-1) + truth.norm(dim=-1))
                rollout = float(error.clamp_min(1e-7).log().mean().exp())
                key = f"{label}/N={n}"
                summary[f"{key}/rollout_error"] = rollout
                summary[f"{key}/seconds"] = time.perf_counter() - start
                summary[f"{key}/steps"] = steps
                step += 1
                context.log_metrics(step, {f"{key}/rollout_error": rollout})
        write_results(context.out_dir, "double_spring", summary)
        return summary

    def _models(self):
        c = self.config
        seed = int(torch.randint(2**31, (1,)))
        for name in c["models"]:
            torch.manual_seed(seed)
            if name == "emlp":
                for symmetry in self.symmetries:
                    group = symmetry_group(symmetry)
                    model = EMLP(
                        group,
                        "4*V",
                        "Scalar",
                        channels=c["channels"],
                        num_layers=c["num_layers"],
                        bilinear=c["bilinear"],
                        seed=seed,
                    )
                    yield f"emlp[{symmetry}]", _Scalar(model).double()
            elif name == "mlp":
                yield "mlp", _Scalar(MLP(12, 1, c["channels"], c["num_layers"])).double()
            else:
                raise NotImplementedError(
                    f"emlp.double_spring: model {name!r} is not supported here; use emlp or "
                    "mlp (augmentation applies to the regression tasks)"
                )
