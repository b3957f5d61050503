"""Exact Gaussian-process regression with MAP-fitted hyperparameters."""

from __future__ import annotations

import copy
import logging
import math
from dataclasses import dataclass, replace

import torch
from torch import Tensor, nn

from tessera.errors import TesseraError
from tessera.kinds import Kernel, Posterior, Surrogate
from tessera.spaces import Space

__all__ = ["ExactGP", "NotPositiveDefiniteError", "robust_cholesky"]

logger = logging.getLogger(__name__)

#: Smallest noise variance, on standardised targets.
MIN_NOISE = 1e-6
#: Smallest posterior variance reported, on standardised targets.
MIN_VARIANCE = 1e-12


class NotPositiveDefiniteError(TesseraError, ValueError):
    """A covariance matrix stayed indefinite after the largest jitter."""


def robust_cholesky(matrix: Tensor, max_tries: int = 7) -> tuple[Tensor, float]:
    """The lower Cholesky factor of ``matrix`` (n, n), adding jitter until it succeeds.

    Jitter starts at 1e-9 times the mean diagonal and grows tenfold per try.

    Returns:
        The factor ``L`` (n, n) with ``L Lᵀ = matrix + jitter I``, and the jitter used.

    Raises:
        NotPositiveDefiniteError: the matrix has NaNs, or is indefinite even with a jitter
            of ``10^(max_tries − 10)`` times its mean diagonal.

    Example:
        >>> import torch
        >>> L, jitter = robust_cholesky(torch.ones(2, 2, dtype=torch.float64))
        >>> jitter > 0, torch.allclose(L @ L.T, torch.ones(2, 2, dtype=torch.float64), atol=1e-6)
        (True, True)
    """
    if not torch.isfinite(matrix).all():
        raise NotPositiveDefiniteError(
            "covariance matrix has NaN or infinite entries; check the kernel's "
            "hyperparameters and the inputs"
        )
    factor, info = torch.linalg.cholesky_ex(matrix)
    if not info.any():
        return factor, 0.0
    scale = float(matrix.detach().diagonal().mean().abs().clamp_min(1e-12))
    eye = torch.eye(len(matrix), dtype=matrix.dtype, device=matrix.device)
    for i in range(max_tries):
        jitter = scale * 10.0 ** (i - 9)
        factor, info = torch.linalg.cholesky_ex(matrix + jitter * eye)
        if not info.any():
            return factor, jitter
    raise NotPositiveDefiniteError(
        f"covariance matrix of size {len(matrix)} is not positive definite even with jitter "
        f"{jitter:.1e}; the kernel may be invalid, or inputs may repeat with zero noise"
    )


@dataclass
class _Data:
    """Training data on the standardised scale and the factorisation that serves it."""

    x: Tensor  # (n, d), observations then pending points
    y: Tensor  # (n,), standardised
    chol: Tensor  # (n, n)
    alpha: Tensor  # (n,), K⁻¹ y
    jitter: float
    y_mean: float
    y_scale: float
    observed: int  # the first `observed` rows are real observations


