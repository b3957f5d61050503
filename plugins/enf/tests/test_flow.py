"""The ``enf`` flow: symmetries, log-determinants, masks, trace estimators, regularisers."""

from __future__ import annotations

import math

import pytest
import torch
from tessera_enf import EquivariantFlow, center, zero_com_basis, zero_com_log_prob

import tessera
from tessera.errors import ConfigError

EGNN = {
    "name": "egnn",
    "params": {
        "in_features": 8,
        "hidden_features": 8,
        "edge_features": 1,
        "attention": True,
        "tanh": True,
        "coords_range": 2.0,
        "normalize": True,
        "coord_aggregation": "sum",
    },
}


def make_flow(dynamics: dict = EGNN, nodes: int = 4, dim: int = 3, **params) -> EquivariantFlow:
    """A float64 flow in eval mode whose weights are large enough to move points."""
    params = {"num_layers": 2, "eval_rtol": 1e-8, "eval_atol": 1e-8, **params}
    flow = tessera.create("flow", "enf", num_nodes=nodes, dim=dim, dynamics=dynamics, **params)
    flow = flow.double().eval()
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in flow.parameters():
            p.copy_(0.2 * torch.randn(p.shape, generator=gen, dtype=p.dtype))
    return flow


@pytest.fixture(scope="module")
def flow() -> EquivariantFlow:
    return make_flow()


def _data(flow: EquivariantFlow, batch: int = 3, seed: int = 1) -> torch.Tensor:
    return flow.example_inputs(batch, torch.Generator().manual_seed(seed))[0]


def test_log_prob_is_invariant_to_euclidean_transformations_and_permutations(flow):
    """log p(Q x_π + t) = log p(x) for rotations, reflections, translations, permutations."""
    from tessera.groups import haar_orthogonal

    x = _data(flow)
    gen = torch.Generator().manual_seed(2)
    rotation = haar_orthogonal(1, 3, gen, special=True)[0]
    reflection = torch.diag(torch.tensor([-1.0, 1.0, 1.0], dtype=torch.float64)) @ rotation
    translation = torch.randn(3, generator=gen, dtype=torch.float64)
    perm = torch.tensor([2, 0, 3, 1])
    with torch.no_grad():
        reference = flow.log_prob(x)
        moved = {
            "rotation": x @ rotation.T,
            "reflection": x @ reflection.T,
            "translation": x + translation,
            "permutation": x[:, perm],
            "all": x[:, perm] @ reflection.T + translation,
        }
        for name, y in moved.items():
            assert torch.allclose(flow.log_prob(y), reference, atol=1e-6), name
    assert reference.std() > 1e-3  # the samples differ, so the check is not vacuous


def test_log_det_matches_autograd_on_the_subspace():
    """∫ tr(∂v/∂x) dt equals log|det| of the autograd Jacobian restricted to zero CoM."""
    flow = make_flow(nodes=3, dim=2)
    x = _data(flow, 1)
    basis = zero_com_basis(3, 2)

    def f(flat: torch.Tensor) -> torch.Tensor:
        return flow(flat.reshape(1, 3, 2))[0].reshape(-1)

    jac = torch.autograd.functional.jacobian(f, x.reshape(-1))
    expected = torch.linalg.slogdet(basis.T @ jac @ basis).logabsdet
    with torch.no_grad():
        z, log_det = flow(x)
    assert abs(float(expected)) > 0.05
    assert float(log_det[0]) == pytest.approx(float(expected), abs=1e-6)
    assert center(z).sub(z).abs().max() < 1e-10  # z stays on the subspace


def test_inverse_undoes_forward(flow):
    """inverse(forward(x)) = x and the log-determinants cancel."""
    x = _data(flow)
    with torch.no_grad():
        z, log_det = flow(x)
        back, log_det_back = flow.inverse(z)
    assert torch.allclose(back, x, atol=1e-6)
    assert (log_det + log_det_back).abs().max() < 1e-6


