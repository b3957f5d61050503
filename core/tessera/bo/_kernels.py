"""Kernels on the encoding of a search space: the base class, and RBF and Matérn kernels."""

from __future__ import annotations

import math
from abc import abstractmethod

import torch
from torch import Tensor, nn

from tessera.kinds import Kernel
from tessera.spaces import Space

__all__ = ["MaternKernel", "RBFKernel", "SpaceKernel", "column_bounds"]

#: Log length scales are clamped to this range when used, to keep Gram matrices finite.
LOG_BOUND = 9.0


def column_bounds(space: Space) -> tuple[Tensor, Tensor]:
    """The smallest and largest value of each encoded column of ``space``, (dim,) each.

    Continuous columns take their box bounds, an integer its range, a category or a
    permutation entry ``0 … size − 1``.

    Raises:
        ValueError: a continuous column is unbounded.

    Example:
        >>> from tessera.spaces import Box, Integer
        >>> lower, upper = column_bounds(Box(-1.0, 1.0) * Integer(2, 5))
        >>> lower.tolist(), upper.tolist()
        ([-1.0, 2.0], [1.0, 5.0])
    """
    lower = torch.zeros(space.dim, dtype=torch.float64)
    upper = torch.ones(space.dim, dtype=torch.float64)
    dims = list(space.continuous_dims)
    if dims:
        lower[dims] = space.project(torch.full((space.dim,), -math.inf))[dims]
        upper[dims] = space.project(torch.full((space.dim,), math.inf))[dims]
        if not (torch.isfinite(lower[dims]).all() and torch.isfinite(upper[dims]).all()):
            raise ValueError(
                f"{space!r}: continuous columns {dims} have bounds {lower[dims].tolist()} .. "
                f"{upper[dims].tolist()}; Bayesian optimisation needs bounded boxes"
            )
    for part in space.discrete_parts:
        columns = list(part.columns)
        if part.kind == "permutation":
            lower[columns], upper[columns] = 0.0, float(part.width - 1)
        else:
            lower[columns], upper[columns] = float(part.offset), float(part.offset + part.size - 1)
    return lower, upper


class SpaceKernel(Kernel):
    """A kernel that reads the encoding of a search space, bound at construction or later.

    Kernels of mixed spaces need the space's structure (which columns are continuous, which
    discrete variables there are and their graphs). A kernel built without a space is
    *unbound* until :meth:`bind` gives it one; the ``bo`` loop binds the surrogate's kernel
    to the problem's space, so a spec can name a kernel without repeating the space.

    Kernels here are scale-free (``k(x, x) = 1`` on average): the surrogate owns the output
    scale. Two optional hooks serve the GP's MAP fit: :meth:`log_prior`, the log-density of
    the hyperparameters' priors (zero by default), and :meth:`reset_hyperparameters`, a
    random draw for restarts (no change by default).

    Subclasses implement :meth:`_setup` (create parameters for a space), :meth:`forward` and
    :meth:`diag`.

    Example:
        >>> from tessera.bo import MaternKernel
        >>> from tessera.spaces import Box, Integer
        >>> kernel = MaternKernel()  # unbound: no space yet
        >>> kernel.bind(Box(0.0, 1.0) * Integer(0, 3)).example_inputs(5).shape
        torch.Size([5, 2])
    """

    def __init__(self, space: Space | None = None) -> None:
        super().__init__()
        self._space: Space | None = None
        if space is not None:
            self.bind(space)

    @property
    def bound(self) -> bool:
        """Whether the kernel knows its space."""
        return self._space is not None

    @property
    def space(self) -> Space:
        """The space the kernel is bound to.

        Raises:
            RuntimeError: the kernel is unbound.
        """
        if self._space is None:
            raise RuntimeError(
                f"{type(self).__name__} is not bound to a search space; give space=... when "
                "building it, or call kernel.bind(space) (the bo loop does this)"
            )
        return self._space

    def bind(self, space: Space) -> SpaceKernel:
        """Bind the kernel to ``space``; binding again to an equal space does nothing.

        Raises:
            TypeError: ``space`` is not a :class:`~tessera.spaces.Space`.
            ValueError: the kernel is bound to another space, or cannot model this one.
        """
        if not isinstance(space, Space):
            raise TypeError(
                f"{type(self).__name__}.bind takes a tessera Space, got {type(space).__name__}"
            )
        if self._space is not None:
            if space != self._space:
                raise ValueError(
                    f"{type(self).__name__} is bound to {self._space!r}, not {space!r}; build "
                    "a new kernel for another space"
                )
            return self
        self._setup(space)
        self._space = space
        return self

    @abstractmethod
    def _setup(self, space: Space) -> None:
        """Create the parameters and buffers the kernel needs for ``space``."""

    def log_prior(self) -> Tensor:
        """The log-density of the hyperparameters under their priors; zero by default."""
        return torch.zeros((), dtype=torch.float64)

    def reset_hyperparameters(self, generator: torch.Generator | None = None) -> None:
        """Draw new hyperparameters at random, for a restart of the fit; a no-op by default."""

    def example_inputs(self, n: int = 8, generator: torch.Generator | None = None) -> Tensor:
        """``n`` random points of the bound space, (n, dim)."""
        return self.space.sample(n, generator)

    def _check_inputs(self, x: Tensor, width: int) -> None:
        if x.ndim != 2 or x.shape[-1] != width:
            raise ValueError(
                f"{type(self).__name__}: inputs must have shape (n, {width}), got {tuple(x.shape)}"
            )


