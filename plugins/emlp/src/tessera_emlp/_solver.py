"""The equivariant-basis solver.

For a block ``W = V_1 ⊗ … ⊗ V_p`` of a representation, the equivariant vectors are the
common null space of the constraints ``dρ(A) w = 0`` for every Lie-algebra generator ``A``
and ``(ρ(h) − I) w = 0`` for every discrete generator ``h``. ``dρ(A)`` is a Kronecker sum
and ``ρ(h)`` a Kronecker product of small per-leaf matrices (index permutations where the
generator is a permutation), applied lazily (:mod:`tessera_emlp._linops`).

The solve runs in stages, each on what the previous left:

1. **Lie algebra.** A random algebra element ``A₀`` is diagonalised leaf by leaf; every
   invariant vector has weight zero, so the search is restricted to the zero-weight
   coordinates (for SO(3) and ``T(8)``: 1107 of 6561). In that basis each constraint is a
   sparse matrix (a Kronecker sum moves one index at a time), whose Gram matrix is formed
   exactly. For real groups the eigenvectors are paired with their conjugates, so that the
   real invariant vectors have real coordinates and the Gram matrix becomes real symmetric.
   It is block diagonal over the connected components of its sparsity graph (two of 554
   and 553 for SO(3) and ``T(8)``); each is diagonalised densely up to
   :attr:`SolverOptions.dense_limit` unknowns and iteratively beyond. Without a
   diagonalisable ``A₀`` the full constraint is used, densely or iteratively by size.
2. **Monomial discrete generators** (signed permutations: permutation groups, reflections,
   parity) are solved exactly by orbits: an invariant vector is constant up to sign on each
   orbit of indices, and zero on orbits whose signs conflict.
3. **Other discrete generators** are imposed on the basis left by the earlier stages.

The rank is the number of singular values ``σ ≤ null_tolerance · σ_max``; every other
singular value must be ``≥ gap_tolerance · σ_max`` or :class:`NoSpectralGapError` is raised,
so that a basis is never chosen across an unclear gap. Dense problems use the SVD of the
stacked constraints up to ``svd_limit`` columns and an eigendecomposition of their Gram
matrix beyond; the iterative path is Chebyshev-filtered subspace iteration on the Gram
operator with an adaptive block size, finished by an SVD of the constraints on the block.

References:
    | A Practical Method for Constructing Equivariant Multilayer Perceptrons for
      Arbitrary Matrix Groups (Finzi et al., 2021)
    | https://arxiv.org/abs/2104.09459
    | Chebyshev-filtered subspace iteration (Zhou, Saad, Tiago and Chelikowsky, 2006),
      https://doi.org/10.1016/j.jcp.2006.03.017
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph
import torch
from torch import Tensor

from tessera_emlp._linops import (
    Dense,
    Kron,
    KronSum,
    LinearOperator,
    Shifted,
    SignedPermutation,
)
from tessera_emlp._reps import Ambient, LeafKey, Rep

__all__ = [
    "NoSpectralGapError",
    "SolverError",
    "SolverOptions",
    "clear_basis_cache",
    "equivariant_basis",
    "equivariant_projector",
    "solve_block",
]

logger = logging.getLogger(__name__)

Method = Literal["auto", "dense", "iterative"]


class SolverError(RuntimeError):
    """The equivariant basis could not be computed to the required accuracy."""


class NoSpectralGapError(SolverError):
    """The constraint spectrum has no clear gap between null and non-null directions."""


@dataclass(frozen=True)
class SolverOptions:
    """Settings of the basis solver.

    Attributes:
        method: ``"auto"`` (weight-space reduction, then dense or iterative by size),
            ``"dense"`` (no reduction, dense decomposition) or ``"iterative"`` (no
            reduction, Chebyshev-filtered subspace iteration); the last two exist to cross-
            check the first.
        null_tolerance: singular values ``σ ≤ null_tolerance · σ_max`` are null.
        gap_tolerance: every other singular value must be ``≥ gap_tolerance · σ_max``.
        svd_limit: dense problems up to this many unknowns use an SVD of the stacked
            constraints; larger ones an eigendecomposition of the Gram matrix.
        dense_limit: problems with more unknowns go to the iterative path.
        seed: seed of the random algebra element and of the iterative start.
    """

    method: Method = "auto"
    null_tolerance: float = 1e-5
    gap_tolerance: float = 1e-3
    svd_limit: int = 512
    dense_limit: int = 4096
    seed: int = 0


DEFAULT_OPTIONS = SolverOptions()


# The constraint system of one block


@dataclass
class BlockSystem:
    """The constraints of ``V_1 ⊗ … ⊗ V_p``: per generator, one small operator per leaf.

    ``lie[k][i]`` is ``dρ_i(A_k)`` (``None`` when zero), ``discrete[m][i]`` is ``ρ_i(h_m)``
    (``None`` when the identity); generators acting trivially on every leaf are dropped.
    """

    sizes: tuple[int, ...]
    leaf_ids: tuple[int, ...]
    lie: list[list[Tensor | None]]
    discrete: list[list[LinearOperator | None]]
    dtype: torch.dtype

    @property
    def n(self) -> int:
        return math.prod(self.sizes)

    def lie_ops(self) -> list[LinearOperator]:
        return [KronSum(self.sizes, [_dense(m) for m in ms]) for ms in self.lie]

    def discrete_ops(self) -> list[LinearOperator]:
        return [Shifted(Kron(self.sizes, ops), -1.0) for ops in self.discrete]


def _dense(m: Tensor | None) -> LinearOperator | None:
    return None if m is None else Dense(m)


def block_system(ambient: Ambient, leaves: tuple[LeafKey, ...]) -> BlockSystem:
    """The constraint system of the tensor product of ``leaves`` in ``ambient``."""
    sizes = tuple(ambient.leaf_size(k) for k in leaves)
    distinct = list(dict.fromkeys(leaves))
    leaf_ids = tuple(distinct.index(k) for k in leaves)
    dtype = torch.float64
    for k in distinct:
        dtype = torch.promote_types(dtype, ambient.leaf_dtype(k))

    lie: list[list[Tensor | None]] = []
    discrete: list[list[LinearOperator | None]] = []
    for position, factor in enumerate(ambient.factors):
        for a in factor.lie_algebra:
            row = [_leaf_algebra(ambient, k, position, a) for k in leaves]
            if any(m is not None for m in row):
                lie.append(row)
        perms = factor.discrete_permutations
        for m, h in enumerate(factor.discrete_generators):
            perm = None if perms is None else perms[m]
            ops = [_leaf_group(ambient, k, position, h, perm) for k in leaves]
            if any(op is not None for op in ops):
                discrete.append(ops)
    return BlockSystem(sizes, leaf_ids, lie, discrete, dtype)


def _leaf_offset(ambient: Ambient, key: LeafKey, position: int) -> int | None:
    if position not in key.positions:
        return None
    return sum(ambient.factors[i].d for i in key.positions[: key.positions.index(position)])


def _leaf_algebra(ambient: Ambient, key: LeafKey, position: int, a: Tensor) -> Tensor | None:
    offset = _leaf_offset(ambient, key, position)
    if offset is None or not bool(a.abs().max() > 0):
        return None
    size, d = ambient.leaf_size(key), a.shape[-1]
    out = torch.zeros(size, size, dtype=a.dtype)
    out[offset : offset + d, offset : offset + d] = a
    return -out.mT if key.dual else out


def _leaf_group(
    ambient: Ambient, key: LeafKey, position: int, h: Tensor, perm: Tensor | None
) -> LinearOperator | None:
    offset = _leaf_offset(ambient, key, position)
    d = h.shape[-1]
    if offset is None or torch.equal(h, torch.eye(d, dtype=h.dtype)):
        return None
    size = ambient.leaf_size(key)
    if perm is not None:  # P^{-T} = P: the dual of a permutation is itself
        full = torch.arange(size)
        full[offset : offset + d] = perm + offset
        return SignedPermutation(full)
    out = torch.eye(size, dtype=h.dtype)
    out[offset : offset + d, offset : offset + d] = h
    return Dense(torch.linalg.inv(out).mT if key.dual else out)


# Rank decisions


def _rank_split(singular: Tensor, options: SolverOptions, what: str, scale: float = 0.0) -> int:
    """The number of null singular values, checking that the spectrum has a clear gap.

    Singular values are relative to the largest of them, or to ``scale`` (a bound on the
    norm of the unrestricted constraints) when that is larger.
    """
    singular = singular.abs().to(torch.float64)
    top = max(float(singular.max()) if len(singular) else 0.0, scale)
    if top == 0.0:
        return len(singular)
    relative = singular / top
    null = relative <= options.null_tolerance
    unclear = (~null) & (relative < options.gap_tolerance)
    if bool(unclear.any()):
        values = ", ".join(f"{float(v):.2e}" for v in relative[unclear][:5])
        raise NoSpectralGapError(
            f"{what}: no clear spectral gap; relative singular values {values} lie between "
            f"the null tolerance {options.null_tolerance:.0e} and the gap tolerance "
            f"{options.gap_tolerance:.0e}. Check the group's generators, or pass "
            "SolverOptions(null_tolerance=..., gap_tolerance=...) if the problem is known to "
            "be badly scaled"
        )
    return int(null.sum())


def _dense_nullspace(c: Tensor, options: SolverOptions, what: str, scale: float = 0.0) -> Tensor:
    """An orthonormal basis of the null space of the dense matrix ``c: (m, n)``."""
    n = c.shape[1]
    if n == 0:
        return c.new_zeros(0, 0)
    if n <= options.svd_limit or c.shape[0] < n:
        _, s, vh = torch.linalg.svd(c, full_matrices=True)
        singular = torch.zeros(n, dtype=torch.float64)
        singular[: len(s)] = s
        v = vh.mH.flip(-1)
        singular = singular.flip(0)
    else:
        lam, v = torch.linalg.eigh(c.mH @ c)
        singular = lam.clamp_min(0).sqrt()
    rank = _rank_split(singular, options, what, scale)
    return v[:, :rank]


def _gram_nullspace(gram: Tensor, options: SolverOptions, what: str, scale: float) -> Tensor:
    lam, v = torch.linalg.eigh(gram)
    rank = _rank_split(lam.clamp_min(0).sqrt(), options, what, scale)
    return v[:, :rank]


def _scale(ops: list[LinearOperator]) -> float:
    """A bound on the norm of the stacked constraints."""
    return math.sqrt(sum(op.norm_bound() ** 2 for op in ops))


# Stage 1: the Lie algebra


def _lie_nullspace(system: BlockSystem, options: SolverOptions, what: str) -> Tensor:
    if options.method == "auto":
        found = _weight_space_nullspace(system, options, what)
        if found is not None:
            return found
    ops = system.lie_ops()
    if options.method == "iterative" or (
        options.method == "auto" and system.n > options.dense_limit
    ):
        return iterative_nullspace(ops, system.n, system.dtype, options, what)
    c = torch.cat([op.to_dense() for op in ops])
    return _dense_nullspace(c, options, what)


def _weight_space_nullspace(
    system: BlockSystem, options: SolverOptions, what: str
) -> Tensor | None:
    """The Lie null space through the zero-weight space of a random algebra element, or
    ``None`` when that element is not diagonalisable with a clear zero weight."""
    generator = torch.Generator().manual_seed(options.seed)
    coefficients = torch.randn(len(system.lie), generator=generator, dtype=torch.float64)
    distinct = sorted(set(system.leaf_ids))
    leaf_of = {i: system.leaf_ids.index(i) for i in distinct}

    # Diagonalise A₀ on each distinct leaf
    eig: dict[int, tuple[Tensor, Tensor, Tensor]] = {}
    for i in distinct:
        axis = leaf_of[i]
        size = system.sizes[axis]
        a0 = torch.zeros(size, size, dtype=torch.complex128)
        for c, row in zip(coefficients, system.lie):
            if row[axis] is not None:
                a0 = a0 + float(c) * row[axis].to(torch.complex128)
        w, u = torch.linalg.eig(a0)
        if float(torch.linalg.cond(u)) > 1e8:
            return None
        eig[i] = (w, u, torch.linalg.inv(u))

    # For real groups, pair each eigenvector with its complex conjugate, so that the real
    # vectors are those whose weight-basis coordinates satisfy y[π(i)] = conj(y[i])
    conjugate: dict[int, Tensor] | None = None
    if not system.dtype.is_complex:
        conjugate = {}
        for i in distinct:
            paired = _conjugate_pairing(*eig[i][:2])
            if paired is None:
                conjugate = None
                break
            w, u, conjugate[i] = paired
            eig[i] = (w, u, torch.linalg.inv(u))

    # Zero-weight coordinates
    weights = torch.zeros((), dtype=torch.complex128)
    for i in system.leaf_ids:
        weights = (weights[..., None] + eig[i][0]).reshape(-1)
    scale = sum(float(eig[i][0].abs().max()) for i in system.leaf_ids)
    if scale == 0.0:
        return None
    magnitude = weights.abs() / scale
    zero = magnitude <= 1e-9
    if bool(((magnitude > 1e-9) & (magnitude < 1e-6)).any()):
        return None  # an accidental near-cancellation: no clear zero weight
    support = torch.nonzero(zero)[:, 0]
    n = system.n
    if len(support) == 0:
        return torch.zeros(n, 0, dtype=system.dtype)

    # Sparse constraints on the support, in the weight basis
    strides = [math.prod(system.sizes[j + 1 :]) for j in range(len(system.sizes))]
    digits = [(support // s) % d for s, d in zip(strides, system.sizes)]
    gram = None
    for row in system.lie:
        rows, cols, vals = [], [], []
        for axis, m in enumerate(row):
            if m is None:
                continue
            i = system.leaf_ids[axis]
            _, u, u_inv = eig[i]
            local = u_inv @ m.to(torch.complex128) @ u  # (d, d)
            d = system.sizes[axis]
            t = digits[axis]
            shift = (torch.arange(d)[None, :] - t[:, None]) * strides[axis]
            rows.append((support[:, None] + shift).reshape(-1))
            cols.append(torch.arange(len(support))[:, None].expand(-1, d).reshape(-1))
            vals.append(local[:, t].T.reshape(-1))
        r, c, v = torch.cat(rows).numpy(), torch.cat(cols).numpy(), torch.cat(vals).numpy()
        keep = np.abs(v) > 1e-13 * max(float(np.abs(v).max(initial=0.0)), 1e-300)
        mat = scipy.sparse.csr_matrix((v[keep], (r[keep], c[keep])), shape=(n, len(support)))
        part = (mat.conj().T @ mat).tocsr()
        gram = part if gram is None else gram + part
    assert gram is not None

    # Real coordinates: G restricted to the real subspace is the real part of Tᴴ G T
    to_real = None
    if conjugate is not None:
        partner = torch.zeros(len(support), dtype=torch.long)
        for axis, i in enumerate(system.leaf_ids):
            partner += conjugate[i][digits[axis]] * strides[axis]
        position = torch.full((n,), -1, dtype=torch.long)
        position[support] = torch.arange(len(support))
        partner = position[partner]
        if bool((partner >= 0).all()):  # conjugation maps the zero weights to themselves
            to_real = _real_coordinates(partner)
            gram = (to_real.conj().T @ gram @ to_real).real.tocsr()

    # Null space of the Gram matrix
    z = _sparse_gram_nullspace(gram, options, what, _scale(system.lie_ops()))
    if z.shape[1] == 0:
        return torch.zeros(n, 0, dtype=system.dtype)
    if to_real is not None:
        z = torch.from_numpy(to_real @ z.numpy())

    # Back to the tensor basis
    y = torch.zeros(n, z.shape[1], dtype=torch.complex128)
    y[support] = z
    x = Kron(system.sizes, [Dense(eig[i][1]) for i in system.leaf_ids]).matmat(y)
    if to_real is not None:
        basis, _ = torch.linalg.qr(x.real)
    elif system.dtype.is_complex:
        basis = _orth(x)
    else:
        basis = _real_span(x, z.shape[1], what)
    _verify(system.lie_ops(), basis, what)
    return basis


def _sparse_gram_nullspace(
    gram: scipy.sparse.csr_matrix, options: SolverOptions, what: str, scale: float
) -> Tensor:
    """The null space of a sparse Gram matrix, one connected component of its sparsity
    graph at a time (the matrix is block diagonal over them): densely up to
    :attr:`SolverOptions.dense_limit` unknowns per component, iteratively beyond.

    Entries below ``1e-12`` of the largest are rounding residue and are dropped first."""
    gram = gram.tocsr(copy=True)
    gram.data[np.abs(gram.data) <= 1e-12 * np.abs(gram.data).max(initial=0.0)] = 0
    gram.eliminate_zeros()
    count, labels = scipy.sparse.csgraph.connected_components(abs(gram), directed=False)
    dtype = torch.complex128 if np.iscomplexobj(gram.data) else torch.float64
    parts = []
    for label in range(count):
        index = np.flatnonzero(labels == label)
        block = gram[index][:, index]
        if len(index) <= options.dense_limit:
            z = _gram_nullspace(torch.from_numpy(block.toarray()), options, what, scale)
        else:
            z = _sparse_iterative(block.tocsr(), options, what)
        if z.shape[1]:
            full = torch.zeros(gram.shape[0], z.shape[1], dtype=dtype)
            full[torch.from_numpy(index)] = z.to(dtype)
            parts.append(full)
    return torch.cat(parts, dim=1) if parts else torch.zeros(gram.shape[0], 0, dtype=dtype)


def _conjugate_pairing(
    w: Tensor, u: Tensor, tol: float = 1e-7
) -> tuple[Tensor, Tensor, Tensor] | None:
    """Eigenvalues and eigenvectors of a real matrix rearranged so that ``u[:, π] = conj(u)``
    and ``w[π] = conj(w)``, with ``π`` an involution; returns ``(w, u, π)``, or ``None`` when
    the eigenvalues do not cluster cleanly into conjugate pairs.

    Eigenvectors of a real eigenvalue are replaced by a real basis of their eigenspace.
    """
    w, u = w.clone(), u.clone()
    size = len(w)
    pi = torch.full((size,), -1, dtype=torch.long)
    tol = tol * max(float(w.abs().max()), 1.0)
    for j in range(size):
        if pi[j] >= 0:
            continue
        free = pi < 0
        cluster = torch.nonzero(free & ((w - w[j]).abs() <= tol))[:, 0]
        if abs(float(w[j].imag)) <= tol:
            # A real eigenvalue: a real basis of its eigenspace
            stacked = torch.cat([u[:, cluster].real, u[:, cluster].imag], dim=1)
            q, s, _ = torch.linalg.svd(stacked, full_matrices=False)
            m = len(cluster)
            if len(s) > m and float(s[m]) > 1e-8 * float(s[0]):
                return None
            u[:, cluster] = q[:, :m].to(u.dtype)
            w[cluster] = w[cluster].real.mean().to(w.dtype)
            pi[cluster] = cluster
            continue
        mirror = torch.nonzero(free & ((w - w[j].conj()).abs() <= tol))[:, 0]
        if len(mirror) != len(cluster):
            return None
        u[:, mirror] = u[:, cluster].conj()
        w[mirror] = w[cluster].conj()
        pi[cluster], pi[mirror] = mirror, cluster
    return w, u, pi


def _real_coordinates(partner: Tensor) -> scipy.sparse.csr_matrix:
    """The unitary ``T`` with ``y = T z`` for real ``z`` exactly when
    ``y[partner[i]] = conj(y[i])``: ``y[i] = z[i]`` on fixed points and
    ``y[i], y[j] = (z[i] ± i z[j]) / √2`` on a pair ``i < j``."""
    s = len(partner)
    index = torch.arange(s)
    fixed = partner == index
    low = index < partner
    i, j = index[low].numpy(), partner[low].numpy()
    h = 1 / math.sqrt(2)
    rows = np.concatenate([index[fixed].numpy(), i, j, i, j])
    cols = np.concatenate([index[fixed].numpy(), i, i, j, j])
    real, imaginary = np.full(2 * len(i), h), np.repeat([1j * h, -1j * h], len(i))
    vals = np.concatenate([np.ones(int(fixed.sum())), real, imaginary]).astype(np.complex128)
    return scipy.sparse.csr_matrix((vals, (rows, cols)), shape=(s, s))


def _orth(x: Tensor) -> Tensor:
    u, _, _ = torch.linalg.svd(x, full_matrices=False)
    return u


def _real_span(x: Tensor, rank: int, what: str) -> Tensor:
    """An orthonormal real basis of the real subspace whose complexification ``x`` spans."""
    stacked = torch.cat([x.real, x.imag], dim=1)
    lam, v = torch.linalg.eigh(stacked.T @ stacked)
    lam, v = lam.flip(0), v.flip(1)
    if len(lam) > rank and float(lam[rank]) > 1e-12 * float(lam[0]):
        raise SolverError(
            f"{what}: the complex null space is not the complexification of a real one "
            f"(relative singular value {float((lam[rank] / lam[0]).sqrt()):.1e}); solve with "
            "SolverOptions(method='dense')"
        )
    basis = stacked @ (v[:, :rank] / lam[:rank].sqrt())
    q, _ = torch.linalg.qr(basis)
    return q


def _verify(ops: list[LinearOperator], basis: Tensor, what: str, tol: float = 1e-7) -> None:
    if basis.shape[1] == 0:
        return
    for op in ops:
        bound = max(op.norm_bound(), 1e-300) * math.sqrt(basis.shape[1])
        err = float(torch.linalg.matrix_norm(op.matmat(basis))) / bound
        if err > tol:
            raise SolverError(
                f"{what}: the computed basis violates a constraint by {err:.1e} (relative); "
                "solve with SolverOptions(method='dense') or report the group"
            )


# Iterative path


def iterative_nullspace(
    ops: list[LinearOperator],
    n: int,
    dtype: torch.dtype,
    options: SolverOptions,
    what: str,
    block: int = 32,
    degree: int = 24,
    max_iterations: int = 200,
) -> Tensor:
    """The common null space of ``ops`` by Chebyshev-filtered subspace iteration on
    ``H = Σ Cᴴ C``, with the block doubled until it holds the null space plus guard vectors.

    The rank is decided, with the same gap rule as the dense path, from the singular values
    of the stacked constraints restricted to the final block.
    """

    def gram(x: Tensor) -> Tensor:
        out = torch.zeros_like(x)
        for op in ops:
            out = out + op.rmatmat(op.matmat(x))
        return out

    def constraints(x: Tensor) -> Tensor:
        return torch.cat([op.matmat(x) for op in ops])

    return _subspace_iteration(
        gram, constraints, n, dtype, options, what, block, degree, max_iterations
    )


def _sparse_iterative(gram: scipy.sparse.csr_matrix, options: SolverOptions, what: str) -> Tensor:
    """The null space of a sparse Gram matrix; the rank is decided from its eigenvalues on
    the final block."""

    def apply(x: Tensor) -> Tensor:
        return torch.from_numpy(np.asarray(gram @ x.numpy()))

    dtype = torch.complex128 if np.iscomplexobj(gram.data) else torch.float64
    return _subspace_iteration(apply, None, gram.shape[0], dtype, options, what, 32, 24, 200)


def _subspace_iteration(
    gram,
    constraints,
    n: int,
    dtype: torch.dtype,
    options: SolverOptions,
    what: str,
    block: int,
    degree: int,
    max_iterations: int,
) -> Tensor:
    generator = torch.Generator().manual_seed(options.seed)
    work = torch.complex128 if dtype.is_complex else torch.float64

    def randn(rows: int, cols: int) -> Tensor:
        x = torch.randn(rows, cols, generator=generator, dtype=torch.float64)
        return x.to(work)

    # Largest eigenvalue of H, by power iteration
    x = randn(n, 4)
    lam_max = 0.0
    for _ in range(30):
        x, _ = torch.linalg.qr(gram(x))
        lam_max = max(lam_max, float(torch.linalg.eigvalsh(x.mH @ gram(x)).max()))
    lam_max *= 1.1
    if lam_max == 0.0:
        return torch.eye(n, dtype=work)

    b = min(n, block)
    q, _ = torch.linalg.qr(randn(n, b))
    while True:
        guard = max(4, b // 4)
        for _ in range(max_iterations):
            hq = gram(q)
            theta, s = torch.linalg.eigh(q.mH @ hq)
            q, hq = q @ s, hq @ s
            null = int((theta <= (options.null_tolerance**2) * lam_max).sum())
            if null > b - guard and b < n:
                break
            residual = torch.linalg.vector_norm(hq - q * theta[None], dim=0)
            if bool((residual[: null + 1] <= 1e-10 * lam_max).all()) or b == n:
                return _finish(q, gram, constraints, options, what, null)
            q, _ = torch.linalg.qr(_chebyshev(gram, q, float(theta[-1]), lam_max, degree))
        else:
            raise SolverError(
                f"{what}: the iterative solver did not converge in {max_iterations} "
                "iterations; solve with SolverOptions(method='dense')"
            )
        b = min(n, 2 * b)
        q, _ = torch.linalg.qr(torch.cat([q, randn(n, b - q.shape[1])], dim=1))


def _chebyshev(gram, x: Tensor, low: float, high: float, degree: int) -> Tensor:
    """``T_m`` of ``H`` mapped so that ``[low, high]`` is damped to ``[−1, 1]``; ``x`` times
    it."""
    if high <= low:
        return x
    e, c = (high - low) / 2, (high + low) / 2
    prev, cur = x, (gram(x) - c * x) / e
    for _ in range(degree - 1):
        prev, cur = cur, 2 * (gram(cur) - c * cur) / e - prev
        norm = torch.linalg.vector_norm(cur, dim=0).clamp_min(1e-300)
        prev, cur = prev / norm, cur / norm
    return cur


def _finish(q: Tensor, gram, constraints, options: SolverOptions, what: str, null: int) -> Tensor:
    if constraints is not None:
        c = constraints(q)
        _, s, vh = torch.linalg.svd(c, full_matrices=True)
        singular = torch.zeros(q.shape[1], dtype=torch.float64)
        singular[: len(s)] = s
        v = vh.mH.flip(-1)
        rank = _rank_split(singular.flip(0), options, what)
        return q @ v[:, :rank]
    theta, s = torch.linalg.eigh(q.mH @ gram(q))
    rank = _rank_split(theta.clamp_min(0).sqrt(), options, what)
    return q @ s[:, :rank]


# Stage 2 and 3: discrete generators


def _signed_orbit_basis(perms: list[tuple[Tensor, Tensor]], n: int) -> Tensor:
    """Vectors fixed by the signed permutations ``(A x)[i] = s[i] x[p[i]]``: one per orbit of
    indices on which the signs are consistent, ``(n, orbits)``, orthonormal."""
    root = torch.arange(n)
    phase = torch.ones(n, dtype=torch.float64)
    edges = []
    for p, s in perms:
        inverse = torch.empty_like(p)
        inverse[p] = torch.arange(n)
        edges.append((p, s, inverse))
    while True:
        before = root.clone()
        for p, s, inverse in edges:
            for source, sign in ((p, s), (inverse, s[inverse])):
                candidate = root[source]
                better = candidate < root
                phase = torch.where(better, sign * phase[source], phase)
                root = torch.where(better, candidate, root)
        phase = phase * phase[root]
        root = root[root]
        if torch.equal(root, before):
            break

    bad = torch.zeros(n, dtype=torch.bool)
    for p, s, _ in edges:
        conflict = (phase - s * phase[p]).abs() > 0.5
        bad[root[conflict]] = True
    roots, members = torch.unique(root, return_inverse=True)
    keep = ~bad[roots]
    counts = torch.bincount(members, minlength=len(roots)).to(torch.float64)
    column = torch.cumsum(keep.long(), 0) - 1
    basis = torch.zeros(n, int(keep.sum()), dtype=torch.float64)
    valid = keep[members]
    rows = torch.arange(n)[valid]
    basis[rows, column[members][valid]] = phase[valid] / counts[members][valid].sqrt()
    return basis


def _discrete_nullspace(
    system: BlockSystem, basis: Tensor | None, options: SolverOptions, what: str
) -> Tensor:
    ops = system.discrete_ops()
    if basis is None:
        monomial, rest = [], []
        for op in ops:
            sp = op.op.signed_permutation()  # type: ignore[attr-defined]
            (monomial if sp is not None else rest).append(sp if sp is not None else op)
        basis = _signed_orbit_basis(monomial, system.n) if monomial else None
        ops = rest
        if not ops:
            assert basis is not None
            return basis.to(system.dtype)
    if basis is None:
        if system.n > options.dense_limit:
            return iterative_nullspace(ops, system.n, system.dtype, options, what)
        basis = torch.eye(system.n, dtype=system.dtype)
    if basis.shape[1] == 0:
        return basis
    basis = basis.to(torch.promote_types(basis.dtype, system.dtype))
    c = torch.cat([op.matmat(basis) for op in ops])
    return basis @ _dense_nullspace(c, options, what, _scale(ops)).to(basis.dtype)


# Blocks, caching and whole representations


_CACHE: OrderedDict[tuple, Tensor] = OrderedDict()
_CACHE_SIZE = 512


def clear_basis_cache() -> None:
    """Forget every cached basis."""
    _CACHE.clear()


def solve_block(
    ambient: Ambient, leaves: tuple[LeafKey, ...], options: SolverOptions = DEFAULT_OPTIONS
) -> Tensor:
    """An orthonormal basis of the equivariant vectors of the tensor product of ``leaves``,
    ``(size, rank)``, in float64 (complex128 for complex groups). Cached by the canonical
    form of the block."""
    key = (ambient.group, leaves, options)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    system = block_system(ambient, leaves)
    what = f"equivariant basis of a {system.n}-dimensional block of {ambient.group!r}"
    basis: Tensor | None = None
    if system.lie:
        basis = _lie_nullspace(system, options, what)
    if system.discrete and (basis is None or basis.shape[1]):
        basis = _discrete_nullspace(system, basis, options, what)
    if basis is None:
        basis = torch.eye(system.n, dtype=system.dtype)
    basis = basis.to(system.dtype)
    _CACHE[key] = basis
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return basis


def equivariant_basis(rep: Rep, options: SolverOptions | None = None) -> Tensor:
    """An orthonormal basis of the vectors of ``rep`` fixed by its group, ``(size, rank)``.

    For a map space ``rep_in >> rep_out`` the columns, reshaped to ``(out, in)``, span the
    equivariant linear maps. Solved block by block.

    Example:
        >>> from tessera.groups import SO
        >>> from tessera_emlp import T
        >>> equivariant_basis(T(4, 0, SO(3))).shape
        torch.Size([81, 3])
    """
    options = options or DEFAULT_OPTIONS
    ambient = rep.ambient
    columns = []
    for group in rep.blocks(ambient):
        b = solve_block(ambient, group.leaves, options)
        for index in group.index:
            col = torch.zeros(rep.size, b.shape[1], dtype=b.dtype)
            col[index] = b
            columns.append(col)
    dtypes = [c.dtype for c in columns]
    dtype = torch.complex128 if any(d.is_complex for d in dtypes) else torch.float64
    if not columns:
        return torch.zeros(rep.size, 0, dtype=dtype)
    return torch.cat([c.to(dtype) for c in columns], dim=1)


class EquivariantProjector(LinearOperator):
    """The orthogonal projector onto the equivariant vectors of a representation, applied
    block by block without forming it."""

    def __init__(self, rep: Rep, options: SolverOptions | None = None) -> None:
        options = options or DEFAULT_OPTIONS
        ambient = rep.ambient
        self.parts = [
            (g.index, solve_block(ambient, g.leaves, options)) for g in rep.blocks(ambient)
        ]
        self.shape = (rep.size, rep.size)
        self.dtype = torch.float64
        for _, b in self.parts:
            self.dtype = torch.promote_types(self.dtype, b.dtype)

    def matmat(self, x: Tensor) -> Tensor:
        out = torch.zeros(x.shape, dtype=torch.promote_types(x.dtype, self.dtype))
        for index, b in self.parts:
            xs = x[index].to(out.dtype)  # (count, size, k)
            b = b.to(out.dtype)
            out[index] = b @ (b.mH @ xs)
        return out

    def rmatmat(self, y: Tensor) -> Tensor:
        return self.matmat(y)


def equivariant_projector(rep: Rep, options: SolverOptions | None = None) -> EquivariantProjector:
    """The projector onto the equivariant subspace of ``rep``, as a lazy operator.

    Example:
        >>> from tessera.groups import SO
        >>> from tessera_emlp import V
        >>> P = equivariant_projector(V(SO(3)) >> V(SO(3)))
        >>> w = P.matmat(torch.randn(9, 1, dtype=torch.float64)).reshape(3, 3)
        >>> bool(torch.allclose(w, w[0, 0] * torch.eye(3, dtype=torch.float64)))
        True
    """
    return EquivariantProjector(rep, options)


def with_options(options: SolverOptions | None, **changes: object) -> SolverOptions:
    return replace(options or DEFAULT_OPTIONS, **changes)  # type: ignore[arg-type]
