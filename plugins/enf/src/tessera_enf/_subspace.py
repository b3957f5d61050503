"""The zero centre-of-mass subspace and the standard Gaussian on it.

Point clouds ``x`` of shape (B, N, D) with a node mask (B, N) live in ``R^{N·D}``. A
translation-invariant density cannot be normalised there, so E-NFs model the
``(N − 1)·D``-dimensional linear subspace ``Σ_i x_i = 0`` (over existing nodes). On it the
standard Gaussian has the density

.. math::

    \\log \\mathcal{N}_{\\perp}(x) = -\\tfrac{1}{2} \\|x\\|^2 - \\tfrac{(N-1) D}{2} \\log 2\\pi,

and a sample is a standard Gaussian in ``R^{N·D}`` projected onto the subspace (the
projection of an isotropic Gaussian is the isotropic Gaussian of the subspace).

References:
    | E(n) Equivariant Normalizing Flows (Satorras et al., 2021), §3.2
    | https://arxiv.org/abs/2105.09016
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = [
    "center",
    "check_mask",
    "zero_com_basis",
    "zero_com_log_prob",
    "zero_com_sample",
]


def check_mask(x: Tensor, mask: Tensor | None) -> Tensor:
    """The node mask of ``x`` (B, N, D) as a bool tensor (B, N); ``None`` means all nodes.

    :raises ValueError: the mask has the wrong shape or a sample has fewer than 2 nodes.
    """
    if x.ndim != 3:
        raise ValueError(f"x must have shape (batch, nodes, dim), got {tuple(x.shape)}")
    if mask is None:
        return torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
    if mask.shape != x.shape[:2]:
        raise ValueError(
            f"mask must have shape {tuple(x.shape[:2])} (batch, nodes), got {tuple(mask.shape)}"
        )
    mask = mask.bool()
    counts = mask.sum(1)
    if len(mask) and int(counts.min()) < 2:
        row = int(counts.argmin())
        raise ValueError(
            f"every sample needs at least 2 nodes in its mask, but sample {row} has "
            f"{int(counts[row])}: a single particle has no degrees of freedom once the "
            "centre of mass is removed; drop such samples or pad them with real nodes"
        )
    return mask


def center(x: Tensor, mask: Tensor | None = None) -> Tensor:
    """Project ``x`` (B, N, D) onto the zero centre-of-mass subspace of its existing nodes;
    padded nodes become 0.

    Example:
        >>> x = torch.tensor([[[1.0, 0.0], [3.0, 2.0]]])
        >>> center(x).tolist()
        [[[-1.0, -1.0], [1.0, 1.0]]]
    """
    if mask is None:
        return x - x.mean(1, keepdim=True)
    weight = mask.to(x.dtype)[..., None]
    mean = (x * weight).sum(1, keepdim=True) / weight.sum(1, keepdim=True).clamp(min=1)
    return (x - mean) * weight


def zero_com_log_prob(z: Tensor, mask: Tensor | None = None) -> Tensor:
    """Log-density of the standard Gaussian on the zero centre-of-mass subspace, (B,).

    ``z`` (B, N, D) is assumed to lie in the subspace (call :func:`center` first otherwise).
    """
    weight = 1.0 if mask is None else mask.to(z.dtype)[..., None]
    n = torch.full((len(z),), z.shape[1], dtype=z.dtype, device=z.device)
    if mask is not None:
        n = mask.sum(1).to(z.dtype)
    dof = (n - 1) * z.shape[2]
    return -0.5 * (z.square() * weight).flatten(1).sum(-1) - 0.5 * dof * math.log(2 * math.pi)


def zero_com_sample(
    shape: tuple[int, int, int],
    mask: Tensor | None = None,
    generator: torch.Generator | None = None,
    dtype: torch.dtype | None = None,
    device: torch.device | None = None,
) -> Tensor:
    """Samples of the standard Gaussian on the zero centre-of-mass subspace, ``shape``."""
    z = torch.randn(shape, generator=generator, dtype=dtype)
    return center(z.to(device) if device is not None else z, mask)


def zero_com_basis(num_nodes: int, dim: int, dtype: torch.dtype = torch.float64) -> Tensor:
    """An orthonormal basis of the zero centre-of-mass subspace of ``R^{N·D}``.

    Arguments:
        num_nodes: ``N``.
        dim: ``D``.

    Returns:
        (N·D, (N − 1)·D), for flattened point clouds of shape (N, D) (row-major).

    Example:
        >>> B = zero_com_basis(3, 2)
        >>> tuple(B.shape), bool(torch.allclose(B.T @ B, torch.eye(4, dtype=B.dtype)))
        ((6, 4), True)
    """
    # Helmert basis of the vectors orthogonal to (1, ..., 1) in R^N
    n = num_nodes
    helmert = torch.zeros(n, n - 1, dtype=torch.float64)
    for k in range(1, n):
        helmert[:k, k - 1] = 1.0
        helmert[k, k - 1] = -float(k)
        helmert[:, k - 1] /= math.sqrt(k * (k + 1))
    return torch.kron(helmert, torch.eye(dim, dtype=torch.float64)).to(dtype)