def _uniform_log(
    generator: torch.Generator | None, shape: tuple[int, ...], lo: float, hi: float
) -> Tensor:
    u = torch.rand(shape, generator=generator, dtype=torch.float64)
    return math.log(lo) + (math.log(hi) - math.log(lo)) * u


class _Stationary(SpaceKernel):
    """Shared machinery of RBF and Matérn kernels: scaled columns, ARD length scales."""

    def __init__(
        self,
        lengthscale: float = 0.5,
        ard: bool = True,
        dims: int | None = None,
        space: Space | None = None,
    ) -> None:
        if lengthscale <= 0:
            raise ValueError(f"{type(self).__name__}: lengthscale = {lengthscale} must be > 0")
        if space is not None and dims is not None and dims != space.dim:
            raise ValueError(
                f"{type(self).__name__}: dims = {dims} differs from the space's width "
                f"{space.dim}; leave dims out when giving a space"
            )
        super().__init__()
        self.initial_lengthscale = float(lengthscale)
        self.ard = bool(ard)
        self.dims = dims
        if dims is not None:
            self._make(dims)
        if space is not None:
            self.bind(space)

    def _make(self, dims: int) -> None:
        if hasattr(self, "log_lengthscale"):
            return
        width = dims if self.ard else 1
        value = torch.full((width,), math.log(self.initial_lengthscale), dtype=torch.float64)
        self.log_lengthscale = nn.Parameter(value)
        self.register_buffer("shift", torch.zeros(dims, dtype=torch.float64), persistent=False)
        self.register_buffer("scale", torch.ones(dims, dtype=torch.float64), persistent=False)
        self.dims = dims

    def _setup(self, space: Space) -> None:
        if self.dims is not None and self.dims != space.dim:
            raise ValueError(
                f"{type(self).__name__} was built for dims = {self.dims}, but {space!r} "
                f"has width {space.dim}"
            )
        self._make(space.dim)
        lower, upper = column_bounds(space)
        self.shift = lower.to(self.shift.device)
        width = upper - lower
        self.scale = torch.where(width > 0, width, torch.ones_like(width)).to(self.scale.device)

    @property
    def lengthscale(self) -> Tensor:
        """The length scales on unit-scaled columns, (dims,) or (1,)."""
        return self.log_lengthscale.clamp(-LOG_BOUND, LOG_BOUND).exp()

    def _distance2(self, x1: Tensor, x2: Tensor) -> Tensor:
        if self.dims is None:
            raise RuntimeError(
                f"{type(self).__name__} has neither a space nor dims; give one of them, or "
                "bind it with kernel.bind(space)"
            )
        self._check_inputs(x1, self.dims)
        self._check_inputs(x2, self.dims)
        u1 = (x1 - self.shift) / (self.scale * self.lengthscale)
        u2 = (x2 - self.shift) / (self.scale * self.lengthscale)
        return (u1[:, None, :] - u2[None, :, :]).pow(2).sum(-1)

    def diag(self, x: Tensor) -> Tensor:
        return torch.ones(len(x), dtype=x.dtype, device=x.device)

    def example_inputs(self, n: int = 8, generator: torch.Generator | None = None) -> Tensor:
        if self._space is None and self.dims is not None:
            return torch.rand(n, self.dims, generator=generator, dtype=torch.float64)
        return super().example_inputs(n, generator)

    def log_prior(self) -> Tensor:
        """Gamma(3, 6) on each length scale (mean 0.5 on unit-scaled columns)."""
        from tessera.bo._priors import gamma_log_prob

        return gamma_log_prob(self.lengthscale, 3.0, 6.0)

    def reset_hyperparameters(self, generator: torch.Generator | None = None) -> None:
        """Length scales log-uniform in [0.1, 1.5]."""
        with torch.no_grad():
            shape = tuple(self.log_lengthscale.shape)
            self.log_lengthscale.copy_(_uniform_log(generator, shape, 0.1, 1.5))


