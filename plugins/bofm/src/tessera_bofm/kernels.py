"""Kernels on mixed spaces: frequency-modulated (``fm``) and the diffusion baselines.

Every discrete variable is a graph over its values: a path for an ordinal variable, a
complete graph for a nominal one. The graph Laplacian ``L = D − A = U diag(λ) Uᵀ`` gives the
graph Fourier basis ``U`` and frequencies ``λ``; a kernel on the graph weighs frequencies by
a decreasing function, ``k(v, v') = Σ_i U[v, i] f(λ_i) U[v', i]``. The FM kernel lets the
distance between the continuous parts modulate that function; the baselines combine a
diffusion kernel on the discrete part with an RBF kernel on the continuous part.
"""

from __future__ import annotations

import math
from abc import abstractmethod

import torch
from torch import Tensor, nn

from tessera.bo import SpaceKernel, column_bounds, gamma_log_prob
from tessera.spaces import Space

__all__ = [
    "DiffusionAdditiveKernel",
    "DiffusionProductKernel",
    "FrequencyModulatedKernel",
    "graph_fourier",
]

_CLAMP = 9.0  # log hyperparameters are clamped to [−9, 9] when used


def graph_fourier(kind: str, size: int) -> tuple[Tensor, Tensor]:
    """Frequencies (size,) and Fourier basis (size, size) of a variable's graph Laplacian.

    Arguments:
        kind: ``"ordinal"`` (a path graph) or ``"nominal"`` (a complete graph).
        size: the number of values, ≥ 1.

    Returns:
        Eigenvalues of ``L = D − A`` in increasing order (the first is 0) and the
        orthonormal eigenvectors as columns.

    Example:
        >>> freq, basis = graph_fourier("nominal", 3)
        >>> [round(f, 6) for f in freq.tolist()]
        [0.0, 3.0, 3.0]
    """
    if size < 1:
        raise ValueError(f"graph_fourier: size = {size} must be ≥ 1")
    if kind == "ordinal":
        adjacency = torch.zeros(size, size, dtype=torch.float64)
        steps = torch.arange(size - 1)
        adjacency[steps, steps + 1] = adjacency[steps + 1, steps] = 1.0
    elif kind == "nominal":
        adjacency = torch.ones(size, size, dtype=torch.float64) - torch.eye(size)
    else:
        raise NotImplementedError(
            f"graph_fourier: variables of kind {kind!r} are not supported; the graphs here "
            "are 'ordinal' (path) and 'nominal' (complete)"
        )
    laplacian = torch.diag(adjacency.sum(0)) - adjacency
    freq, basis = torch.linalg.eigh(laplacian)
    return freq.clamp_min(0.0), basis


def _positive(log_value: Tensor) -> Tensor:
    return log_value.clamp(-_CLAMP, _CLAMP).exp()


def _uniform(generator: torch.Generator | None, shape: torch.Size, lo: float, hi: float) -> Tensor:
    return lo + (hi - lo) * torch.rand(shape, generator=generator, dtype=torch.float64)


