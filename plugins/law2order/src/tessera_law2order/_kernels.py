"""Kernels on permutations: the position kernel, and the Kendall and Mallows kernels.

Permutations are encoded as in :class:`tessera.spaces.Permutation`: a row ``π`` of ``n``
floats holding ``π(0), …, π(n − 1)``, a permutation of ``0, …, n − 1``.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from tessera.bo import SpaceKernel
from tessera.spaces import Permutation, Space

__all__ = [
    "KendallKernel",
    "MallowsKernel",
    "PermutationKernel",
    "PositionKernel",
    "discordant_pairs",
    "pair_signs",
    "position_distance",
]

#: Log ν is clamped to this range when used, to keep Gram matrices finite.
LOG_NU_BOUND = 9.0


def _as_permutations(x: Tensor, what: str) -> Tensor:
    """Rows of encoded permutations (m, n) as int64, checked."""
    x = torch.as_tensor(x)
    if x.ndim != 2:
        raise ValueError(f"{what}: expected permutations of shape (m, n), got {tuple(x.shape)}")
    if not x.is_floating_point():
        return x.long()
    rounded = x.round()
    if not torch.equal(rounded, x):
        raise ValueError(f"{what}: entries must be whole numbers; call space.project(x) first")
    return rounded.long()


def position_distance(x1: Tensor, x2: Tensor) -> Tensor:
    """Σ_i |π⁻¹(i) − σ⁻¹(i)| between each row π of ``x1`` (m1, n) and σ of ``x2`` (m2, n).

    The positions of each item, compared item by item: Spearman's footrule on the inverse
    permutations. Returns float64 (m1, m2).

    Example:
        >>> import torch
        >>> position_distance(torch.tensor([[0, 1, 2]]), torch.tensor([[2, 1, 0]])).tolist()
        [[4.0]]
    """
    p1 = _as_permutations(x1, "position_distance").argsort(dim=-1).double()
    p2 = _as_permutations(x2, "position_distance").argsort(dim=-1).double()
    return torch.cdist(p1, p2, p=1.0)


def pair_signs(x: Tensor) -> Tensor:
    """sign(π(j) − π(i)) for every pair of positions i < j, (m, n) → (m, n(n − 1)/2).

    Example:
        >>> import torch
        >>> pair_signs(torch.tensor([[0, 2, 1]])).tolist()
        [[1.0, 1.0, -1.0]]
    """
    p = _as_permutations(x, "pair_signs").double()
    i, j = torch.triu_indices(p.shape[-1], p.shape[-1], offset=1)
    return torch.sign(p[:, j] - p[:, i])


def discordant_pairs(x1: Tensor, x2: Tensor) -> Tensor:
    """The number of position pairs ordered differently by π and σ (Kendall's distance).

    ``n_d(π, σ) = #{i < j : (π(i) − π(j)) (σ(i) − σ(j)) < 0}`` for each row π of ``x1``
    (m1, n) and σ of ``x2`` (m2, n); float64 (m1, m2).

    Example:
        >>> import torch
        >>> discordant_pairs(torch.tensor([[0, 1, 2]]), torch.tensor([[2, 1, 0]])).tolist()
        [[3.0]]
    """
    s1, s2 = pair_signs(x1), pair_signs(x2)
    pairs = s1.shape[-1]
    return 0.5 * (pairs - s1 @ s2.T)


class PermutationKernel(SpaceKernel):
    """Base of the kernels on :class:`~tessera.spaces.Permutation` spaces.

    A kernel knows its permutation size ``n`` from ``n`` or from the space it is bound to
    (the ``bo`` loop and the ``law2order`` solver bind it). Kernels with a decay rate ν
    store ``log ν`` as a parameter with a LogNormal(0, 2) prior; the Gaussian process owns
    the output scale.

    Arguments:
        n: the permutation size, when no space is given.
        space: a :class:`~tessera.spaces.Permutation` space.
    """

    def __init__(self, n: int | None = None, space: Space | None = None) -> None:
        if n is not None and n < 2:
            raise ValueError(f"{type(self).__name__}: n = {n} must be ≥ 2")
        if n is not None and space is not None and getattr(space, "n", n) != n:
            raise ValueError(
                f"{type(self).__name__}: n = {n} differs from the size of {space!r}; give "
                "one of them"
            )
        super().__init__()
        self.n = n
        if space is not None:
            self.bind(space)

    def _setup(self, space: Space) -> None:
        if not isinstance(space, Permutation):
            raise NotImplementedError(
                f"{type(self).__name__} models a single Permutation space, not {space!r}; "
                "products of permutations with other variables are not supported"
            )
        if self.n is not None and self.n != space.n:
            raise ValueError(
                f"{type(self).__name__} was built for n = {self.n}, but {space!r} has n = "
                f"{space.n}"
            )
        self.n = space.n

    def _check(self, x: Tensor) -> None:
        if self.n is None:
            raise RuntimeError(
                f"{type(self).__name__} knows no permutation size; give n=... or bind it with "
                "kernel.bind(Permutation(n))"
            )
        self._check_inputs(x, self.n)

    def diag(self, x: Tensor) -> Tensor:
        return torch.ones(len(x), dtype=torch.float64, device=x.device)

    def example_inputs(self, n: int = 8, generator: torch.Generator | None = None) -> Tensor:
        """``n`` random permutations, (n, size), float64."""
        if self._space is None and self.n is not None:
            return Permutation(self.n).sample(n, generator)
        return super().example_inputs(n, generator)


class _DecayKernel(PermutationKernel):
    """A kernel exp(−ν d(π, σ)) with a learnt decay rate ν."""

    def __init__(self, n: int | None = None, space: Space | None = None, nu: float = 1.0) -> None:
        if nu <= 0:
            raise ValueError(f"{type(self).__name__}: nu = {nu} must be > 0")
        super().__init__(n, space)
        self.initial_nu = float(nu)
        self.log_nu = nn.Parameter(torch.tensor(math.log(nu), dtype=torch.float64))

    @property
    def nu(self) -> Tensor:
        """The decay rate ν > 0."""
        return self.log_nu.clamp(-LOG_NU_BOUND, LOG_NU_BOUND).exp()

    def log_prior(self) -> Tensor:
        """LogNormal(0, 2) on ν."""
        from tessera.bo import log_normal_log_prob

        return log_normal_log_prob(self.nu, 0.0, 2.0)

    def reset_hyperparameters(self, generator: torch.Generator | None = None) -> None:
        """ν log-normal: log ν ~ N(0, 1)."""
        with torch.no_grad():
            self.log_nu.copy_(torch.randn((), generator=generator, dtype=torch.float64))

    def _distance(self, x1: Tensor, x2: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        self._check(x1)
        self._check(x2)
        return torch.exp(-self.nu * self._distance(x1, x2))


class PositionKernel(_DecayKernel):
    """k(π, σ) = exp(−ν Σ_i |π⁻¹(i) − σ⁻¹(i)| / n): items close in position are similar.

    Positive definite for every ν > 0: it is a product of Laplace kernels on the positions
    of the items. Invariant to relabelling the items consistently in both arguments.

    Arguments:
        n: the permutation size, when no space is given.
        space: a :class:`~tessera.spaces.Permutation` space.
        nu: initial decay rate ν > 0.

    References:
        | Batch Bayesian Optimization on Permutations using the Acquisition Weighted Kernel
          (Oh, Bondesan, Gavves and Welling, 2022)
        | https://arxiv.org/abs/2102.13382

    Example:
        >>> import torch
        >>> kernel = PositionKernel(n=3)
        >>> x = torch.tensor([[0.0, 1.0, 2.0], [1.0, 0.0, 2.0]])
        >>> round(float(kernel(x, x).detach()[0, 1]), 6)  # exp(−(1 + 1) / 3)
        0.513417
    """

    def _distance(self, x1: Tensor, x2: Tensor) -> Tensor:
        return position_distance(x1, x2) / self.n


class MallowsKernel(_DecayKernel):
    """k(π, σ) = exp(−ν n_d(π, σ) / (n(n − 1)/2)), with n_d the discordant pairs.

    Positive definite for every ν > 0 (Jiao and Vert). The number of discordant pairs is
    divided by the number of pairs, so that ν has the same meaning for every ``n``.

    Arguments:
        n: the permutation size, when no space is given.
        space: a :class:`~tessera.spaces.Permutation` space.
        nu: initial decay rate ν > 0.

    References:
        | The Kendall and Mallows Kernels for Permutations (Jiao and Vert, 2015)
        | https://proceedings.mlr.press/v37/jiao15.html

    Example:
        >>> import torch
        >>> kernel = MallowsKernel(n=3)
        >>> x = torch.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])
        >>> round(float(kernel(x, x).detach()[0, 1]), 6)  # every pair discordant: exp(−1)
        0.367879
    """

    def _distance(self, x1: Tensor, x2: Tensor) -> Tensor:
        n = self.n
        return discordant_pairs(x1, x2) / (n * (n - 1) / 2)


class KendallKernel(PermutationKernel):
    """k(π, σ) = (n_c − n_d) / (n(n − 1)/2): Kendall's τ between two permutations.

    ``n_c`` and ``n_d`` count the position pairs both permutations order alike and
    differently. It is the inner product of the pairs' sign vectors, scaled, hence positive
    semi-definite; it has no hyperparameter.

    Arguments:
        n: the permutation size, when no space is given.
        space: a :class:`~tessera.spaces.Permutation` space.

    References:
        | The Kendall and Mallows Kernels for Permutations (Jiao and Vert, 2015)
        | https://proceedings.mlr.press/v37/jiao15.html

    Example:
        >>> import torch
        >>> kernel = KendallKernel(n=3)
        >>> x = torch.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])
        >>> kernel(x, x).tolist()
        [[1.0, -1.0], [-1.0, 1.0]]
    """

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        self._check(x1)
        self._check(x2)
        s1, s2 = pair_signs(x1), pair_signs(x2)
        return (s1 @ s2.T) / s1.shape[-1]
