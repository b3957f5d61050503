"""Regression tasks with data generated as the paper defines it.

- ``emlp.o5_synthetic``: ``f(x₁, x₂) = sin‖x₁‖ − ‖x₂‖³ / 2 + x₁·x₂ / (‖x₁‖ ‖x₂‖)``,
  ``xᵢ ~ N(0, I₅)``; O(5)-invariant.
- ``emlp.inertia``: the inertia matrix ``Σᵢ mᵢ (‖rᵢ‖² I − rᵢ rᵢᵀ)`` of five point masses,
  ``mᵢ = softplus(N(0, 1))``, ``rᵢ ~ N(0, I₃)``; O(3)-equivariant.
- ``emlp.particle_scattering``: the electron-muon scattering matrix element
  ``4 L_e^{μν} L^μ_{μν}`` of four four-momenta ``p ~ N(0, I₄) / 4`` with
  ``L_e = p₁ p₃ᵀ − (p₁·p₃ − p₁·p₁) η`` and ``L^μ = (η p₂)(η p₄)ᵀ − (p₂·p₄ − p₂·p₂) η``,
  ``η = diag(1, −1, −1, −1)``; O(1,3)-invariant.

Each compares EMLP (one per requested group) with an MLP and an MLP trained with group
augmentation, reporting the test MSE in the data's units.

References:
    | A Practical Method for Constructing Equivariant Multilayer Perceptrons for
      Arbitrary Matrix Groups (Finzi et al., 2021)
    | https://arxiv.org/abs/2104.09459
"""

from __future__ import annotations

import time
from typing import Any

import torch
from torch import Tensor, nn

from tessera.groups import O
from tessera.kinds import Group, RunContext, Task
from tessera_emlp._layers import parse_rep
from tessera_emlp._lorentz import O13, lorentz_metric
from tessera_emlp._model import EMLP, MLP
from tessera_emlp._reps import Rep, SumRep
from tessera_emlp.tasks._training import Augmentation, default_epochs, fit, write_results

__all__ = ["Inertia", "O5Synthetic", "ParticleScattering", "RegressionTask"]


class _Standardised(nn.Module):
    """``model`` on inputs scaled per summand and outputs shifted and scaled; both are
    scalar multiples (and, for invariant outputs, a shift), so symmetry is kept."""

    def __init__(self, model: nn.Module, in_scale: Tensor, out_mean: Tensor, out_scale: Tensor):
        super().__init__()
        self.model = model
        self.register_buffer("in_scale", in_scale)
        self.register_buffer("out_mean", out_mean)
        self.register_buffer("out_scale", out_scale)

    def forward(self, x: Tensor) -> Tensor:
        dtype = next(self.model.parameters()).dtype
        y = self.model((x / self.in_scale).to(dtype)).to(x.dtype)
        return y * self.out_scale + self.out_mean


def _input_scale(x: Tensor, rep: Rep) -> Tensor:
    scale = torch.ones(x.shape[1], dtype=x.dtype)
    start = 0
    for r in rep.reps if isinstance(rep, SumRep) else (rep,):
        block = x[:, start : start + r.size]
        scale[start : start + r.size] = block.pow(2).mean().sqrt().clamp_min(1e-8)
        start += r.size
    return scale