class RBFKernel(_Stationary):
    """k(x, x') = exp(−½ Σ_d (x_d − x'_d)² / ℓ_d²), on columns scaled to [0, 1].

    With a ``space``, each encoded column is scaled to [0, 1] by its bounds (category and
    permutation indices included, a crude relaxation that dedicated mixed kernels avoid);
    with ``dims`` and no space, inputs are used as they are.

    Arguments:
        lengthscale: initial length scale.
        ard: one length scale per column rather than one for all.
        dims: input width, when no space is given.
        space: the search space whose encoding the kernel reads.

    Example:
        >>> import torch
        >>> kernel = RBFKernel(dims=2)
        >>> kernel(torch.zeros(1, 2), torch.zeros(1, 2))[0, 0].item()
        1.0
    """

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return torch.exp(-0.5 * self._distance2(x1, x2))


class MaternKernel(_Stationary):
    """The Matérn kernel of smoothness ν ∈ {½, 3/2, 5/2}, on columns scaled to [0, 1].

    With r the scaled distance, k = exp(−r) for ν = ½, (1 + √3 r) exp(−√3 r) for ν = 3/2 and
    (1 + √5 r + 5r²/3) exp(−√5 r) for ν = 5/2. Arguments as :class:`RBFKernel`, plus ``nu``.

    Example:
        >>> import torch
        >>> kernel = MaternKernel(nu=1.5, dims=1)
        >>> k = kernel(torch.tensor([[0.0]]), torch.tensor([[0.0], [1.0]]))
        >>> k.shape, k[0, 0].item()
        (torch.Size([1, 2]), 1.0)
    """

    def __init__(
        self,
        lengthscale: float = 0.5,
        ard: bool = True,
        dims: int | None = None,
        space: Space | None = None,
        nu: float = 2.5,
    ) -> None:
        if nu not in (0.5, 1.5, 2.5):
            raise ValueError(f"MaternKernel: nu = {nu!r} is not supported; use 0.5, 1.5 or 2.5")
        self.nu = float(nu)
        super().__init__(lengthscale, ard, dims, space)

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        d2 = self._distance2(x1, x2)
        r = d2.clamp_min(1e-30).sqrt() * (d2 > 0)
        if self.nu == 0.5:
            return torch.exp(-r)
        if self.nu == 1.5:
            s = math.sqrt(3) * r
            return (1 + s) * torch.exp(-s)
        s = math.sqrt(5) * r
        return (1 + s + s**2 / 3) * torch.exp(-s)