class _MixedKernel(SpaceKernel):
    """Shared structure: unit-scaled continuous columns and the graph of each discrete one."""

    #: Whether the kernel needs at least one continuous column.
    needs_continuous = True

    def _setup(self, space: Space) -> None:
        continuous = list(space.continuous_dims)
        parts = list(space.discrete_parts)
        name = type(self).__name__
        if not parts:
            raise ValueError(
                f"{name}: {space!r} has no discrete variables; use the 'rbf' or 'matern' "
                "kernel on continuous spaces"
            )
        if self.needs_continuous and not continuous:
            raise ValueError(
                f"{name}: {space!r} has no continuous variables; this kernel combines both "
                "kinds, use 'fm' (a diffusion kernel without continuous variables)"
            )
        for part in parts:
            if part.kind == "permutation" or part.width != 1:
                raise NotImplementedError(
                    f"{name}: {part.kind} variables are not supported (their graph has "
                    f"{part.size} vertices); use a kernel for permutations"
                )
        lower, upper = column_bounds(space)
        self.continuous = continuous
        self.register_buffer("shift", lower[continuous], persistent=False)
        self.register_buffer("span", (upper - lower)[continuous], persistent=False)
        self.columns = [part.column for part in parts]
        self.offsets = [part.offset for part in parts]
        for j, part in enumerate(parts):
            freq, basis = graph_fourier(part.kind, part.size)
            self.register_buffer(f"freq_{j}", freq, persistent=False)
            self.register_buffer(f"basis_{j}", basis, persistent=False)
        self.log_lengthscale = nn.Parameter(
            torch.full((len(continuous),), math.log(0.5), dtype=torch.float64)
        )
        self.log_beta = nn.Parameter(torch.full((len(parts),), math.log(0.5), dtype=torch.float64))

    # Pieces

    @property
    def lengthscale(self) -> Tensor:
        """ARD length scales of the continuous columns scaled to [0, 1], (n_continuous,)."""
        return _positive(self.log_lengthscale)

    @property
    def beta(self) -> Tensor:
        """Frequency scale β of each discrete variable, (n_discrete,)."""
        return _positive(self.log_beta)

    def _graph(self, j: int) -> tuple[Tensor, Tensor]:
        return getattr(self, f"freq_{j}"), getattr(self, f"basis_{j}")

    def _vertices(self, x: Tensor, j: int) -> Tensor:
        return (x[:, self.columns[j]] - self.offsets[j]).round().long()

    def _distance2(self, x1: Tensor, x2: Tensor) -> Tensor:
        """Σ_d ((x_d − x'_d) / (range_d ℓ_d))² over continuous columns, (n1, n2)."""
        if not self.continuous:
            return x1.new_zeros(len(x1), len(x2))
        u1 = (x1[:, self.continuous] - self.shift) / (self.span * self.lengthscale)
        u2 = (x2[:, self.continuous] - self.shift) / (self.span * self.lengthscale)
        return (u1[:, None, :] - u2[None, :, :]).pow(2).sum(-1)

    def _diffusion(self, x1: Tensor, x2: Tensor) -> Tensor:
        """Π_j Σ_i U[v, i] exp(−β_j λ_i) U[v', i] / mean_i exp(−β_j λ_i), (n1, n2)."""
        gram = x1.new_ones(len(x1), len(x2))
        for j in range(len(self.columns)):
            freq, basis = self._graph(j)
            weight = torch.exp(-self.beta[j] * freq)
            b1, b2 = basis[self._vertices(x1, j)], basis[self._vertices(x2, j)]
            gram = gram * ((b1 * weight) @ b2.T) / weight.mean()
        return gram

    def _diffusion_diag(self, x: Tensor) -> Tensor:
        out = x.new_ones(len(x))
        for j in range(len(self.columns)):
            freq, basis = self._graph(j)
            weight = torch.exp(-self.beta[j] * freq)
            b = basis[self._vertices(x, j)]
            out = out * (b.pow(2) * weight).sum(-1) / weight.mean()
        return out

    def _check(self, x1: Tensor, x2: Tensor) -> None:
        width = self.space.dim
        self._check_inputs(x1, width)
        self._check_inputs(x2, width)

    def log_prior(self) -> Tensor:
        """Gamma(3, 6) on length scales (mean 0.5 on unit columns); Gamma(2, 2) on each β.

        The reference implementation samples half-horseshoe priors by MCMC; their density
        is unbounded at zero, so a MAP fit under them drives β to zero (every value of a
        variable uncorrelated with every other). Gamma priors vanish at zero instead.
        """
        total = gamma_log_prob(self.beta, 2.0, 2.0)
        if self.continuous:
            total = total + gamma_log_prob(self.lengthscale, 3.0, 6.0)
        return total

    def reset_hyperparameters(self, generator: torch.Generator | None = None) -> None:
        """Length scales log-uniform in [0.1, 1.5]; β uniform in [0.05, 2]."""
        with torch.no_grad():
            shape = self.log_lengthscale.shape
            log_lo, log_hi = math.log(0.1), math.log(1.5)
            self.log_lengthscale.copy_(_uniform(generator, shape, log_lo, log_hi))
            self.log_beta.copy_(_uniform(generator, self.log_beta.shape, 0.05, 2.0).log())

    @abstractmethod
    def forward(self, x1: Tensor, x2: Tensor) -> Tensor: ...