class ExactGP(Surrogate):
    """Exact GP regression: any kernel, MAP hyperparameters, standardised targets.

    The model is ``y = f(x) + ε`` with ``f ~ GP(0, s · k)`` on targets standardised to mean 0
    and standard deviation 1, and ``ε ~ N(0, σ²)``. :meth:`fit` maximises the log marginal
    likelihood plus the log prior: a LogNormal(0, 1) on the output scale ``s``, an
    InverseGamma(2, 0.01) on the noise ``σ²``, and the kernel's own prior through its
    ``log_prior()`` method where it has one (kernels without it get a flat prior). The
    first restart starts from the current hyperparameters, the others from a random draw
    (``kernel.reset_hyperparameters(generator)`` where defined, else a perturbation of every
    kernel parameter, which kernels should store as logarithms), seeded by ``seed`` and the
    number of points, so that equal histories give equal fits.

    Cholesky factorisations add escalating jitter when needed. :meth:`add_observations`
    extends the factor by a block (rank one for one observation) in O(n²) without a refit;
    :meth:`condition_on_pending` adds pending points with the posterior mean as their value
    ("kriging believer"), which keeps the mean and shrinks the variance near them.

    Arguments:
        kernel: the covariance function; a Matérn-5/2 kernel when ``None``.
        noise: initial noise variance (standardised scale).
        learn_noise: fit the noise variance; otherwise keep ``noise``.
        restarts: number of restarts of the MAP fit.
        iterations: optimiser iterations per restart.
        optimizer: ``"lbfgs"`` (with a strong-Wolfe line search) or ``"adam"``.
        learning_rate: Adam's step size.
        standardize: standardise the targets; otherwise fit them as given.
        seed: seed of the random restarts.

    References:
        | Gaussian Processes for Machine Learning, Algorithm 2.1 (Rasmussen and Williams,
          2006)

    Example:
        >>> import torch
        >>> from tessera.bo import ExactGP, RBFKernel
        >>> x = torch.linspace(0, 1, 8, dtype=torch.float64)[:, None]
        >>> gp = ExactGP(RBFKernel(dims=1), restarts=1).fit(x, torch.sin(6 * x[:, 0]))
        >>> post = gp.posterior(x[:2], joint=True)
        >>> post.mean.shape, post.covariance.shape
        (torch.Size([2]), torch.Size([2, 2]))
    """

    def __init__(
        self,
        kernel: Kernel | None = None,
        noise: float = 1e-3,
        learn_noise: bool = True,
        restarts: int = 3,
        iterations: int = 60,
        optimizer: str = "lbfgs",
        learning_rate: float = 0.05,
        standardize: bool = True,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if kernel is None:
            from tessera.bo._kernels import MaternKernel

            kernel = MaternKernel()
        if not isinstance(kernel, Kernel):
            raise TypeError(
                f"ExactGP: kernel must be a tessera Kernel, got {type(kernel).__name__}"
            )
        if optimizer not in ("lbfgs", "adam"):
            raise ValueError(f"ExactGP: optimizer {optimizer!r} is unknown; use 'lbfgs' or 'adam'")
        if noise <= 0:
            raise ValueError(f"ExactGP: noise = {noise} must be > 0")
        if restarts < 1 or iterations < 1:
            raise ValueError(
                f"ExactGP: restarts = {restarts} and iterations = {iterations} must be ≥ 1"
            )
        self.kernel = kernel.double()
        self.log_outputscale = nn.Parameter(torch.zeros((), dtype=torch.float64))
        self.log_noise = nn.Parameter(
            torch.tensor(math.log(noise), dtype=torch.float64), requires_grad=learn_noise
        )
        self.restarts, self.iterations = int(restarts), int(iterations)
        self.optimizer, self.learning_rate = optimizer, float(learning_rate)
        self.standardize, self.seed = bool(standardize), int(seed)
        self._data: _Data | None = None

    # Hyperparameters

    @property
    def outputscale(self) -> Tensor:
        """The kernel's output scale ``s`` (standardised scale)."""
        return self.log_outputscale.clamp(-12, 12).exp()

    @property
    def noise(self) -> Tensor:
        """The noise variance ``σ²`` (standardised scale)."""
        return MIN_NOISE + self.log_noise.clamp(-30, 5).exp()

    def bind(self, space: Space) -> ExactGP:
        """Bind the kernel to ``space`` if it reads a space's encoding; returns ``self``."""
        bind = getattr(self.kernel, "bind", None)
        if callable(bind):
            bind(space)
        return self

    def log_prior(self) -> Tensor:
        """The log prior of every hyperparameter: the kernel's, the scale's, the noise's."""
        from tessera.bo._priors import inverse_gamma_log_prob, log_normal_log_prob

        total = log_normal_log_prob(self.outputscale, 0.0, 1.0)
        if self.log_noise.requires_grad:
            total = total + inverse_gamma_log_prob(self.noise, 2.0, 0.01)
        kernel_prior = getattr(self.kernel, "log_prior", None)
        if callable(kernel_prior):
            total = total + kernel_prior()
        return total

    def _covariance(self, x1: Tensor, x2: Tensor) -> Tensor:
        return self.outputscale * self.kernel(x1, x2)

    def _loss(self, x: Tensor, y: Tensor) -> Tensor:
        """Negative log marginal likelihood minus the log prior, per observation."""
        n = len(x)
        gram = self._covariance(x, x) + self.noise * torch.eye(n, dtype=x.dtype)
        chol, _ = robust_cholesky(gram)
        alpha = torch.cholesky_solve(y[:, None], chol)[:, 0]
        nll = 0.5 * (y @ alpha) + chol.diagonal().log().sum() + 0.5 * n * math.log(2 * math.pi)
        return (nll - self.log_prior()) / n

    def _reset(self, generator: torch.Generator) -> None:
        with torch.no_grad():
            reset = getattr(self.kernel, "reset_hyperparameters", None)
            if callable(reset):
                reset(generator)
            else:
                for p in self.kernel.parameters():
                    p.add_(0.5 * torch.randn(p.shape, generator=generator, dtype=p.dtype))
            u = torch.rand(2, generator=generator, dtype=torch.float64)
            self.log_outputscale.fill_(math.log(0.5) + math.log(4.0) * float(u[0]))
            if self.log_noise.requires_grad:
                self.log_noise.fill_(math.log(1e-4) + math.log(1e3) * float(u[1]))

    def _optimise(self, x: Tensor, y: Tensor) -> float:
        params = [p for p in self.parameters() if p.requires_grad]
        if not params:
            return float(self._loss(x, y))
        if self.optimizer == "lbfgs":
            opt = torch.optim.LBFGS(
                params, lr=1.0, max_iter=self.iterations, line_search_fn="strong_wolfe"
            )

            def closure() -> Tensor:
                opt.zero_grad()
                loss = self._loss(x, y)
                loss.backward()
                return loss

            opt.step(closure)
        else:
            opt = torch.optim.Adam(params, lr=self.learning_rate)
            for _ in range(self.iterations):
                opt.zero_grad()
                loss = self._loss(x, y)
                loss.backward()
                opt.step()
        with torch.no_grad():
            return float(self._loss(x, y))

    # Fitting

    def fit(self, x: Tensor, y: Tensor) -> ExactGP:
        """Fit hyperparameters by MAP with restarts, then factorise; returns ``self``.

        Arguments:
            x: inputs (n, d), n ≥ 1.
            y: targets (n,), finite.

        Raises:
            ValueError: shapes disagree or targets are not finite.
            NotPositiveDefiniteError: every restart failed to factorise its Gram matrix.
        """
        x, y = self._check_data(x, y)
        y_mean, y_scale = 0.0, 1.0
        if self.standardize:
            y_mean = float(y.mean())
            y_scale = float(y.std()) if len(y) > 1 else 1.0
            if not y_scale > 1e-12:
                y_scale = 1.0
        y_std = (y - y_mean) / y_scale

        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + len(x))
        best_loss, best_state = math.inf, None
        for restart in range(self.restarts):
            if restart > 0:
                self._reset(generator)
            try:
                loss = self._optimise(x, y_std)
            except NotPositiveDefiniteError as error:
                logger.debug("GP restart %d failed: %s", restart, error)
                continue
            if math.isfinite(loss) and loss < best_loss:
                best_loss = loss
                best_state = {k: v.detach().clone() for k, v in self.state_dict().items()}
        if best_state is None:
            raise NotPositiveDefiniteError(
                f"every one of the {self.restarts} restarts of the GP fit on {len(x)} points "
                "failed to factorise; check for repeated inputs or an invalid kernel"
            )
        self.load_state_dict(best_state)
        logger.debug("GP fit on %d points: loss %.4f", len(x), best_loss)

        with torch.no_grad():
            self._data = self._factorise(x, y_std, y_mean, y_scale)
        return self

    def _check_data(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        x, y = torch.as_tensor(x).double(), torch.as_tensor(y).double()
        if x.ndim != 2 or y.ndim != 1 or len(x) != len(y) or len(x) == 0:
            raise ValueError(
                f"ExactGP: expected x of shape (n, d) and y of shape (n,) with n ≥ 1, got "
                f"{tuple(x.shape)} and {tuple(y.shape)}"
            )
        if not torch.isfinite(y).all():
            bad = (~torch.isfinite(y)).nonzero()[:, 0].tolist()
            raise ValueError(f"ExactGP: targets at rows {bad} are not finite; drop or fix them")
        return x, y

    def _factorise(self, x: Tensor, y: Tensor, y_mean: float, y_scale: float) -> _Data:
        gram = self._covariance(x, x) + self.noise * torch.eye(len(x), dtype=x.dtype)
        chol, jitter = robust_cholesky(gram)
        alpha = torch.cholesky_solve(y[:, None], chol)[:, 0]
        return _Data(x, y, chol, alpha, jitter, y_mean, y_scale, len(x))

    def _extend(self, data: _Data, x_new: Tensor, y_new: Tensor, observed: bool) -> _Data:
        """The factorisation with rows ``x_new`` (k, d), targets ``y_new`` (standardised)."""
        k12 = self._covariance(data.x, x_new)
        k22 = self._covariance(x_new, x_new)
        k22 = k22 + (self.noise + data.jitter) * torch.eye(len(x_new), dtype=x_new.dtype)
        l21 = torch.linalg.solve_triangular(data.chol, k12, upper=False).T
        l22, _ = robust_cholesky(k22 - l21 @ l21.T)
        n, k = len(data.x), len(x_new)
        chol = data.chol.new_zeros(n + k, n + k)
        chol[:n, :n], chol[n:, :n], chol[n:, n:] = data.chol, l21, l22
        x = torch.cat([data.x, x_new])
        y = torch.cat([data.y, y_new])
        alpha = torch.cholesky_solve(y[:, None], chol)[:, 0]
        observed_rows = data.observed + (k if observed else 0)
        return replace(data, x=x, y=y, chol=chol, alpha=alpha, observed=observed_rows)

    def add_observations(self, x: Tensor, y: Tensor, refit: bool = False) -> ExactGP:
        """Add observations ``x`` (k, d), ``y`` (k,); returns ``self``.

        Without ``refit`` the hyperparameters and the standardisation are kept and the
        Cholesky factor is extended by a block, O(n² k); with ``refit`` (or before any fit)
        the model is fitted again on all data.
        """
        x, y = self._check_data(x, y)
        data = self._data
        if refit or data is None:
            if data is None:
                return self.fit(x, y)
            x_old, y_old = self.train_data()
            return self.fit(torch.cat([x_old, x]), torch.cat([y_old, y]))
        if data.observed != len(data.x):
            raise RuntimeError(
                "ExactGP: this model is conditioned on pending points; add observations to "
                "the model it was conditioned from"
            )
        with torch.no_grad():
            self._data = self._extend(data, x, (y - data.y_mean) / data.y_scale, observed=True)
        return self

    def train_data(self) -> tuple[Tensor, Tensor]:
        """The observed (x (n, d), y (n,)), pending points excluded."""
        data = self._require_data()
        n = data.observed
        return data.x[:n], data.y[:n] * data.y_scale + data.y_mean

    def _require_data(self) -> _Data:
        if self._data is None:
            raise RuntimeError("ExactGP has not been fitted; call fit(x, y) first")
        return self._data

    # Prediction

    def posterior(self, x: Tensor, joint: bool = False) -> Posterior:
        """The posterior of ``f`` at ``x`` (m, d), on the scale of ``y``.

        Returns:
            Mean (m,), variance (m,) and, with ``joint``, covariance (m, m).
        """
        data = self._require_data()
        x = torch.as_tensor(x).to(data.x.dtype)
        if x.ndim != 2 or x.shape[1] != data.x.shape[1]:
            raise ValueError(
                f"ExactGP: posterior inputs must have shape (m, {data.x.shape[1]}), got "
                f"{tuple(x.shape)}"
            )
        cross = self._covariance(x, data.x)
        mean = cross @ data.alpha
        v = torch.linalg.solve_triangular(data.chol, cross.T, upper=False)
        scale2 = data.y_scale**2
        if joint:
            cov = self._covariance(x, x) - v.T @ v
            cov = 0.5 * (cov + cov.T)
            variance = cov.diagonal().clamp_min(MIN_VARIANCE)
            cov = cov - torch.diag_embed(cov.diagonal() - variance)
            return Posterior(mean * data.y_scale + data.y_mean, variance * scale2, cov * scale2)
        variance = self.outputscale * self.kernel.diag(x) - v.pow(2).sum(0)
        variance = variance.clamp_min(MIN_VARIANCE)
        return Posterior(mean * data.y_scale + data.y_mean, variance * scale2)

    def condition_on_pending(self, x_pending: Tensor) -> ExactGP:
        """A copy that also holds ``x_pending`` (k, d) as observed at its posterior mean.

        The copy shares hyperparameters; its mean equals this model's, its variance is
        smaller at and near the pending points.
        """
        data = self._require_data()
        x_pending = torch.as_tensor(x_pending).to(data.x.dtype)
        if len(x_pending) == 0:
            return self
        with torch.no_grad():
            mean = self._covariance(x_pending, data.x) @ data.alpha
            other = copy.copy(self)
            other._data = self._extend(data, x_pending, mean, observed=False)
        return other

    def example_data(
        self, n: int = 12, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        """Inputs from the kernel's ``example_inputs`` and a smooth noisy function of them."""
        x = self.kernel.example_inputs(n, generator=generator).double()
        y = torch.sin(x.sum(-1)) + 0.05 * torch.randn(n, generator=generator, dtype=x.dtype)
        return x, y
