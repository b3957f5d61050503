"""The Flow interface: normalizing flows with exact log-densities."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

import torch
from torch import Tensor, nn

__all__ = ["Flow"]


class Flow(nn.Module, ABC):
    r"""An invertible map :math:`z = f(x)` onto a base distribution, with log-determinants.

    Subclasses implement :meth:`forward` (data to base), :meth:`inverse` (base to data), and
    the base distribution through :meth:`base_log_prob` and :meth:`base_sample`. Then
    :math:`\log p(x) = \log p_z(f(x)) + \log|\det \partial f / \partial x|`.

    ``event_shape`` is the shape of one sample, e.g. ``(nodes, dim)``. A flow that lives on a
    linear subspace of its event space (zero centre of mass, say) returns an orthonormal basis
    of it from :meth:`event_basis`, and its log-determinants are those of the map restricted
    to that subspace.
    """

    event_shape: tuple[int, ...]

    @abstractmethod
    def forward(self, x: Tensor, context: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Map data to base space.

        :param x: (batch, *event_shape)
        :returns: ``z`` (batch, *event_shape) and ``log|det ∂z/∂x|`` (batch,)
        """

    @abstractmethod
    def inverse(self, z: Tensor, context: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Map base samples to data space; returns ``x`` and ``log|det ∂x/∂z|`` (batch,)."""

    def base_log_prob(self, z: Tensor) -> Tensor:
        """Log-density of the base distribution, (batch,); standard normal by default."""
        z = z.flatten(1)
        return -0.5 * (z.pow(2).sum(-1) + z.shape[-1] * math.log(2 * math.pi))

    def base_sample(
        self, num_samples: int, generator: torch.Generator | None = None, dtype=None
    ) -> Tensor:
        """Samples of the base distribution, (num_samples, *event_shape)."""
        param = next(self.parameters(), None)
        dtype = dtype or (param.dtype if param is not None else torch.get_default_dtype())
        device = param.device if param is not None else None
        shape = (num_samples, *self.event_shape)
        return torch.randn(shape, generator=generator, dtype=dtype, device=device)

    def log_prob(self, x: Tensor, context: Tensor | None = None) -> Tensor:
        """Exact log-density of ``x`` (batch, *event_shape) → (batch,)."""
        z, log_det = self.forward(x, context)
        return self.base_log_prob(z) + log_det

    def sample(
        self,
        num_samples: int,
        context: Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Draw ``num_samples`` samples, (num_samples, *event_shape)."""
        return self.sample_and_log_prob(num_samples, context, generator)[0]

    def sample_and_log_prob(
        self,
        num_samples: int,
        context: Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Samples and their log-densities, computed along the inverse path."""
        z = self.base_sample(num_samples, generator)
        x, log_det = self.inverse(z, context)
        return x, self.base_log_prob(z) - log_det

    def event_basis(self) -> Tensor | None:
        """Orthonormal basis (prod(event_shape), d) of the subspace the flow lives on."""
        return None

    def example_inputs(
        self,
        batch_size: int = 4,
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float64,
    ) -> tuple[Tensor, Tensor | None]:
        """Random data ``x`` (and context or ``None``) for tests and the conformance kit."""
        x = torch.randn((batch_size, *self.event_shape), generator=generator, dtype=dtype)
        basis = self.event_basis()
        if basis is not None:
            basis = basis.to(dtype)
            x = (x.flatten(1) @ basis @ basis.T).reshape(x.shape)
        return x, None