class FrequencyModulatedKernel(_MixedKernel):
    """The frequency-modulated (FM) kernel on continuous and discrete variables.

    For each discrete variable ``j`` with graph frequencies ``λ`` and basis ``U``, and the
    scaled squared distance ``t = Σ_d ((x_d − x'_d)/ℓ_d)²`` between the continuous parts
    (columns scaled to [0, 1], ARD length scales ``ℓ``),

        k_j((c, x), (c', x')) = Σ_i U[c_j, i] f_j(λ_i, t) U[c'_j, i] / mean_i f_j(λ_i, 0)

    and ``k = Π_j k_j``. The frequency modulating function is, with ``α_j, β_j ≥ 0``,

    - ``"moddif"``: ``f(λ, t) = exp(−β λ (1 + α t))`` (modulated diffusion),
    - ``"modlap"``: ``f(λ, t) = 1 / (1 + β λ + α t)`` (modulated regularised Laplacian).

    With ModLap the correlation between two values of a variable decays as the continuous
    parts move apart (on complete graphs, for any two values); with ModDif it does so for
    equal values, while between different values it rises towards the constant (zero
    frequency) term as the continuous distance damps the high frequencies. Since
    ``f(0, t) = 1`` for ModDif, its only term free of the discrete variables is a constant:
    any other function it models has mean zero over the discrete values, so an effect of
    the continuous variables shared by every discrete value is out of its reach (ModLap's
    ``f(0, t) = 1/(1 + αt)`` keeps one).

    Both are positive definite for every hyperparameter value: each term is a rank-one
    PSD kernel on the discrete part times ``f(λ_i, ‖x − x'‖²)``, which is a Gaussian (ModDif)
    or an inverse quadratic ``1/(c + α r²)`` (ModLap) kernel in ``x``. The normalisation by
    ``mean_i f_j(λ_i, 0)`` keeps ``k(z, z)`` near one and changes no eigenvalue's sign.
    Without continuous variables the kernel is the ARD diffusion (or regularised Laplacian)
    kernel.

    Arguments:
        variant: ``"moddif"`` or ``"modlap"``.
        space: the search space; ordinal (integer) and nominal (categorical) variables are
            supported, permutations are not.

    References:
        | Mixed Variable Bayesian Optimization with Frequency Modulated Kernels
          (Oh, Gavves and Welling, 2021)
        | https://arxiv.org/abs/2102.12792

    Example:
        >>> import torch
        >>> from tessera.spaces import Box, Categorical
        >>> space = Box(-1.0, 1.0, dims=2) * Categorical(["a", "b", "c"])
        >>> kernel = FrequencyModulatedKernel("modlap", space)
        >>> x = space.sample(5, torch.Generator().manual_seed(0))
        >>> gram = kernel(x, x).detach()
        >>> gram.shape, bool(torch.linalg.eigvalsh(gram).min() > -1e-10)
        (torch.Size([5, 5]), True)
    """

    needs_continuous = False

    def __init__(self, variant: str = "modlap", space: Space | None = None) -> None:
        if variant not in ("moddif", "modlap"):
            raise ValueError(
                f"FrequencyModulatedKernel: variant {variant!r} is unknown; use 'moddif' or "
                "'modlap'"
            )
        super().__init__()
        self.variant = variant
        if space is not None:
            self.bind(space)

    def _setup(self, space: Space) -> None:
        super()._setup(space)
        self.log_alpha = nn.Parameter(torch.zeros(len(space.discrete_parts), dtype=torch.float64))

    @property
    def alpha(self) -> Tensor:
        """Modulation strength α of each discrete variable, (n_discrete,)."""
        return _positive(self.log_alpha)

    def _modulation(self, j: int, freq: Tensor, t: Tensor) -> Tensor:
        """f_j(λ, t) for frequencies (m,) and distances (...), shape (..., m)."""
        alpha, beta = self.alpha[j], self.beta[j]
        t = t[..., None]
        if self.variant == "moddif":
            return torch.exp(-beta * freq * (1 + alpha * t))
        return 1.0 / (1.0 + beta * freq + alpha * t)

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        self._check(x1, x2)
        t = self._distance2(x1, x2)
        gram = x1.new_ones(len(x1), len(x2))
        for j in range(len(self.columns)):
            freq, basis = self._graph(j)
            b1, b2 = basis[self._vertices(x1, j)], basis[self._vertices(x2, j)]
            f = self._modulation(j, freq, t)  # (n1, n2, m)
            norm = self._modulation(j, freq, t.new_zeros(())).mean()
            gram = gram * torch.einsum("ai,abi,bi->ab", b1, f, b2) / norm
        return gram

    def diag(self, x: Tensor) -> Tensor:
        self._check(x, x)
        out = x.new_ones(len(x))
        zero = x.new_zeros(())
        for j in range(len(self.columns)):
            freq, basis = self._graph(j)
            f = self._modulation(j, freq, zero)
            b = basis[self._vertices(x, j)]
            out = out * (b.pow(2) * f).sum(-1) / f.mean()
        return out

    def log_prior(self) -> Tensor:
        """As the baselines, plus Gamma(2, 1) on each α (α = 0 would ignore x)."""
        return super().log_prior() + gamma_log_prob(self.alpha, 2.0, 1.0)

    def reset_hyperparameters(self, generator: torch.Generator | None = None) -> None:
        """As the baselines, plus α uniform in [0.05, 2]."""
        super().reset_hyperparameters(generator)
        with torch.no_grad():
            self.log_alpha.copy_(_uniform(generator, self.log_alpha.shape, 0.05, 2.0).log())

    def extra_repr(self) -> str:
        return f"variant={self.variant!r}"


