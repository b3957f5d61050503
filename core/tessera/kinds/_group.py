"""The Group interface: a matrix group given by Lie-algebra and discrete generators.

A group ``G ⊂ GL(d)`` is described, as in equivariant MLPs, by a basis of its Lie algebra
(the connected part) and a finite list of discrete generators (the components). Everything
else, sampling, residuals of the defining relations and direct products, is built on these.

Permutation convention: a permutation vector ``perm`` of length ``d`` stands for the matrix
``P`` with ``P[i, perm[i]] = 1``, so that ``(P @ x)[i] = x[perm[i]]``, i.e. ``P @ x`` is
``x[perm]``, and the product ``P_a @ P_b`` is the permutation ``perm_b[perm_a]``.

References:
    | A Practical Method for Constructing Equivariant Multilayer Perceptrons for
      Arbitrary Matrix Groups (Finzi et al., 2021)
    | https://arxiv.org/abs/2104.09459
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable
from functools import cached_property
from typing import TYPE_CHECKING

import torch
from torch import Tensor

if TYPE_CHECKING:
    from tessera.groups import DirectProduct

__all__ = [
    "Group",
    "orthogonality_residual",
    "permutation_matrices",
    "permutation_residual",
]


def permutation_matrices(perms: Tensor, dtype: torch.dtype = torch.float64) -> Tensor:
    """Dense permutation matrices of permutation vectors.

    Arguments:
        perms: permutation vectors, (..., d), integer.
        dtype: the dtype of the result.

    Returns:
        ``P`` of shape (..., d, d) with ``P[..., i, perms[..., i]] = 1``, so that
        ``P @ x == x[perms]``.

    Example:
        >>> perm = torch.tensor([2, 0, 1])
        >>> x = torch.tensor([10.0, 20.0, 30.0], dtype=torch.float64)
        >>> (permutation_matrices(perm) @ x).tolist()
        [30.0, 10.0, 20.0]
    """
    d = perms.shape[-1]
    return torch.eye(d, dtype=dtype, device=perms.device)[perms]


def orthogonality_residual(g: Tensor) -> Tensor:
    """How far ``g`` is from orthogonal (unitary when complex): ``‖gᴴg − I‖_F``.

    Arguments:
        g: matrices, (..., d, d).

    Returns:
        Residuals, (...,), float64.
    """
    g = _as_residual_input(g)
    eye = torch.eye(g.shape[-1], dtype=g.dtype)
    return torch.linalg.matrix_norm(g.mH @ g - eye).to(torch.float64)


def permutation_residual(g: Tensor) -> Tensor:
    """How far ``g`` is from a permutation matrix.

    The residual is the larger of ``‖g − P‖_F``, where ``P`` puts a one at the largest entry
    of each row of ``g``, and ``‖P.sum(rows) − 1‖``, which is at least one when two rows of
    ``P`` share a column. It is zero exactly on permutation matrices.

    Arguments:
        g: matrices, (..., d, d).

    Returns:
        Residuals, (...,), float64.
    """
    g = _as_residual_input(g)
    nearest = torch.nn.functional.one_hot(g.real.argmax(dim=-1), g.shape[-1]).to(g.dtype)
    entries = torch.linalg.matrix_norm(g - nearest).to(torch.float64)
    columns = torch.linalg.vector_norm(nearest.real.sum(dim=-2) - 1, dim=-1).to(torch.float64)
    return torch.maximum(entries, columns)


def _as_residual_input(g: Tensor) -> Tensor:
    if g.ndim < 2 or g.shape[-1] != g.shape[-2]:
        raise ValueError(f"expected square matrices of shape (..., d, d), got {tuple(g.shape)}")
    return g.to(torch.complex128 if g.is_complex() else torch.float64)


class Group(ABC):
    r"""A matrix group ``G ⊂ GL(d)`` given by Lie-algebra and discrete generators.

    A subclass defines :attr:`d` and overrides one or more of the hooks below; the public
    properties validate and cache what the hooks return.

    - :meth:`_build_lie_algebra`: a basis of the Lie algebra, (k, d, d); none means k = 0.
    - :meth:`_build_discrete_generators`: dense discrete generators, (m, d, d).
    - :meth:`_build_discrete_permutations`: the discrete generators as permutation vectors,
      (m, d), when all of them are permutations; the dense form is then derived on demand.

    Subclasses with an exact sampler override :meth:`_samples`; subclasses that know their
    defining relations override :meth:`relation_residual` (and :meth:`algebra_residual` if
    a closed form beats the default projection). Equality and hashing follow
    :meth:`_structure`, which defaults to the class and the generators.

    Permutation convention: ``perm`` stands for ``P`` with ``P[i, perm[i]] = 1``, so
    ``(P @ x)[i] = x[perm[i]]``.

    Attributes:
        dtype: the dtype of the generators and of samples by default; float64 unless a
            subclass sets a complex dtype.
        sample_word_length: the number of random discrete generators multiplied together by
            the default sampler.

    References:
        | A Practical Method for Constructing Equivariant Multilayer Perceptrons for
          Arbitrary Matrix Groups (Finzi et al., 2021)
        | https://arxiv.org/abs/2104.09459

    Example:
        >>> from tessera.groups import SO, S
        >>> G = SO(3) * S(4)
        >>> G, G.d, tuple(G.lie_algebra.shape)
        (SO(3)×S(4), 7, (3, 7, 7))
        >>> float(G.relation_residual(G.sample())) < 1e-10
        True
    """

    dtype: torch.dtype = torch.float64
    sample_word_length: int = 16

    # Definition

    @property
    @abstractmethod
    def d(self) -> int:
        """The dimension of the defining representation."""

    @property
    def name(self) -> str:
        """A short name such as ``"SO(3)"``; also the ``repr``."""
        return type(self).__name__

    def _build_lie_algebra(self) -> Tensor | None:
        """A basis of the Lie algebra, (k, d, d), or ``None`` when k = 0."""
        return None

    def _build_discrete_generators(self) -> Tensor | None:
        """Dense discrete generators, (m, d, d), or ``None`` to derive them from
        :meth:`_build_discrete_permutations` (or to have none)."""
        return None

    def _build_discrete_permutations(self) -> Tensor | None:
        """Discrete generators as permutation vectors, (m, d), or ``None``."""
        return None

    # Generators

    @cached_property
    def lie_algebra(self) -> Tensor:
        """A basis of the Lie algebra as matrices, (k, d, d); k may be 0."""
        basis = self._build_lie_algebra()
        if basis is None:
            return torch.zeros(0, self.d, self.d, dtype=self.dtype)
        return self._check_stack(basis, "lie_algebra")

    @cached_property
    def discrete_generators(self) -> Tensor:
        """The discrete generators as dense matrices, (m, d, d); m may be 0."""
        dense = self._build_discrete_generators()
        if dense is not None:
            return self._check_stack(dense, "discrete_generators")
        perms = self.discrete_permutations
        assert perms is not None  # with no dense hook, the index form (perhaps empty) exists
        return permutation_matrices(perms, self.dtype)

    @cached_property
    def discrete_permutations(self) -> Tensor | None:
        """The discrete generators as permutation vectors, (m, d), int64, or ``None``.

        ``None`` unless every discrete generator is a permutation matrix (with none, the
        result is an empty (0, d) tensor). Row ``perm`` stands for ``P`` with
        ``(P @ x)[i] = x[perm[i]]``.
        """
        perms = self._build_discrete_permutations()
        if perms is not None:
            return self._check_perms(perms)
        dense = self._build_discrete_generators()
        if dense is None:
            return torch.zeros(0, self.d, dtype=torch.long)
        dense = self._check_stack(dense, "discrete_generators")
        if len(dense) and bool((permutation_residual(dense) > 0).any()):
            return None
        return dense.real.argmax(dim=-1)

    def _check_stack(self, value: Tensor, what: str) -> Tensor:
        value = torch.as_tensor(value)
        if value.ndim != 3 or value.shape[1:] != (self.d, self.d):
            raise ValueError(
                f"{self.name}: {what} must have shape (count, {self.d}, {self.d}), "
                f"got {tuple(value.shape)}"
            )
        if value.is_complex() and not self.dtype.is_complex:
            raise TypeError(
                f"{self.name}: {what} are complex but the group's dtype is {self.dtype}; "
                "set the class attribute dtype = torch.complex128"
            )
        return value.to(self.dtype)

    def _check_perms(self, perms: Tensor) -> Tensor:
        perms = torch.as_tensor(perms)
        if perms.ndim != 2 or perms.shape[1] != self.d:
            raise ValueError(
                f"{self.name}: discrete_permutations must have shape (count, {self.d}), "
                f"got {tuple(perms.shape)}"
            )
        perms = perms.long()
        expected = torch.arange(self.d).expand_as(perms)
        if not torch.equal(perms.sort(dim=-1).values, expected):
            raise ValueError(
                f"{self.name}: every row of discrete_permutations must be a permutation of "
                f"0..{self.d - 1}"
            )
        return perms

    # Properties

    @cached_property
    def is_orthogonal(self) -> bool:
        """Whether every element is orthogonal (unitary when complex).

        By default, read off the generators: antisymmetric (anti-Hermitian) Lie algebra and
        orthogonal discrete generators.
        """
        algebra = self.lie_algebra
        tolerance = 1e-9 * max(1.0, float(algebra.abs().max())) if len(algebra) else 0.0
        antisymmetric = bool((algebra + algebra.mH).abs().le(tolerance).all())
        dense = self.discrete_generators
        orthogonal = not len(dense) or bool((orthogonality_residual(dense) <= 1e-9).all())
        return antisymmetric and orthogonal

    @property
    def is_permutation(self) -> bool:
        """Whether every element is a permutation matrix: no Lie algebra and permutation
        discrete generators."""
        return len(self.lie_algebra) == 0 and self.discrete_permutations is not None

    @property
    def is_compact(self) -> bool:
        """Whether the group is compact; by default, whether it is orthogonal."""
        return self.is_orthogonal

    # Sampling

    def sample(
        self, generator: torch.Generator | None = None, *, dtype: torch.dtype | None = None
    ) -> Tensor:
        """One random element, (d, d). See :meth:`samples`."""
        return self.samples(1, generator, dtype=dtype)[0]

    def samples(
        self,
        n: int,
        generator: torch.Generator | None = None,
        *,
        dtype: torch.dtype | None = None,
    ) -> Tensor:
        """``n`` random elements, (n, d, d), on the CPU.

        The default draws ``expm(Σ z_i A_i)`` with ``z ~ N(0, 1)`` over the Lie algebra basis
        and multiplies it on the left by a random word of :attr:`sample_word_length`
        discrete generators, their inverses or the identity. Subclasses override
        :meth:`_samples` with exact samplers (Haar measure for O(n), uniform for S(n)).

        Arguments:
            n: the number of samples, ≥ 0.
            generator: the random number generator; the global one when ``None``.
            dtype: the dtype of the result; :attr:`dtype` when ``None``. A complex group
                cannot be sampled in a real dtype.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"{self.name}: the number of samples must be an int ≥ 0, got {n!r}")
        if dtype is None:
            dtype = self.dtype
        if self.dtype.is_complex and not dtype.is_complex:
            raise TypeError(
                f"{self.name} is a complex group; sample it with a complex dtype, not {dtype}"
            )
        return self._samples(n, generator).to(dtype)

    def _samples(self, n: int, generator: torch.Generator | None) -> Tensor:
        """``n`` random elements in :attr:`dtype`, (n, d, d)."""
        d, algebra = self.d, self.lie_algebra
        if len(algebra):
            z = torch.randn(n, len(algebra), generator=generator, dtype=torch.float64)
            g = torch.linalg.matrix_exp(torch.einsum("nk,kij->nij", z.to(self.dtype), algebra))
        else:
            g = torch.eye(d, dtype=self.dtype).expand(n, d, d)
        if self.discrete_permutations is not None:
            if len(self.discrete_permutations):
                g = g.gather(-2, self._random_words(n, generator)[..., None].expand(n, d, d))
        elif len(self.discrete_generators):
            g = self._random_dense_words(n, generator) @ g
        return g.contiguous()

    def sample_permutations(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` random elements of a permutation group as permutation vectors, (n, d), int64.

        Avoids dense matrices for large permutation groups; the default draws random words
        of the discrete generators.

        Raises:
            NotImplementedError: the group is not a permutation group.
        """
        if not self.is_permutation:
            raise NotImplementedError(
                f"{self.name} is not a permutation group; use samples() for dense elements"
            )
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"{self.name}: the number of samples must be an int ≥ 0, got {n!r}")
        return self._random_words(n, generator)

    def _random_words(self, n: int, generator: torch.Generator | None) -> Tensor:
        perms = self.discrete_permutations
        assert perms is not None
        identity = torch.arange(self.d)
        words = identity.repeat(n, 1)
        if not len(perms):
            return words
        options = torch.cat([identity[None], perms, perms.argsort(dim=-1)])
        for _ in range(self.sample_word_length):
            step = options[torch.randint(len(options), (n,), generator=generator)]
            words = step.gather(-1, words)  # the permutation of P_words @ P_step
        return words

    def _random_dense_words(self, n: int, generator: torch.Generator | None) -> Tensor:
        dense = self.discrete_generators
        identity = torch.eye(self.d, dtype=self.dtype)
        options = torch.cat([identity[None], dense, torch.linalg.inv(dense)])
        words = identity.repeat(n, 1, 1)
        for _ in range(self.sample_word_length):
            words = words @ options[torch.randint(len(options), (n,), generator=generator)]
        return words

    # Relations

    def relation_residual(self, g: Tensor) -> Tensor:
        """How far ``g`` is from satisfying the group's defining relations.

        The default checks only what the declared properties imply: orthogonality when
        :attr:`is_orthogonal` and being a permutation matrix when :attr:`is_permutation`,
        and is zero otherwise. Subclasses override it with their defining relations.

        Arguments:
            g: matrices, (..., d, d).

        Returns:
            Non-negative residuals, (...,), float64; zero for members of the group.
        """
        g = self._check_matrices(g)
        residual = torch.zeros(g.shape[:-2], dtype=torch.float64)
        if self.is_orthogonal:
            residual = torch.maximum(residual, orthogonality_residual(g))
        if self.is_permutation:
            residual = torch.maximum(residual, permutation_residual(g))
        return residual

    def algebra_residual(self, a: Tensor) -> Tensor:
        """How far ``a`` is from the Lie algebra: the distance to the real span of the basis.

        Arguments:
            a: matrices, (..., d, d).

        Returns:
            Non-negative residuals, (...,), float64, in the Frobenius norm.
        """
        a = self._check_matrices(a)
        flat = _real_flat(a)
        basis = _real_flat(self.lie_algebra).T  # (2 d², k) or (d², k)
        if flat.shape[-1] != basis.shape[0]:  # complex input, real group, or the converse
            flat, basis = _complex_flat(a), _complex_flat(self.lie_algebra).T
        if basis.shape[1]:
            flat = flat - flat @ (torch.linalg.pinv(basis).T @ basis.T)
        return torch.linalg.vector_norm(flat, dim=-1)

    def _check_matrices(self, g: Tensor) -> Tensor:
        g = torch.as_tensor(g)
        if g.ndim < 2 or g.shape[-2:] != (self.d, self.d):
            raise ValueError(
                f"{self.name}: expected matrices of shape (..., {self.d}, {self.d}), "
                f"got {tuple(g.shape)}"
            )
        return g.to(torch.complex128 if g.is_complex() else torch.float64)

    # Composition and identity

    def __mul__(self, other: object) -> DirectProduct:
        if not isinstance(other, Group):
            return NotImplemented
        from tessera.groups import DirectProduct

        return DirectProduct([self, other])

    def _structure(self) -> Hashable:
        """What equality and hashing compare; by default the class and the generators."""
        return self._default_structure

    @cached_property
    def _default_structure(self) -> Hashable:
        perms = self.discrete_permutations
        return (
            type(self),
            self.d,
            _tensor_key(self.lie_algebra),
            _tensor_key(perms) if perms is not None else _tensor_key(self.discrete_generators),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Group):
            return NotImplemented
        return self._structure() == other._structure()

    def __hash__(self) -> int:
        return hash(self._structure())

    def __repr__(self) -> str:
        return self.name


def _tensor_key(t: Tensor) -> tuple[tuple[int, ...], str, bytes]:
    t = t.detach().cpu().contiguous()
    return tuple(t.shape), str(t.dtype), t.numpy().tobytes()


def _real_flat(a: Tensor) -> Tensor:
    """(..., d, d) → (..., d²) for real input, (..., 2 d²) for complex input."""
    flat = a.flatten(-2)
    return torch.cat([flat.real, flat.imag], dim=-1) if flat.is_complex() else flat


def _complex_flat(a: Tensor) -> Tensor:
    """(..., d, d) → (..., 2 d²), real and imaginary parts, whatever the input dtype."""
    flat = a.flatten(-2).to(torch.complex128)
    return torch.cat([flat.real, flat.imag], dim=-1)
