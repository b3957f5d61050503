"""A small exact Gaussian process used by the kit to exercise acquisitions."""

from __future__ import annotations

import copy

import torch
from torch import Tensor

from tessera.kinds import Posterior, Surrogate

__all__ = ["ReferenceGP"]


class ReferenceGP(Surrogate):
    """Exact GP regression with a fixed RBF kernel (unit scale, given length) and noise.

    Deliberately simple and independent of any plugin, so that a failing acquisition check
    points at the acquisition. Not a surrogate for real use.
    """

    def __init__(self, lengthscale: float = 1.0, noise: float = 1e-4) -> None:
        super().__init__()
        self.lengthscale, self.noise = lengthscale, noise
        self._x = torch.zeros(0, 1, dtype=torch.float64)
        self._y = torch.zeros(0, dtype=torch.float64)
        self._pending = torch.zeros(0, 1, dtype=torch.float64)

    def _k(self, a: Tensor, b: Tensor) -> Tensor:
        return torch.exp(-0.5 * torch.cdist(a, b).pow(2) / self.lengthscale**2)

    def fit(self, x: Tensor, y: Tensor) -> ReferenceGP:
        self._x, self._y = x.double(), y.double()
        self._pending = x.new_zeros(0, x.shape[1]).double()
        return self

    def train_data(self) -> tuple[Tensor, Tensor]:
        return self._x, self._y

    def posterior(self, x: Tensor, joint: bool = False) -> Posterior:
        x = x.double()
        mean_y = self._y.mean() if len(self._y) else self._y.new_zeros(())
        # Mean from observations only
        kxx = self._k(self._x, self._x) + self.noise * torch.eye(len(self._x), dtype=x.dtype)
        chol = torch.linalg.cholesky(kxx)
        alpha = torch.cholesky_solve((self._y - mean_y)[:, None], chol)
        mean = mean_y + (self._k(x, self._x) @ alpha).squeeze(-1)

        # Covariance from observations and pending points
        xs = torch.cat([self._x, self._pending])
        kss = self._k(xs, xs) + self.noise * torch.eye(len(xs), dtype=x.dtype)
        chol_s = torch.linalg.cholesky(kss)
        v = torch.cholesky_solve(self._k(xs, x), chol_s)
        cov = self._k(x, x) - self._k(x, xs) @ v
        variance = cov.diagonal().clamp_min(1e-12)
        return Posterior(mean, variance, cov if joint else None)

    def condition_on_pending(self, x_pending: Tensor) -> ReferenceGP:
        other = copy.copy(self)
        other._pending = torch.cat([self._pending, x_pending.double()])
        return other