class DiffusionProductKernel(_MixedKernel):
    """The product of an RBF kernel on continuous and an ARD diffusion kernel on discrete
    variables: ``k = exp(−t / 2) · Π_j k_j^diff``, a baseline of the FM kernel paper.

    ``t`` is the scaled squared distance of the continuous parts and ``k_j^diff(v, v') =
    Σ_i U[v, i] exp(−β_j λ_i) U[v', i]`` (normalised as in :class:`FrequencyModulatedKernel`).

    Arguments:
        space: the search space, with continuous and discrete variables.

    References:
        | Mixed Variable Bayesian Optimization with Frequency Modulated Kernels
          (Oh, Gavves and Welling, 2021)
        | https://arxiv.org/abs/2102.12792

    Example:
        >>> from tessera.spaces import Box, Integer
        >>> kernel = DiffusionProductKernel(Box(0.0, 1.0) * Integer(0, 3))
        >>> kernel.example_inputs(4).shape
        torch.Size([4, 2])
    """

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        self._check(x1, x2)
        return torch.exp(-0.5 * self._distance2(x1, x2)) * self._diffusion(x1, x2)

    def diag(self, x: Tensor) -> Tensor:
        self._check(x, x)
        return self._diffusion_diag(x)


class DiffusionAdditiveKernel(_MixedKernel):
    """A weighted sum of an RBF kernel on continuous and an ARD diffusion kernel on discrete
    variables: ``k = w exp(−t / 2) + (1 − w) Π_j k_j^diff``, a baseline of the FM paper.

    The weight ``w ∈ (0, 1)`` is learnt (as a logit, under a Normal(0, 1.5) prior); with the
    surrogate's output scale it is the paper's two separate output scales.

    Arguments:
        space: the search space, with continuous and discrete variables.

    References:
        | Mixed Variable Bayesian Optimization with Frequency Modulated Kernels
          (Oh, Gavves and Welling, 2021)
        | https://arxiv.org/abs/2102.12792
    """

    def _setup(self, space: Space) -> None:
        super()._setup(space)
        self.weight_logit = nn.Parameter(torch.zeros((), dtype=torch.float64))

    @property
    def weight(self) -> Tensor:
        """The weight ``w`` of the continuous part."""
        return torch.sigmoid(self.weight_logit)

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        self._check(x1, x2)
        w = self.weight
        rbf = torch.exp(-0.5 * self._distance2(x1, x2))
        return w * rbf + (1 - w) * self._diffusion(x1, x2)

    def diag(self, x: Tensor) -> Tensor:
        self._check(x, x)
        w = self.weight
        return w + (1 - w) * self._diffusion_diag(x)

    def log_prior(self) -> Tensor:
        logit = self.weight_logit
        return super().log_prior() - 0.5 * (logit / 1.5) ** 2

    def reset_hyperparameters(self, generator: torch.Generator | None = None) -> None:
        super().reset_hyperparameters(generator)
        with torch.no_grad():
            self.weight_logit.copy_(torch.randn((), generator=generator, dtype=torch.float64))
