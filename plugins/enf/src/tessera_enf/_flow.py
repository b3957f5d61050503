"""The ``enf`` flow: a continuous-time normalizing flow with an equivariant velocity field."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from tessera.kinds import Flow
from tessera_enf._dynamics import VelocityField
from tessera_enf._subspace import (
    center,
    check_mask,
    zero_com_basis,
    zero_com_log_prob,
    zero_com_sample,
)
from tessera_enf.configs import FIXED_GRID_METHODS

__all__ = ["EquivariantFlow", "divergence_exact", "divergence_hutchinson"]


def _vjp(v: Tensor, x: Tensor, probe: Tensor, create_graph: bool, batched: bool) -> Tensor:
    (grad,) = torch.autograd.grad(
        v,
        x,
        probe,
        retain_graph=True,
        create_graph=create_graph,
        allow_unused=True,
        is_grads_batched=batched,
    )
    return torch.zeros_like(probe) if grad is None else grad


def divergence_exact(v: Tensor, x: Tensor, mask: Tensor, create_graph: bool) -> Tensor:
    """``tr(P ∂v/∂x P)`` on the zero-CoM subspace of each sample, exactly, (B,).

    With ``P`` the (masked) centring projection, ``tr(PJP) = Σ_k (P e_k)ᵀ J (P e_k)`` over the
    ``N·D`` unit vectors ``e_k``; the ``N·D`` vector-Jacobian products run as one batched
    backward pass.

    Arguments:
        v: velocities, (B, N, D), computed from ``x`` with autograd.
        x: positions, (B, N, D).
        mask: node mask, (B, N), bool.
        create_graph: keep the graph of the result (for training).
    """
    b, n, d = x.shape
    k = n * d
    eye = torch.eye(k, dtype=x.dtype, device=x.device).reshape(k, 1, n, d).expand(k, b, n, d)
    probes = center(eye.reshape(k * b, n, d), mask.repeat(k, 1)).reshape(k, b, n, d)
    grads = _vjp(v, x, probes, create_graph, batched=True)
    return (grads * probes).sum(dim=(0, 2, 3))


def divergence_hutchinson(
    v: Tensor, x: Tensor, probe: Tensor, create_graph: bool
) -> tuple[Tensor, Tensor]:
    """Hutchinson's estimates ``εᵀ J ε`` of the divergence and ``‖εᵀ J‖²`` of the squared
    Frobenius norm, (B,) each, for a probe ``ε`` (B, N, D) already in the subspace.

    References:
        | FFJORD (Grathwohl et al., 2019), https://arxiv.org/abs/1810.01367
        | How to train your neural ODE (Finlay et al., 2020), https://arxiv.org/abs/2002.02798
    """
    grad = _vjp(v, x, probe, create_graph, batched=False)
    return (grad * probe).flatten(1).sum(-1), grad.square().flatten(1).sum(-1)


class _ODEFunc(nn.Module):
    """The augmented dynamics ``d/dt (x, log det, ∫‖v‖², ∫‖εᵀJ‖²)`` of one solve."""

    def __init__(
        self,
        field: VelocityField,
        mask: Tensor,
        context: Tensor | None,
        trace: str | None,
        probe: Tensor | None,
        kinetic: bool,
        frobenius: bool,
    ) -> None:
        super().__init__()
        self.field = field
        self.mask, self.context, self.trace, self.probe = mask, context, trace, probe
        self.kinetic, self.frobenius = kinetic, frobenius
        self.nfe = 0

    def forward(self, t: Tensor, state: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
        self.nfe += 1
        x = state[0]
        graph = torch.is_grad_enabled()
        if self.trace is None:  # positions only: sampling needs no log-determinant
            v = self.field(t, x, self.mask, self.context)
            return v, v.new_zeros(len(v))
        with torch.enable_grad():
            if not x.requires_grad:
                x = x.detach().requires_grad_(True)
            v = self.field(t, x, self.mask, self.context)
            frob = None
            if self.trace == "exact":
                div = divergence_exact(v, x, self.mask, graph)
                if self.frobenius:
                    _, frob = divergence_hutchinson(v, x, self.probe, graph)
            else:
                div, frob = divergence_hutchinson(v, x, self.probe, graph)
        out = [v, div]
        if self.kinetic:
            out.append(v.square().flatten(1).sum(-1))
        if self.frobenius:
            out.append(frob)
        if not graph:
            out = [o.detach() for o in out]
        return tuple(out)


class EquivariantFlow(Flow):
    r"""E(n) equivariant normalizing flow: ``dx/dt = v(x, t)`` integrated over ``[0, 1]``.

    ``forward`` maps centred data ``x`` to ``z = x(1)`` with
    ``log|det ∂z/∂x| = ∫₀¹ tr(∂v/∂x) dt`` on the zero centre-of-mass subspace, and
    ``log p(x) = log N_⊥(z) + log|det ∂z/∂x|`` with ``N_⊥`` the standard Gaussian of that
    ``(N − 1)·D``-dimensional subspace. ``v`` is a stack of registered layers with time as a
    node feature (:class:`tessera_enf.VelocityField`); with an E(n)-equivariant layer the
    density is invariant to rotations, reflections, translations and permutations.

    The divergence is exact (``N·D`` vector-Jacobian products) or Hutchinson's estimate
    (one product, Rademacher or Gaussian probes), chosen separately for training and eval
    mode, as are the solver tolerances. Samples of different sizes are padded to ``N``
    nodes and given a node ``mask`` (B, N); the normaliser then uses each sample's own
    node count.

    Arguments:
        dynamics: a built layer (see :class:`tessera_enf.VelocityField` for what it must do).
        num_layers, num_nodes, dim, context_features, time_feature, method, rtol, atol,
        eval_rtol, eval_atol, step_size, adjoint, trace, eval_trace, noise, kinetic_energy,
        jacobian_frobenius: see :class:`tessera_enf.configs.EquivariantFlowConfig`.

    References:
        | E(n) Equivariant Normalizing Flows (Satorras et al., 2021)
        | https://arxiv.org/abs/2105.09016

    Example:
        >>> import tessera
        >>> flow = tessera.create("flow", "enf", num_nodes=3, dim=2,
        ...                       dynamics={"name": "egnn", "params": {"in_features": 8,
        ...                                 "hidden_features": 8, "tanh": True}})
        >>> x = flow.sample(5)
        >>> tuple(x.shape), tuple(flow.log_prob(x).shape)
        ((5, 3, 2), (5,))
    """

    def __init__(
        self,
        dynamics: nn.Module,
        num_layers: int = 3,
        num_nodes: int = 4,
        dim: int = 2,
        context_features: int = 0,
        time_feature: bool = True,
        method: str = "dopri5",
        rtol: float = 1e-4,
        atol: float = 1e-4,
        eval_rtol: float = 1e-6,
        eval_atol: float = 1e-6,
        step_size: float | None = None,
        adjoint: bool = False,
        trace: str = "hutchinson",
        eval_trace: str = "exact",
        noise: str = "rademacher",
        kinetic_energy: float = 0.0,
        jacobian_frobenius: float = 0.0,
    ) -> None:
        super().__init__()
        for name, value in (("trace", trace), ("eval_trace", eval_trace)):
            if value not in ("exact", "hutchinson"):
                raise ValueError(
                    f"flow 'enf': {name} must be 'exact' or 'hutchinson', got {value!r}"
                )
        if noise not in ("rademacher", "gaussian"):
            raise ValueError(
                f"flow 'enf': noise must be 'rademacher' or 'gaussian', got {noise!r}"
            )
        if method in FIXED_GRID_METHODS and step_size is None:
            raise ValueError(
                f"flow 'enf': method '{method}' integrates on a fixed grid and needs "
                "step_size; set step_size (e.g. 0.05) or use an adaptive method such as dopri5"
            )
        self.event_shape = (num_nodes, dim)
        self.field = VelocityField(dynamics, num_layers, context_features, time_feature)
        self.method, self.step_size, self.adjoint = method, step_size, adjoint
        self.tolerances = {True: (rtol, atol), False: (eval_rtol, eval_atol)}
        self.trace, self.eval_trace, self.noise = trace, eval_trace, noise
        self.kinetic_energy, self.jacobian_frobenius = kinetic_energy, jacobian_frobenius
        #: function evaluations of the last solve (its forward pass)
        self.last_nfe = 0

    # Integration

    def _probe(self, x: Tensor, mask: Tensor, generator: torch.Generator | None) -> Tensor:
        if self.noise == "gaussian":
            eps = torch.randn(x.shape, generator=generator, dtype=x.dtype)
        else:
            eps = torch.randint(0, 2, x.shape, generator=generator).to(x.dtype) * 2 - 1
        return center(eps.to(x.device), mask)

    def integrate(
        self,
        x: Tensor,
        mask: Tensor,
        context: Tensor | None,
        reverse: bool = False,
        generator: torch.Generator | None = None,
        log_det: bool = True,
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Solve from ``t = 0`` to ``1`` (or back, with ``reverse``).

        Arguments:
            x: centred positions, (B, N, D).
            mask: node mask, (B, N), bool.
            context: per-node context, (B, N, context_features), or ``None``.
            reverse: integrate from 1 to 0 (sampling direction).
            generator: random source of the Hutchinson probes.
            log_det: integrate the divergence; without it only ``x`` is solved for (the
                returned log-determinant and regulariser are zeros), which is what sampling
                needs.

        Returns:
            ``x(t_end)`` (B, N, D), ``∫ tr(∂v/∂x) dt`` (B,) and the weighted regulariser
            ``λ_K ∫‖v‖² dt + λ_J ∫‖εᵀJ‖² dt`` (B,), zero outside training mode.
        """
        from torchdiffeq import odeint, odeint_adjoint

        training = self.training
        trace = (self.trace if training else self.eval_trace) if log_det else None
        kinetic = log_det and training and self.kinetic_energy > 0
        frobenius = log_det and training and self.jacobian_frobenius > 0
        probe = None
        if trace == "hutchinson" or frobenius:
            probe = self._probe(x, mask, generator)
        func = _ODEFunc(self.field, mask, context, trace, probe, kinetic, frobenius)

        zeros = x.new_zeros(len(x))
        state = (x, zeros) + (zeros,) * (int(kinetic) + int(frobenius))
        times = torch.tensor([1.0, 0.0] if reverse else [0.0, 1.0], dtype=x.dtype, device=x.device)
        rtol, atol = self.tolerances[training]
        kwargs: dict[str, Any] = {"method": self.method, "rtol": rtol, "atol": atol}
        if self.step_size is not None:
            kwargs["options"] = {"step_size": self.step_size}
        if self.adjoint:
            params = tuple(p for p in self.field.parameters() if p.requires_grad)
            solution = odeint_adjoint(func, state, times, adjoint_params=params, **kwargs)
        else:
            solution = odeint(func, state, times, **kwargs)
        self.last_nfe = func.nfe

        end = [s[-1] for s in solution]
        reg = zeros
        if kinetic:
            reg = reg + self.kinetic_energy * end[2]
        if frobenius:
            reg = reg + self.jacobian_frobenius * end[-1]
        return end[0], end[1], reg

    # Flow interface

    def forward_and_regularization(
        self,
        x: Tensor,
        context: Tensor | None = None,
        *,
        mask: Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> tuple[Tensor, Tensor, Tensor]:
        """:meth:`forward` plus the weighted regulariser (B,) of the training loss."""
        mask = check_mask(x, mask)
        return self.integrate(center(x, mask), mask, context, generator=generator)

    def forward(
        self,
        x: Tensor,
        context: Tensor | None = None,
        *,
        mask: Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Map data to base space: ``x`` (B, N, D) is centred first.

        Returns:
            ``z`` (B, N, D) and ``log|det ∂z/∂x|`` on the zero-CoM subspace, (B,).
        """
        z, log_det, _ = self.forward_and_regularization(x, context, mask=mask, generator=generator)
        return z, log_det

    def inverse(
        self,
        z: Tensor,
        context: Tensor | None = None,
        *,
        mask: Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Map base samples ``z`` (B, N, D) to data; returns ``x`` and ``log|det ∂x/∂z|``."""
        mask = check_mask(z, mask)
        x, log_det, _ = self.integrate(center(z, mask), mask, context, True, generator)
        return x, log_det

    def base_log_prob(self, z: Tensor, mask: Tensor | None = None) -> Tensor:
        """The standard Gaussian on the zero-CoM subspace, normalised in ``(N − 1)·D``
        dimensions per sample, (B,)."""
        return zero_com_log_prob(z, mask)

    def base_sample(
        self,
        num_samples: int,
        generator: torch.Generator | None = None,
        dtype: torch.dtype | None = None,
        mask: Tensor | None = None,
    ) -> Tensor:
        """Samples of the base, (num_samples, N, D); padded nodes (``~mask``) are 0."""
        param = next(self.parameters(), None)
        dtype = dtype or (param.dtype if param is not None else torch.get_default_dtype())
        device = param.device if param is not None else None
        n, d = self.event_shape
        if mask is not None:
            if mask.shape[0] != num_samples:
                raise ValueError(
                    f"mask has {mask.shape[0]} rows but {num_samples} samples were asked for"
                )
            n = mask.shape[1]
            mask = mask.bool().to(device)
        return zero_com_sample((num_samples, n, d), mask, generator, dtype, device)

    def log_prob(
        self, x: Tensor, context: Tensor | None = None, *, mask: Tensor | None = None
    ) -> Tensor:
        """``log p(x)`` (B,) on the zero-CoM subspace (the paper's NLL convention)."""
        z, log_det = self.forward(x, context, mask=mask)
        return self.base_log_prob(z, mask) + log_det

    def sample_and_log_prob(
        self,
        num_samples: int,
        context: Tensor | None = None,
        generator: torch.Generator | None = None,
        *,
        mask: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Samples (num_samples, N, D) and their log-densities along the sampling path."""
        z = self.base_sample(num_samples, generator, mask=mask)
        x, log_det = self.inverse(z, context, mask=mask)
        return x, self.base_log_prob(z, mask) - log_det

    def sample(
        self,
        num_samples: int,
        context: Tensor | None = None,
        generator: torch.Generator | None = None,
        *,
        mask: Tensor | None = None,
    ) -> Tensor:
        """Draw ``num_samples`` samples, (num_samples, N, D), without their log-densities
        (the solve integrates the positions only)."""
        z = self.base_sample(num_samples, generator, mask=mask)
        mask = check_mask(z, mask)
        return self.integrate(z, mask, context, True, generator, log_det=False)[0]

    def event_basis(self) -> Tensor:
        """Orthonormal basis (N·D, (N − 1)·D) of the zero centre-of-mass subspace."""
        return zero_com_basis(*self.event_shape)

    def example_inputs(
        self,
        batch_size: int = 4,
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float64,
    ) -> tuple[Tensor, Tensor | None]:
        """Random centred ``x`` (B, N, D) and, with context features, a random context."""
        x, _ = super().example_inputs(batch_size, generator, dtype)
        width = self.field.context_features
        if not width:
            return x, None
        n = self.event_shape[0]
        return x, torch.randn(batch_size, n, width, generator=generator, dtype=dtype)

    def extra_repr(self) -> str:
        n, d = self.event_shape
        return (
            f"nodes={n}, dim={d}, method={self.method}, trace={self.trace}/{self.eval_trace}, "
            f"adjoint={self.adjoint}"
        )