def test_sample_solves_for_positions_only(flow):
    """sample() skips the divergence and lands where sample_and_log_prob does."""
    with torch.no_grad():
        x = flow.sample(3, generator=torch.Generator().manual_seed(0))
        y, _ = flow.sample_and_log_prob(3, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(x, y, atol=1e-6)
    assert x.sum(1).abs().max() < 1e-8  # zero centre of mass


def test_base_density_is_the_gaussian_of_the_subspace():
    """The base log-density equals N(Bᵀz; 0, I) in (N−1)·D coordinates, per sample size."""
    gen = torch.Generator().manual_seed(0)
    z = center(torch.randn(5, 4, 3, generator=gen, dtype=torch.float64))
    coords = z.reshape(5, -1) @ zero_com_basis(4, 3)
    expected = torch.distributions.Normal(0.0, 1.0).log_prob(coords).sum(-1)
    assert torch.allclose(zero_com_log_prob(z), expected)

    mask = torch.tensor([[True, True, True, False]] * 5)
    small = center(z[:, :3])
    padded = torch.cat([small, torch.zeros(5, 1, 3, dtype=torch.float64)], dim=1)
    assert torch.allclose(zero_com_log_prob(padded, mask), zero_com_log_prob(small))


def test_padded_samples_match_unpadded_ones(flow):
    """A sample padded with a masked node has the log-density of the sample alone."""
    small = make_flow(nodes=3)
    small.load_state_dict(flow.state_dict())
    x = _data(small, 2)
    padded = torch.cat([x, 5.0 * torch.ones(2, 1, 3, dtype=torch.float64)], dim=1)
    mask = torch.tensor([[True, True, True, False]] * 2)
    with torch.no_grad():
        assert torch.allclose(flow.log_prob(padded, mask=mask), small.log_prob(x), atol=1e-6)
        samples = flow.sample(2, mask=mask, generator=torch.Generator().manual_seed(0))
    assert samples[:, 3].abs().max() == 0
    assert samples[:, :3].sum(1).abs().max() < 1e-8


def test_hutchinson_estimates_are_unbiased(flow):
    """The mean of Hutchinson's log-determinants approaches the exact one (both noises)."""
    x = _data(flow, 1)
    copies = x.expand(200, -1, -1)  # one probe per row
    with torch.no_grad():
        exact = float(flow(x)[1][0])
        for noise in ("rademacher", "gaussian"):
            estimator = make_flow(eval_trace="hutchinson", noise=noise)
            estimator.load_state_dict(flow.state_dict())
            draws = estimator(copies, generator=torch.Generator().manual_seed(0))[1]
            stderr = float(draws.std()) / math.sqrt(len(draws))
            assert draws.std() > 0
            assert abs(float(draws.mean()) - exact) < 4 * stderr + 1e-4, noise


def test_kinetic_energy_of_one_euler_step():
    """With one Euler step of size 1 the regulariser is λ‖v(x, 0)‖²."""
    flow = make_flow(method="euler", step_size=1.0, kinetic_energy=0.5, trace="exact")
    flow.train()
    x = _data(flow, 2)
    z, _, reg = flow.forward_and_regularization(x)
    with torch.no_grad():
        v = flow.field(torch.tensor(0.0, dtype=torch.float64), x, torch.ones(2, 4, dtype=bool))
    assert torch.allclose(z, x + v)
    assert torch.allclose(reg, 0.5 * v.square().sum((1, 2)))
    flow.eval()
    assert flow.forward_and_regularization(x)[2].abs().max() == 0


def test_jacobian_frobenius_of_one_euler_step_is_unbiased():
    """With one Euler step of size 1 the regulariser is λ‖εᵀJ‖², whose mean over probes is
    λ tr(J Jᵀ P) (J = ∂v/∂x at t = 0, P the zero-CoM projection); zero in eval mode."""
    flow = make_flow(method="euler", step_size=1.0, jacobian_frobenius=0.5, trace="exact")
    flow.train()
    x = _data(flow, 1)
    mask = torch.ones(1, 4, dtype=bool)

    def v(flat: torch.Tensor) -> torch.Tensor:
        t = torch.tensor(0.0, dtype=torch.float64)
        return flow.field(t, flat.reshape(1, 4, 3), mask).reshape(-1)

    jac = torch.autograd.functional.jacobian(v, x.reshape(-1))
    basis = zero_com_basis(4, 3)
    expected = 0.5 * float(torch.trace(jac @ jac.T @ basis @ basis.T))
    with torch.no_grad():
        copies = x.expand(400, -1, -1)  # one probe per row
        reg = flow.forward_and_regularization(copies, generator=torch.Generator().manual_seed(0))
    draws = reg[2]
    assert expected > 1e-3 and draws.std() > 0
    assert abs(float(draws.mean()) - expected) < 4 * float(draws.std()) / math.sqrt(400)
    flow.eval()
    assert flow.forward_and_regularization(x)[2].abs().max() == 0


def test_adjoint_gradients_match_direct_backpropagation():
    """odeint_adjoint and backpropagation through the solver give the same gradients."""
    grads = []
    for adjoint in (False, True):
        flow = make_flow(adjoint=adjoint, trace="exact", rtol=1e-9, atol=1e-9)
        flow.train()
        x = _data(flow, 2)
        z, log_det, _ = flow.forward_and_regularization(x)
        (-(flow.base_log_prob(z) + log_det).mean()).backward()
        grads.append(
            torch.cat(
                [
                    (torch.zeros_like(p) if p.grad is None else p.grad).flatten()
                    for p in flow.parameters()
                ]
            )
        )
    assert torch.allclose(grads[0], grads[1], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", ["enf.gnn", "enf.simple"])
def test_baseline_dynamics_on_the_same_code_path(name):
    """The baselines are dynamics of the same flow; only E(n) dynamics give invariance."""
    dynamics = {"name": name, "params": {"dim": 3, "num_nodes": 3}}
    if name == "enf.gnn":
        dynamics["params"].update(in_features=8, hidden_features=8)
    else:
        dynamics["params"].update(hidden_features=[16], num_rbf=10)
    flow = make_flow(dynamics, nodes=3, num_layers=1, eval_rtol=1e-7, eval_atol=1e-7)
    x = _data(flow)
    rotation = torch.linalg.qr(
        torch.randn(3, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    )[0]
    with torch.no_grad():
        z, _ = flow(x)
        back, _ = flow.inverse(z)
        moved = flow.log_prob(x @ rotation.T)
        assert torch.allclose(back, x, atol=1e-6)
        assert torch.allclose(flow.log_prob(x + 1.0), flow.log_prob(x), atol=1e-6)
        invariant = torch.allclose(moved, flow.log_prob(x), atol=1e-6)
    assert invariant == (name == "enf.simple")


def test_bad_inputs_fail_with_clear_errors(flow):
    """Wrong masks, contexts and dynamics are refused with messages that say why."""
    x = _data(flow)
    with pytest.raises(ValueError, match="mask must have shape"):
        flow.log_prob(x, mask=torch.ones(3, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match="at least 2 nodes"):
        flow.log_prob(x, mask=torch.tensor([[True, False, False, False]] * 3))
    with pytest.raises(ValueError, match="context_features=0"):
        flow.log_prob(x, torch.zeros(3, 4, 1, dtype=torch.float64))
    with pytest.raises(ConfigError, match="needs step_size"):
        tessera.create("flow", "enf", method="rk4")
    with pytest.raises(ConfigError, match="chooses its steps"):
        tessera.create("flow", "enf", step_size=0.1)
    with pytest.raises(ValueError, match="in_features equal to its out_features"):
        tessera.create(
            "flow",
            "enf",
            dynamics={
                "name": "egnn",
                "params": {"in_features": 4, "out_features": 6, "residual": False},
            },
        )