class RegressionTask(Task):
    """Shared part of the regression tasks; subclasses define the data and the groups."""

    name = "regression"
    rep_in_text = "V"
    rep_out_text = "Scalar"

    def __init__(self, groups: list[Group] | None = None, **config: Any) -> None:
        self.groups = list(groups or []) or self.default_groups()
        self.config = config

    def default_groups(self) -> list[Group]:
        raise NotImplementedError

    def sample_inputs(self, n: int, generator: torch.Generator) -> Tensor:
        """``n`` random inputs, float64."""
        raise NotImplementedError

    def target(self, x: Tensor) -> Tensor:
        """The target function of inputs ``x: (n, rep_in.size)``."""
        raise NotImplementedError

    def generate(self, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """``n`` samples ``(x, y)``, float64."""
        x = self.sample_inputs(n, generator)
        return x, self.target(x)

    def _reps(self, group: Group) -> tuple[Rep, Rep]:
        return parse_rep(self.rep_in_text, group), parse_rep(self.rep_out_text, group)

    def run(self, context: RunContext) -> dict[str, Any]:
        """Train every model at every training size; return ``{model/N=n/test_mse: …}``."""
        c = self.config
        if c.get("threads"):
            torch.set_num_threads(c["threads"])
        generator = torch.Generator().manual_seed(context.seed)
        x_test, y_test = self.generate(c["test_size"], generator)
        summary: dict[str, Any] = {}
        step = 0
        for n in c["train_sizes"]:
            x, y = self.generate(n, generator)
            for label, model, augment in self._models(x, y):
                start = time.perf_counter()
                epochs = default_epochs(n, c["epochs"])
                steps = fit(
                    model,
                    _loss(augment),
                    x,
                    y,
                    epochs=epochs,
                    batch_size=c["batch_size"],
                    lr=c["lr"],
                    max_steps=c["max_steps"],
                    generator=generator,
                )
                with torch.no_grad():
                    mse = float((model(x_test) - y_test).pow(2).mean())
                key = f"{label}/N={n}"
                summary[f"{key}/test_mse"] = mse
                summary[f"{key}/seconds"] = time.perf_counter() - start
                summary[f"{key}/steps"] = steps
                step += 1
                context.log_metrics(step, {f"{key}/test_mse": mse})
        write_results(context.out_dir, self.name, summary)
        return summary

    def _models(self, x: Tensor, y: Tensor):
        c = self.config
        reference_in, reference_out = self._reps(self.groups[0])
        in_scale = _input_scale(x, reference_in)
        scalar_out = reference_out.group is None
        out_mean = y.mean(0) if scalar_out else torch.zeros(y.shape[1], dtype=y.dtype)
        out_scale = y.std(0) if scalar_out else y.pow(2).mean().sqrt().expand(y.shape[1])
        out_scale = out_scale.clamp_min(1e-8)
        seed = int(torch.randint(2**31, (1,)))

        def wrap(model: nn.Module) -> nn.Module:
            return _Standardised(model.float(), in_scale, out_mean, out_scale)

        for name in c["models"]:
            torch.manual_seed(seed)
            if name == "emlp":
                for group in self.groups:
                    model = EMLP(
                        group,
                        *self._reps(group),
                        channels=c["channels"],
                        num_layers=c["num_layers"],
                        bilinear=c["bilinear"],
                        seed=seed,
                    )
                    yield f"emlp[{group.name}]", wrap(model), None
            else:
                mlp = MLP(x.shape[1], y.shape[1], hidden=c["channels"], num_layers=c["num_layers"])
                augment = None
                if name == "mlp_aug":
                    group = self.groups[-1]
                    rep_in, rep_out = self._reps(group)
                    augment = Augmentation(group, rep_in, rep_out)
                yield name, wrap(mlp), augment


def _loss(augment: Augmentation | None):
    def loss(model: nn.Module, x: Tensor, y: Tensor, generator: torch.Generator) -> Tensor:
        pred = model(x) if augment is None else augment(model, x, generator)
        return (pred - y).pow(2).mean()

    return loss


class O5Synthetic(RegressionTask):
    """``emlp.o5_synthetic``: see the module docstring.

    Example:
        >>> x, y = O5Synthetic().generate(4, torch.Generator().manual_seed(0))
        >>> tuple(x.shape), tuple(y.shape)
        ((4, 10), (4, 1))
    """

    name = "o5_synthetic"
    rep_in_text = "2*V"

    def default_groups(self) -> list[Group]:
        return [O(5)]

    def sample_inputs(self, n: int, generator: torch.Generator) -> Tensor:
        return torch.randn(n, 10, generator=generator, dtype=torch.float64)

    def target(self, x: Tensor) -> Tensor:
        r1, r2 = x[:, :5], x[:, 5:]
        n1, n2 = r1.norm(dim=-1), r2.norm(dim=-1)
        y = torch.sin(n1) - 0.5 * n2**3 + (r1 * r2).sum(-1) / (n1 * n2)
        return y[:, None]


class Inertia(RegressionTask):
    """``emlp.inertia``: see the module docstring.

    Example:
        >>> x, y = Inertia().generate(2, torch.Generator().manual_seed(0))
        >>> tuple(y.shape)
        (2, 9)
    """

    name = "inertia"
    rep_in_text = "5*Scalar + 5*V"
    rep_out_text = "T(2)"

    def default_groups(self) -> list[Group]:
        return [O(3)]

    def sample_inputs(self, n: int, generator: torch.Generator) -> Tensor:
        x = torch.randn(n, 20, generator=generator, dtype=torch.float64)
        x[:, :5] = nn.functional.softplus(x[:, :5])
        return x

    def target(self, x: Tensor) -> Tensor:
        n = len(x)
        m, r = x[:, :5], x[:, 5:].reshape(n, 5, 3)
        eye = torch.eye(3, dtype=x.dtype)
        r2 = r.pow(2).sum(-1)[..., None, None]
        inertia = (m[..., None, None] * (r2 * eye - r[..., :, None] * r[..., None, :])).sum(1)
        return inertia.reshape(n, 9)


class ParticleScattering(RegressionTask):
    """``emlp.particle_scattering``: see the module docstring.

    Example:
        >>> x, y = ParticleScattering().generate(3, torch.Generator().manual_seed(0))
        >>> tuple(x.shape), tuple(y.shape)
        ((3, 16), (3, 1))
    """

    name = "particle_scattering"
    rep_in_text = "4*V"

    def default_groups(self) -> list[Group]:
        return [O13()]

    def sample_inputs(self, n: int, generator: torch.Generator) -> Tensor:
        return torch.randn(n, 16, generator=generator, dtype=torch.float64) / 4

    def target(self, x: Tensor) -> Tensor:
        n = len(x)
        p1, p2, p3, p4 = x.reshape(n, 4, 4).unbind(1)
        eta = lorentz_metric(3)

        def dot(a: Tensor, b: Tensor) -> Tensor:
            return ((a @ eta) * b).sum(-1)

        le = p1[:, :, None] * p3[:, None, :] - (dot(p1, p3) - dot(p1, p1))[:, None, None] * eta
        lmu = (p2 @ eta)[:, :, None] * (p4 @ eta)[:, None, :] - (dot(p2, p4) - dot(p2, p2))[
            :, None, None
        ] * eta
        return 4 * (le * lmu).sum((-1, -2))[:, None]
