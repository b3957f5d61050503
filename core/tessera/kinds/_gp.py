"""The Kernel and Surrogate interfaces, and the Posterior they return."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import torch
from torch import Tensor, nn

__all__ = ["Kernel", "Posterior", "Surrogate"]


class Kernel(nn.Module, ABC):
    """A positive semi-definite covariance function on encoded inputs.

    Inputs are the encoded tensors of a search space (:mod:`tessera.spaces`), shape (n, d).
    """

    @abstractmethod
    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        """The Gram matrix between ``x1`` (n1, d) and ``x2`` (n2, d), shape (n1, n2)."""

    def diag(self, x: Tensor) -> Tensor:
        """``k(x_i, x_i)`` for each row of ``x`` (n, d), shape (n,)."""
        return torch.stack([self.forward(row[None], row[None])[0, 0] for row in x])

    @abstractmethod
    def example_inputs(self, n: int = 8, generator: torch.Generator | None = None) -> Tensor:
        """Random valid inputs (n, d) for tests and the conformance kit."""


@dataclass
class Posterior:
    """A Gaussian posterior at ``n`` points.

    :ivar mean: (n,)
    :ivar variance: (n,), positive
    :ivar covariance: (n, n) joint covariance, or ``None`` when not asked for
    """

    mean: Tensor
    variance: Tensor
    covariance: Tensor | None = None

    @property
    def stddev(self) -> Tensor:
        return self.variance.clamp_min(0).sqrt()


class Surrogate(nn.Module, ABC):
    """A probabilistic model of an objective: ``fit`` on data, then ``posterior`` at points.

    Objectives are minimised throughout Tessera; the surrogate models ``y`` as given.
    """

    @abstractmethod
    def fit(self, x: Tensor, y: Tensor) -> Surrogate:
        """Fit to inputs ``x`` (n, d) and targets ``y`` (n,); returns ``self``."""

    @abstractmethod
    def posterior(self, x: Tensor, joint: bool = False) -> Posterior:
        """The posterior at ``x`` (m, d); with ``joint`` its (m, m) covariance too."""

    @abstractmethod
    def condition_on_pending(self, x_pending: Tensor) -> Surrogate:
        """A copy conditioned on points under evaluation (k, d), whose outcomes are unknown.

        The copy's variance shrinks at and near the pending points; its mean is unchanged.
        Batch acquisitions use it to spread a batch.
        """

    def add_observations(self, x: Tensor, y: Tensor) -> Surrogate:
        """Add observations; by default refits on all data. Returns ``self``."""
        x_old, y_old = self.train_data()
        return self.fit(torch.cat([x_old, x]), torch.cat([y_old, y]))

    def train_data(self) -> tuple[Tensor, Tensor]:
        """The (x, y) the surrogate was fitted on."""
        raise NotImplementedError(f"{type(self).__name__} does not expose its training data")

    def example_data(
        self, n: int = 12, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        """Training data (x (n, d), y (n,)) for tests and the conformance kit."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement example_data for the conformance kit"
        )
